package dev.cloche.linux.image;

/** What a collection removed. */
public record PruneReport(int images, int layers, long bytes) { }
