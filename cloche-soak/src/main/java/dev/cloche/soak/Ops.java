package dev.cloche.soak;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/** The container calls every part makes, each checking its answer: a wrong answer is as unexpected as an error. */
final class Ops {
    private Ops() {}

    /** Limits that bind (so their code paths run) and leave a shell room: 64 MiB, 64 pids, half the default weight. */
    static final Limits LIMITS = new Limits(Limits.NONE.bandwidth(), new CpuLimits(50, 0), Limits.NONE.disk(),
            new MemoryLimits(64L << 20), new PidLimits(64));

    /** A spec with limits and a grace time, so a soak that dies leaves nothing for more than ten minutes. */
    static ContainerSpec spec(String handle, Map<String, String> properties) {
        return ContainerSpec.withHandle(handle).withLimits(LIMITS).withProperties(properties)
                .withGraceTime(Duration.ofMinutes(10));
    }

    /** Runs {@code sh -c 'echo <token>'} and checks the exit status and the output. */
    static void echo(Container c, String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (Process p = c.run(ProcessSpec.of("/bin/sh", "-c", "echo " + token), ProcessIO.output(out, err))) {
            status = p.await();
        }
        expect(status == 0, "echo exited " + status + ", stderr " + err.toString(StandardCharsets.UTF_8).strip());
        expect(out.toString(StandardCharsets.UTF_8).equals(token + "\n"),
                "echo printed '" + out.toString(StandardCharsets.UTF_8).strip() + "', not '" + token + "'");
    }

    static void expect(boolean ok, String what) {
        if (!ok) throw new WrongAnswer(what);
    }

    /** An answer that came back without an error but was not what the call promises. */
    static final class WrongAnswer extends RuntimeException {
        WrongAnswer(String what) {
            super(what);
        }
    }
}
