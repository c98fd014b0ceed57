package dev.cloche.linux.oci;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.GardenException;
import dev.cloche.api.ResourceExhaustedException;
import org.junit.jupiter.api.Test;

class RuntimeFailuresTest {

    @Test
    void runcsKeyQuotaMessageIsAResourceExhaustedErrorNamingTheQuota() {
        GardenException e = RuntimeFailures.of("cannot start process p", "exec failed: unable to start container "
                + "process: unable to join session keyring: unable to create session key: disk quota exceeded");
        assertThat(e).isInstanceOf(ResourceExhaustedException.class);
        assertThat(e.getMessage()).startsWith("cannot start process p: the kernel's key quota")
                .contains("kernel.keys.maxkeys").endsWith("(runtime: exec failed: unable to start container process: "
                        + "unable to join session keyring: unable to create session key: disk quota exceeded)");
    }

    @Test
    void crunsKeyringMessageToo() {
        assertThat(RuntimeFailures.limitReached("create keyring `abc`: Disk quota exceeded"))
                .hasValueSatisfying(l -> assertThat(l).startsWith("the kernel's key quota"));
    }

    @Test
    void otherHostLimitsAreNamed() {
        assertThat(RuntimeFailures.limitReached("write /x: disk quota exceeded")).hasValueSatisfying(
                l -> assertThat(l).startsWith("a disk quota"));
        assertThat(RuntimeFailures.limitReached("mkdir /run/x: no space left on device")).hasValueSatisfying(
                l -> assertThat(l).startsWith("no space left"));
        assertThat(RuntimeFailures.limitReached("pipe2: too many open files")).hasValueSatisfying(
                l -> assertThat(l).startsWith("the open-files limit"));
    }

    /** The container's own pid and memory limits are LimitedStart's to judge, from the cgroup: they stay internal. */
    @Test
    void anythingElseStaysAnInternalErrorWithTheRuntimesWords() {
        for (String said : new String[] {"exec: \"nope\": executable file not found",
                "read init-p: connection reset by peer", "fork/exec: resource temporarily unavailable",
                "cannot allocate memory"}) {
            GardenException e = RuntimeFailures.of("cannot start process p", said);
            assertThat(e.kind()).isEqualTo(GardenException.Kind.INTERNAL);
            assertThat(e.getMessage()).isEqualTo("cannot start process p: " + said);
        }
    }
}
