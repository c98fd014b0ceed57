package dev.cloche.linux.oci;

import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.ResourceExhaustedException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a failed runtime call means for the caller: when the runtime's message shows that a host limit stopped it, a
 * {@link ResourceExhaustedException} that names the limit and how to raise it (the runtime's own line follows, for
 * the operator); any other failure stays an internal error carrying the runtime's message. Pure: the message is text.
 * A container's own pid and memory limits are not judged here: their words (EAGAIN, ENOMEM, a reset pipe) are not
 * specific, so LimitedStart decides them from the cgroup's counters, and needs them to stay internal errors.
 */
public final class RuntimeFailures {
    private RuntimeFailures() {}

    /** A host limit recognised in a runtime's message: what to look for, and what the client is told. */
    private record Limit(List<String> allOf, String named) {
        boolean matches(String text) {
            return allOf.stream().allMatch(text::contains);
        }
    }

    /** Most specific first: the keyring quota is also reported as "disk quota exceeded". */
    private static final List<Limit> LIMITS = List.of(
            new Limit(List.of("key", "quota exceeded"), "the kernel's key quota of the container's host user is "
                    + "reached (sysctl kernel.keys.maxkeys and maxbytes; root's: root_maxkeys and root_maxbytes)"),
            new Limit(List.of("quota exceeded"), "a disk quota of the depot's filesystem is reached"),
            new Limit(List.of("no space left on device"), "no space left on a host filesystem or kernel table "
                    + "(the depot's disk, the process tmpfs, or a namespace, mount or inotify limit: "
                    + "user.max_*_namespaces, fs.mount-max, fs.inotify.*)"),
            new Limit(List.of("too many open files"), "the open-files limit is reached (RLIMIT_NOFILE, fs.file-max)"));

    /** The limit {@code runtimeMessage} shows was reached, as the client is told it. */
    public static Optional<String> limitReached(String runtimeMessage) {
        String text = runtimeMessage.toLowerCase(Locale.ROOT);
        return LIMITS.stream().filter(l -> l.matches(text)).map(Limit::named).findFirst();
    }

    /**
     * The error of a failed runtime call: {@code failed} says what failed ("cannot start process p"), the runtime said
     * {@code runtimeMessage}.
     */
    public static GardenException of(String failed, String runtimeMessage) {
        String said = runtimeMessage.strip();
        return limitReached(said).<GardenException>map(limit ->
                        new ResourceExhaustedException(failed + ": " + limit + " (runtime: " + lastLine(said) + ")"))
                .orElseGet(() -> GardenError.internal(failed + ": " + said));
    }

    private static String lastLine(String text) {
        String[] lines = text.lines().filter(l -> !l.isBlank()).toArray(String[]::new);
        return lines.length == 0 ? "" : lines[lines.length - 1].strip();
    }
}
