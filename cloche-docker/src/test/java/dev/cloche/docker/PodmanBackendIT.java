package dev.cloche.docker;

/** The conformance suite on podman's Docker-compatible service, on the private socket scripts/test-engines.sh starts. */
class PodmanBackendIT extends EngineConformance {
    /** Podman 4.3's compatible service has no container update (POST /containers/{id}/update answers 404). */
    @Override
    public java.util.Set<Limitation> limitations() {
        java.util.Set<Limitation> all = new java.util.HashSet<>(super.limitations());
        all.add(Limitation.LIVE_LIMIT_CHANGES);
        return java.util.Set.copyOf(all);
    }

    @Override
    String hostProperty() {
        return "cloche.podmanHost";
    }
}
