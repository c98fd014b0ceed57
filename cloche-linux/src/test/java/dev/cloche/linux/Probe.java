package dev.cloche.linux;

import dev.cloche.api.BindMount;
import dev.cloche.linux.sys.TestShell;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The security ITs' view from inside a container: {@code cloche-probe} (test resource {@code security/cloche-probe.c},
 * compiled static into the fixture's depot and bind-mounted read-only), and parsers of what the kernel reports in
 * /proc/self/status and /proc/self/mountinfo.
 */
final class Probe {
    /** Where the probe appears in a container. */
    static final String DIR = "/opt/probe";
    static final String PATH = DIR + "/cloche-probe";

    private Probe() {}

    /**
     * The probe with {@code args}, through sh: the backend looks for a process's executable in the container's own
     * files, where a bind mount is not.
     */
    static dev.cloche.api.ProcessSpec spec(String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("-c", "exec " + PATH + " \"$@\"", "cloche-probe"));
        argv.addAll(List.of(args));
        return dev.cloche.api.ProcessSpec.of("sh", argv.toArray(String[]::new));
    }

    /** Compiles the probe into {@code depot}/probe and returns the read-only bind mount that shows it to containers. */
    static BindMount install(Path depot) {
        try {
            Path dir = depot.resolve("probe");
            Files.createDirectories(dir);
            Path source = dir.resolve("cloche-probe.c");
            try (InputStream in = Probe.class.getResourceAsStream("/security/cloche-probe.c")) {
                if (in == null) throw new IllegalStateException("no security/cloche-probe.c on the test class path");
                Files.copy(in, source, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            TestShell.check("gcc", "-static", "-O2", "-Wall", "-o", dir.resolve("cloche-probe").toString(), source.toString());
            // the user namespace's root is an unmapped host uid: it needs r-x on the way in
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            return new BindMount(dir.toString(), DIR, BindMount.Mode.RO, BindMount.Origin.HOST);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The five capability sets of a /proc/PID/status text, as bit masks by name (CapInh, CapPrm, CapEff, CapBnd, CapAmb). */
    static Map<String, Long> capabilities(String status) {
        Map<String, Long> caps = new HashMap<>();
        for (String line : status.lines().toList()) {
            String[] kv = line.split(":\\s*", 2);
            if (kv.length == 2 && kv[0].startsWith("Cap")) caps.put(kv[0], Long.parseUnsignedLong(kv[1].strip(), 16));
        }
        return caps;
    }

    /** A status field such as {@code Seccomp}, as its text. */
    static String field(String status, String name) {
        return status.lines().filter(l -> l.startsWith(name + ":")).map(l -> l.substring(name.length() + 1).strip())
                .findFirst().orElseThrow(() -> new AssertionError("no " + name + " in " + status));
    }

    /** The host's own bounding set: what "all" can mean on this machine. */
    static long hostBoundingSet() {
        try {
            return capabilities(Files.readString(Path.of("/proc/self/status"))).get("CapBnd");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One line of /proc/self/mountinfo. */
    record MountInfo(String mountPoint, List<String> options, String fsType, String source, List<String> superOptions) {
        static List<MountInfo> parse(String mountinfo) {
            return mountinfo.lines().map(MountInfo::parseLine).toList();
        }

        private static MountInfo parseLine(String line) {
            String[] sides = line.split(" - ", 2);
            String[] f = sides[0].split(" ");
            String[] g = sides[1].split(" ");
            return new MountInfo(unescape(f[4]), Arrays.asList(f[5].split(",")), g[0], g[1], Arrays.asList(g[2].split(",")));
        }

        private static String unescape(String s) {
            return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
        }

        boolean readOnly() {
            return options.contains("ro");
        }
    }

    /** The last mount at {@code path} (the one a lookup sees), if any. */
    static java.util.Optional<MountInfo> mountAt(List<MountInfo> mounts, String path) {
        MountInfo found = null;
        for (MountInfo m : mounts) if (m.mountPoint().equals(path)) found = m;
        return java.util.Optional.ofNullable(found);
    }
}
