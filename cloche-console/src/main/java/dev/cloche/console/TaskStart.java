package dev.cloche.console;

import java.util.Objects;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * The {@code task.start} payload: {@code {"task":"<id>","secure_token":"<token>","memory_limit":<MiB>,"disk_limit":<MiB>,
 * "image":"<reference>",
 * "allow_forwarding":true}}. An absent (or zero) limit means unlimited; each limit is independent. {@code image} is
 * Cloche's addition to narc's payload: any image reference Garden's {@code image.uri} takes (e.g.
 * {@code docker:///debian#12}); absent means the agent's default rootfs. {@code allow_forwarding} lets the task's SSH
 * clients forward local ports ({@code ssh -L}) to the task's container; absent means false. {@code record} writes
 * an asciinema v2 file per session under the agent's state directory; {@code record_input} (only with {@code record})
 * records what the client typed too.
 *
 * @param task the task id; also the SSH user name and the container handle
 * @param secureToken the SSH password of the task
 */
public record TaskStart(String task, String secureToken, OptionalLong memoryLimitMiB, OptionalLong diskLimitMiB,
                        String image, boolean allowForwarding, boolean record, boolean recordInput) {
    /** Task ids are SSH user names and container handles: a conservative charset keeps them valid as both. */
    static final Pattern TASK_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    public TaskStart {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(secureToken, "secureToken");
        Objects.requireNonNull(memoryLimitMiB, "memoryLimitMiB");
        Objects.requireNonNull(diskLimitMiB, "diskLimitMiB");
        Objects.requireNonNull(image, "image");
        TaskCodec.requireTaskId(task);
        if (secureToken.isEmpty()) {
            throw new MalformedMessageException("secure_token must not be empty");
        }
        if (recordInput && !record) {
            throw new MalformedMessageException("record_input needs record");
        }
        memoryLimitMiB = TaskCodec.nonZero(memoryLimitMiB, "memory_limit");
        diskLimitMiB = TaskCodec.nonZero(diskLimitMiB, "disk_limit");
    }

    /** A task without recording. */
    public TaskStart(String task, String secureToken, OptionalLong memoryLimitMiB, OptionalLong diskLimitMiB,
                     String image, boolean allowForwarding) {
        this(task, secureToken, memoryLimitMiB, diskLimitMiB, image, allowForwarding, false, false);
    }

    /** A task without port forwarding. */
    public TaskStart(String task, String secureToken, OptionalLong memoryLimitMiB, OptionalLong diskLimitMiB,
                     String image) {
        this(task, secureToken, memoryLimitMiB, diskLimitMiB, image, false);
    }

    /** A task on the agent's default rootfs, without port forwarding. */
    public TaskStart(String task, String secureToken, OptionalLong memoryLimitMiB, OptionalLong diskLimitMiB) {
        this(task, secureToken, memoryLimitMiB, diskLimitMiB, "", false);
    }

    /** This task with {@code ssh -L} into its container allowed. */
    public TaskStart withForwarding() {
        return new TaskStart(task, secureToken, memoryLimitMiB, diskLimitMiB, image, true, record, recordInput);
    }

    /** This task with its sessions recorded (and what clients type, when {@code input}). */
    public TaskStart withRecording(boolean input) {
        return new TaskStart(task, secureToken, memoryLimitMiB, diskLimitMiB, image, allowForwarding, true, input);
    }

    /** MiB reserved on the agent's memory budget (0 for an unlimited task). */
    long reservedMemoryMiB() {
        return memoryLimitMiB.orElse(0);
    }

    long reservedDiskMiB() {
        return diskLimitMiB.orElse(0);
    }

    /** The token is a password: it never appears in logs or exception messages. */
    @Override
    public String toString() {
        return "TaskStart[task=" + task + ", memoryLimitMiB=" + memoryLimitMiB + ", diskLimitMiB=" + diskLimitMiB
                + (image.isEmpty() ? "" : ", image=" + image) + (allowForwarding ? ", allowForwarding" : "")
                + (record ? ", record" : "") + (recordInput ? ", recordInput" : "") + "]";
    }
}
