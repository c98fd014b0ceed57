package dev.cloche.linux.oci;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An OCI process, both the container's init and every {@code runc exec}.
 *
 * @param capabilities bounding set; {@code effectiveCapabilities} says whether it is also effective/permitted
 * @param console present for a process on a terminal ({@code terminal: true}) with its initial window
 */
public record OciProcess(List<String> args, List<String> env, String cwd, long uid, long gid,
                         List<String> capabilities, boolean effectiveCapabilities, List<Rlimit> rlimits,
                         Optional<ConsoleSize> console) {

    public static final OciProcess EMPTY = new OciProcess(List.of(), List.of(), "/", 0, 0, List.of(), false, List.of());

    public OciProcess {
        Objects.requireNonNull(cwd, "cwd");
        args = List.copyOf(args);
        env = List.copyOf(env);
        capabilities = List.copyOf(capabilities);
        rlimits = List.copyOf(rlimits);
        Objects.requireNonNull(console, "console");
    }

    /** A process without a terminal. */
    public OciProcess(List<String> args, List<String> env, String cwd, long uid, long gid,
                      List<String> capabilities, boolean effectiveCapabilities, List<Rlimit> rlimits) {
        this(args, env, cwd, uid, gid, capabilities, effectiveCapabilities, rlimits, Optional.empty());
    }

    /** A terminal window in character cells. */
    public record ConsoleSize(int rows, int columns) {}

    /** A setrlimit entry, e.g. {@code RLIMIT_NOFILE}. */
    public record Rlimit(String type, long hard, long soft) {
        public Rlimit { Objects.requireNonNull(type, "type"); }
    }
}
