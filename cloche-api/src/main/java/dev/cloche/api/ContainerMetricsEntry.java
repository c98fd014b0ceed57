package dev.cloche.api;

import java.util.Objects;
import java.util.Optional;

/** One entry of a bulk metrics answer: the metrics, or the error for that handle. */
public record ContainerMetricsEntry(Optional<ContainerMetrics> metrics, Optional<GardenException> error) {
    public ContainerMetricsEntry { Objects.requireNonNull(metrics, "metrics"); Objects.requireNonNull(error, "error"); }
    public static ContainerMetricsEntry of(ContainerMetrics m) { return new ContainerMetricsEntry(Optional.of(m), Optional.empty()); }
    public static ContainerMetricsEntry failed(GardenException e) { return new ContainerMetricsEntry(Optional.empty(), Optional.of(e)); }
}
