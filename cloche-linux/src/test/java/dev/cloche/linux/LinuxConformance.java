package dev.cloche.linux;

import dev.cloche.api.CpuLimits;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.testkit.BackendConformance;
import dev.cloche.testkit.BusyboxProcesses;
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
abstract class LinuxConformance extends BackendConformance implements BusyboxProcesses {
    /** Above this a cgroup v1 memory limit is the kernel's "unlimited" (a page-rounded LONG_MAX). */
    private static final long UNLIMITED = 1L << 62;

    /** The subclass's root fixture. */
    abstract RootBackendExtension root();

    @Override
    public ContainerBackend backend() {
        return root().backend();
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
