package dev.cloche.docker;

/** The conformance suite on podman's Docker-compatible service, on the private socket scripts/test-engines.sh starts. */
class PodmanBackendIT extends EngineConformance {
    @Override
    String hostProperty() {
        return "cloche.podmanHost";
    }
}
