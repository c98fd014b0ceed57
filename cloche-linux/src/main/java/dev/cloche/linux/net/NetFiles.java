package dev.cloche.linux.net;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a container's network keeps its files, as the depot lays them out.
 *
 * @param entry the container's depot entry: while it exists, so does the container
 * @param state the persisted network ({@link NetState}), replaced through {@code stateTmp} by rename
 * @param hostBatch the {@code ip -batch} script for the host's end of the veth pair (and a new subnet's bridge), removed
 *     once run
 * @param containerBatch the script run in the container's network namespace, removed once run
 */
public record NetFiles(Path entry, Path state, Path stateTmp, Path hostBatch, Path containerBatch) {
    public NetFiles {
        Objects.requireNonNull(entry, "entry");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(stateTmp, "stateTmp");
        Objects.requireNonNull(hostBatch, "hostBatch");
        Objects.requireNonNull(containerBatch, "containerBatch");
    }
}
