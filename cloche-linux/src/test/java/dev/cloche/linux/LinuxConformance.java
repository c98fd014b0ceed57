package dev.cloche.linux;

import dev.cloche.api.CpuLimits;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.testkit.BackendConformance;
import dev.cloche.testkit.RootBackendExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The conformance suite on the Linux backend as root, for each runtime (a subclass per runtime, each with its own
 * root fixture): processes are busybox programs, limits are read back from the cgroup v1 files, and what a container
 * holds is what the fixture finds on the host.
 */
abstract class LinuxConformance extends BackendConformance {
    /** Above this a cgroup v1 memory limit is the kernel's "unlimited" (a page-rounded LONG_MAX). */
    private static final long UNLIMITED = 1L << 62;

    /** The subclass's root fixture. */
    abstract RootBackendExtension root();

    @Override
    public ContainerBackend backend() {
        return root().backend();
    }

    @Override
    public ProcessSpec echo(String text) {
        return ProcessSpec.of("echo", text);
    }

    @Override
    public ProcessSpec emit(String out, String err, int code) {
        return ProcessSpec.of("sh", "-c", "echo " + out + "; echo " + err + " >&2; exit " + code);
    }

    @Override
    public ProcessSpec sleeper() {
        return ProcessSpec.of("sleep", "1000");
    }

    /** The shell keeps 100000 numbers in a variable, then spins. */
    @Override
    public ProcessSpec busy() {
        return ProcessSpec.of("sh", "-c", "x=$(seq 1 100000); while :; do :; done");
    }

    @Override
    public ProcessSpec serveHttp(int port, String body) {
        return ProcessSpec.of("sh", "-c", "mkdir -p /www && printf %s \"$1\" > /www/index.html && exec httpd -f -p \"$2\" -h /www",
                "sh", body, Integer.toString(port));
    }

    @Override
    public ProcessSpec fetch(String url) {
        return ProcessSpec.of("timeout", "5", "wget", "-q", "-O", "/dev/null", url);
    }

    @Override
    public Limits appliedLimits(BackendContainer c) {
        String id = root().idOf(c);
        long memory = Long.parseLong(read(root().cgroup("memory", id).resolve("memory.limit_in_bytes")));
        long shares = Long.parseLong(read(root().cgroup("cpu", id).resolve("cpu.shares")));
        String pids = read(root().cgroup("pids", id).resolve("pids.max"));
        return Limits.NONE.withMemory(new MemoryLimits(memory >= UNLIMITED ? 0 : memory)).withCpu(new CpuLimits(shares, 0))
                .withPid(new PidLimits(pids.equals("max") ? 0 : Long.parseLong(pids)));
    }

    @Override
    public List<String> resourcesOf(String handle, BackendInfo whileLive) {
        return root().leftoversOf(whileLive);
    }

    /** The old backend's process objects are let go first, as the daemon's death would ({@link CrashedDaemon}). */
    @Override
    public Optional<ContainerBackend> restart() {
        for (BackendContainer c : root().live()) CrashedDaemon.letGo(c);
        return Optional.of(root().reopen());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
