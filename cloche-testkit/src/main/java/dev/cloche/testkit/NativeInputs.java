package dev.cloche.testkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The root filesystem and the native binaries (cloche-init, cloche-monitor beside it) a root fixture's backend
 * uses: the prebuilt ones named by {@code -Dcloche.rootfs} / {@code -Dcloche.init} (the build passes make's), else
 * built into the depot with the repository's scripts/make-rootfs.sh and scripts/build-native.sh.
 */
final class NativeInputs {
    private NativeInputs() {}

    static Path rootfs(Path depot) {
        Optional<Path> given = property("cloche.rootfs").filter(Files::isDirectory);
        if (given.isPresent()) return given.get();
        Path built = depot.resolve("rootfs");
        HostCommand.check(List.of("sh", script("make-rootfs.sh").toString(), built.toString()));
        return built;
    }

    static Path initBinary(Path depot) {
        Optional<Path> given = property("cloche.init")
                .filter(p -> Files.isExecutable(p) && Files.isExecutable(p.resolveSibling("cloche-monitor")));
        if (given.isPresent()) return given.get();
        Path bin = depot.resolve("bin");
        HostCommand.check(List.of("sh", script("build-native.sh").toString(), bin.toString()));
        return bin.resolve("cloche-init");
    }

    /** A path property; Maven passes an undefined one through as the literal {@code ${name}}. */
    private static Optional<Path> property(String name) {
        String v = System.getProperty(name, "");
        return v.isBlank() || v.startsWith("${") ? Optional.empty() : Optional.of(Path.of(v));
    }

    /** A script of the repository the tests run in (found upwards from the working directory). */
    private static Path script(String name) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path s = dir.resolve("scripts").resolve(name);
            if (Files.isRegularFile(s)) return s;
        }
        throw new IllegalStateException("no scripts/" + name + " above " + Path.of("").toAbsolutePath()
                + ": pass -Dcloche.rootfs and -Dcloche.init");
    }
}
