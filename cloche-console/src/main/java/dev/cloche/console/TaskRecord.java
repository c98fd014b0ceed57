package dev.cloche.console;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What an agent keeps of a task across its own restart: everything but the token itself, of which only a salted
 * SHA-256 is kept.
 *
 * @param handle the task container's handle
 * @param tokenSalt random bytes hashed before the token
 * @param tokenHash SHA-256(salt ‖ token as UTF-8)
 * @param idleSince since when the task has had no session (empty while it has one): the idle countdown goes on from here
 */
record TaskRecord(String task, String handle, byte[] tokenSalt, byte[] tokenHash, long memoryMiB, long diskMiB,
                  String image, boolean allowForwarding, boolean record, boolean recordInput,
                  Optional<Instant> idleSince) {
    TaskRecord {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(tokenSalt, "tokenSalt");
        Objects.requireNonNull(tokenHash, "tokenHash");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(idleSince, "idleSince");
        TaskCodec.requireTaskId(task);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaskRecord r && task.equals(r.task) && handle.equals(r.handle)
                && java.util.Arrays.equals(tokenSalt, r.tokenSalt) && java.util.Arrays.equals(tokenHash, r.tokenHash)
                && memoryMiB == r.memoryMiB && diskMiB == r.diskMiB && image.equals(r.image)
                && allowForwarding == r.allowForwarding && record == r.record && recordInput == r.recordInput
                && idleSince.equals(r.idleSince);
    }

    @Override
    public int hashCode() {
        return Objects.hash(task, handle, idleSince);
    }

    @Override
    public String toString() {
        return "TaskRecord[task=" + task + ", handle=" + handle + ", idleSince=" + idleSince + "]";
    }
}
