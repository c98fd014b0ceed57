package dev.cloche.linux;

import dev.cloche.linux.oci.OciRuntime;
import dev.cloche.linux.oci.OciRuntimes;
import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.DirectoryWatcher;
import dev.cloche.linux.sys.HostProgram;
import dev.cloche.linux.sys.ProcessTable;
import dev.cloche.linux.sys.SealedBinaries;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The OCI runtimes of the backend's containers: new containers get the one the settings name, and each restored
 * container the one it was made with ({@link MadeWith}), so a daemon restarted with another {@code --runtime} keeps
 * managing the containers of the first. One {@link OciRuntime} and one {@link MonitorLauncher} per binary and root.
 */
final class ContainerRuntimes {
    /**
     * A runtime as the backend drives it: its name (runc, crun), binary and state root, its command line, and the
     * launcher of its containers' processes.
     */
    record Runtime(String name, Path binary, Path root, OciRuntime oci, MonitorLauncher launcher) {}

    /** What identifies a runtime: one {@link Runtime} per key. */
    record Key(String name, Path binary, Path root) {}

    private final Settings settings;
    private final Function<Key, Runtime> make;
    private final Function<String, Optional<Path>> locate;
    private final Map<Key, Runtime> made = new ConcurrentHashMap<>();

    ContainerRuntimes(Settings settings, CommandRunner runner, DirectoryWatcher watcher, ProcessTable table,
                      SealedBinaries sealed) {
        // every runtime call, and each monitor's start (which waits for its runtime exec), under runtimeTimeout
        CommandRunner bounded = runner.withTimeout(settings.runtimeTimeout());
        this(settings, k -> {
            OciRuntime oci = OciRuntimes.cli(bounded, k.binary(), k.root(), sealed);
            return new Runtime(k.name(), k.binary(), k.root(), oci,
                    new MonitorLauncher(settings.monitorBinary(), oci, bounded, watcher, table));
        }, name -> HostProgram.byCommand(name).flatMap(HostProgram::locate));
    }

    /** @param locate where a runtime named so is installed on this host */
    ContainerRuntimes(Settings settings, Function<Key, Runtime> make, Function<String, Optional<Path>> locate) {
        this.settings = settings;
        this.make = make;
        this.locate = locate;
    }

    /** The runtime of new containers. */
    Runtime current() {
        return get(new Key(settings.runtime(), settings.runtimePath(), settings.runtimeRoot()));
    }

    /** The runtime that manages a container made with {@code m}; for an unrecorded entry, the current one. */
    Runtime of(MadeWith m) {
        return m.recorded() ? get(new Key(m.runtime(), Path.of(m.runtimePath()), Path.of(m.runtimeRoot()))) : current();
    }

    /**
     * Where to look for a container of an entry that does not say its runtime (made before {@link MadeWith}): the
     * current runtime first, then the other one installed here, on the same runtime root.
     */
    List<Runtime> candidates(MadeWith m) {
        if (m.recorded()) return List.of(of(m));
        List<Runtime> out = new ArrayList<>(List.of(current()));
        String other = settings.runtime().equals("runc") ? "crun" : "runc";
        locate.apply(other).ifPresent(p -> out.add(get(new Key(other, p, settings.runtimeRoot()))));
        return out;
    }

    /** What a container managed by {@code runtime} records, the rest being this daemon's settings. */
    MadeWith madeWith(Runtime runtime) {
        MadeWith now = MadeWith.of(settings);
        return new MadeWith(runtime.name(), runtime.binary().toString(), runtime.root().toString(), now.cgroupParent(),
                now.networkPrefix());
    }

    /** Why this daemon cannot manage a container made with {@code m}, if it cannot: its runtime's binary is gone. */
    static Optional<String> unusable(MadeWith m) {
        if (!m.recorded() || Files.isExecutable(Path.of(m.runtimePath()))) return Optional.empty();
        return Optional.of("it was made with " + m.runtime() + " at " + m.runtimePath() + ", which is no longer there");
    }

    private Runtime get(Key k) {
        return made.computeIfAbsent(k, make);
    }
}
