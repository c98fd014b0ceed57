package dev.cloche.docker;

/** The conformance suite on dockerd (Debian's docker.io), on the private socket scripts/test-engines.sh starts. */
class DockerBackendIT extends EngineConformance {
    @Override
    String hostProperty() {
        return "cloche.dockerHost";
    }
}
