package dev.cloche.linux;

import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.linux.sys.HostProgram;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What the host must offer for a configuration, checked once at start: a missing program is named with its Debian
 * package before the daemon serves, instead of surfacing at the first create that needs it.
 */
final class HostRequirements {
    /** Programs every configuration runs: bundles, overlay mounts, disk limits, user-namespaced images. */
    private static final Set<HostProgram> ALWAYS = EnumSet.of(HostProgram.MKDIR, HostProgram.DU, HostProgram.CP,
            HostProgram.CHOWN, HostProgram.CHGRP, HostProgram.FIND, HostProgram.TRUNCATE, HostProgram.MOUNT,
            HostProgram.MKFS_EXT4);
    private static final Set<HostProgram> NETWORKING = EnumSet.of(HostProgram.NFT, HostProgram.IP, HostProgram.TC,
            HostProgram.NSENTER);

    private final Function<HostProgram, Optional<Path>> locate;
    private final Predicate<Path> executable;

    HostRequirements(Function<HostProgram, Optional<Path>> locate, Predicate<Path> executable) {
        this.locate = locate;
        this.executable = executable;
    }

    /** The real host: PATH lookups and the file system. */
    static HostRequirements ofHost() {
        return new HostRequirements(HostProgram::locate, p -> Files.isExecutable(p) && !Files.isDirectory(p));
    }

    /** One line per missing piece: what, where it comes from, and what needs it. Empty when all is there. */
    List<String> missing(Settings s) {
        List<String> missing = new ArrayList<>();
        if (!executable.test(s.runtimePath())) {
            missing.add(s.runtimePath() + " (Debian package " + s.runtime() + "): the OCI runtime (--runtime "
                    + s.runtime() + ")");
        }
        if (!executable.test(s.initBinary())) {
            missing.add(s.initBinary() + ": every container's init, built by `make native`");
        }
        if (!executable.test(s.monitorBinary())) {
            missing.add(s.monitorBinary() + ": the process monitor, built by `make native`");
        }
        if (!executable.test(s.toolBinary())) {
            missing.add(s.toolBinary() + " (Debian package busybox-static): the static busybox that stream-in and"
                    + " stream-out run inside containers");
        }
        for (HostProgram p : ALWAYS) {
            if (locate.apply(p).isEmpty()) missing.add(p.command() + " (Debian package " + p.debianPackage() + ")");
        }
        if (s.net().enabled()) {
            for (HostProgram p : NETWORKING) {
                if (locate.apply(p).isEmpty()) {
                    missing.add(p.command() + " (Debian package " + p.debianPackage() + "): networking; or turn it off"
                            + " with --backend-setting networkPool=none");
                }
            }
        }
        return missing;
    }

    /** Fails with every missing piece at once, so one install fixes them all. */
    void check(Settings s) {
        List<String> missing = missing(s);
        if (!missing.isEmpty()) {
            throw new ServiceUnavailableException("the linux backend cannot start: missing on this host:\n  "
                    + String.join("\n  ", missing) + "\n(`make deps` installs them all)");
        }
    }
}
