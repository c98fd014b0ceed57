package dev.cloche.api;

/** Garden's {@code Capacity}. */
public record Capacity(long memoryInBytes, long diskInBytes, long schedulableDiskInBytes, long maxContainers) {}
