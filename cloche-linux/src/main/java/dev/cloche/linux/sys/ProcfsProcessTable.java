package dev.cloche.linux.sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/** {@link ProcessTable} on the running kernel: {@code ProcessHandle} for handles, /proc for state, pidfds for kills. */
final class ProcfsProcessTable implements ProcessTable {
    static final ProcfsProcessTable INSTANCE = new ProcfsProcessTable();

    private ProcfsProcessTable() {}

    @Override
    public Optional<Handle> find(long pid) {
        // a ProcessHandle remembers the start time, so isAlive() is false for a recycled pid
        return ProcessHandle.of(pid).map(JdkHandle::new);
    }

    @Override
    public boolean goneOrZombie(long pid) {
        return ProcFs.goneOrZombie(pid);
    }

    @Override
    public boolean awaitGone(List<Long> pids, Duration timeout) {
        return ProcFs.awaitGone(pids, timeout);
    }

    @Override
    public List<String> commandLine(long pid) {
        try {
            String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.ISO_8859_1);
            return List.of(cmdline.split("\0"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Through a pidfd, which pins the process: the check runs after opening it, so a pid recycled before the open
     * fails the check and one recycled after it is never signalled. The exit is waited for by polling the pidfd,
     * not /proc.
     */
    @Override
    public boolean killPinned(long pid, BooleanSupplier stillOurs, Duration wait) {
        if (pid <= 0) return false;
        Optional<Pidfd> fd = Pidfd.open(pid);
        if (fd.isEmpty()) return false;
        try (Pidfd p = fd.get()) {
            if (!stillOurs.getAsBoolean()) return false;
            return p.signal(9) && p.awaitExit(wait);
        }
    }

    @Override
    public Path root(long pid) {
        return Path.of("/proc/" + pid + "/root");
    }

    private record JdkHandle(ProcessHandle handle) implements Handle {
        @Override public long pid() { return handle.pid(); }
        @Override public boolean isAlive() { return handle.isAlive(); }
        @Override public long parentPid() { return handle.parent().map(ProcessHandle::pid).orElse(-1L); }
        @Override public void terminate() { handle.destroy(); }
        @Override public void kill() { handle.destroyForcibly(); }
    }
}
