package dev.cloche.api;

import java.util.Objects;
import java.util.Optional;

/** One entry of a bulk info answer: the info, or the error for that handle. */
public record ContainerInfoEntry(Optional<ContainerInfo> info, Optional<GardenException> error) {
    public ContainerInfoEntry { Objects.requireNonNull(info, "info"); Objects.requireNonNull(error, "error"); }
    public static ContainerInfoEntry of(ContainerInfo i) { return new ContainerInfoEntry(Optional.of(i), Optional.empty()); }
    public static ContainerInfoEntry failed(GardenException e) { return new ContainerInfoEntry(Optional.empty(), Optional.of(e)); }
}
