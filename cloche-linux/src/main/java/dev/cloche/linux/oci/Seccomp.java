package dev.cloche.linux.oci;

import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * An OCI {@code linux.seccomp} section: a default action for every syscall no rule names, and the rules. Names use
 * libseccomp's spelling (e.g. {@code SCMP_ACT_ERRNO}); a name the runtime's libseccomp does not know for an
 * architecture is skipped by runc and crun, so a profile may name syscalls of 32-bit x86 too.
 */
public record Seccomp(String defaultAction, List<String> architectures, List<Rule> syscalls) {
    public Seccomp {
        Objects.requireNonNull(defaultAction, "defaultAction");
        architectures = List.copyOf(architectures);
        syscalls = List.copyOf(syscalls);
    }

    /** One rule: its syscalls get {@code action} (with {@code errnoRet} for an errno action) when every arg matches. */
    public record Rule(List<String> names, String action, OptionalLong errnoRet, List<Arg> args) {
        public Rule {
            names = List.copyOf(names);
            Objects.requireNonNull(action, "action");
            Objects.requireNonNull(errnoRet, "errnoRet");
            args = List.copyOf(args);
        }
    }

    /** A condition on argument {@code index}: {@code op} is e.g. {@code SCMP_CMP_EQ}, or {@code SCMP_CMP_MASKED_EQ}
     *  with {@code value} the mask and {@code valueTwo} what the masked argument must equal. */
    public record Arg(int index, long value, long valueTwo, String op) {
        public Arg { Objects.requireNonNull(op, "op"); }
    }
}
