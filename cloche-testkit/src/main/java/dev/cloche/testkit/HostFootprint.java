package dev.cloche.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a Linux backend holds on the host for one depot, cgroup parent and network prefix: runtime state, mounts,
 * cgroups, processes, depot entries, nftables tables and network interfaces. Each is listed as one readable line, so
 * a proof that nothing is left can say what is; {@link #sweep()} removes whatever is found.
 */
final class HostFootprint {
    private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

    private final Path depot;
    private final String runtime;
    private final Path runtimeRoot;
    private final Path processRoot;
    private final String cgroupParent;
    private final Optional<String> networkPrefix;

    HostFootprint(Path depot, String runtime, Path runtimeRoot, Path processRoot, String cgroupParent,
                  Optional<String> networkPrefix) {
        this.depot = depot;
        this.runtime = runtime;
        this.runtimeRoot = runtimeRoot;
        this.processRoot = processRoot;
        this.cgroupParent = cgroupParent;
        this.networkPrefix = networkPrefix;
    }

    /** Everything of the depot, the cgroup parent and the prefix; empty when a backend left nothing. */
    List<String> all() {
        List<String> found = new ArrayList<>();
        runtimeContainers().forEach(id -> found.add("runtime container " + id + " in " + runtimeRoot));
        mountsUnder(depot).forEach(m -> found.add("mount " + m));
        cgroupDirs("").forEach(d -> found.add("cgroup " + d));
        processes("/" + cgroupParent, depot.toString()).forEach(p -> found.add("process " + p));
        for (Path dir : List.of(depot.resolve("containers"), processRoot)) {
            entries(dir).forEach(e -> found.add("depot entry " + e));
        }
        nftTables().forEach(t -> found.add("nftables table " + t));
        links().forEach(l -> found.add("network interface " + l));
        return found;
    }

    /**
     * What one container holds: {@code id} names its depot entry, runtime container and cgroup; {@code containerIp}
     * (empty without networking) its host veth, nftables chain and bandwidth table.
     */
    List<String> ofContainer(String id, String containerIp) {
        List<String> found = new ArrayList<>();
        if (runtimeContainers().contains(id)) found.add("runtime container " + id);
        Path dir = depot.resolve("containers").resolve(id);
        mountsUnder(dir).forEach(m -> found.add("mount " + m));
        cgroupDirs(id).forEach(d -> found.add("cgroup " + d));
        processes("/" + cgroupParent + "/" + id, processRoot.resolve(id) + "/").forEach(p -> found.add("process " + p));
        for (Path entry : List.of(dir, processRoot.resolve(id))) {
            if (Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) found.add("depot entry " + entry);
        }
        if (networkPrefix.isPresent() && !containerIp.isEmpty()) {
            String prefix = networkPrefix.get();
            String hex = hex(containerIp);
            String table = "cloche-" + prefix;
            if (links().contains(prefix + hex + "-0")) found.add("network interface " + prefix + hex + "-0");
            if (HostCommand.run("nft", "list", "chain", "inet", table, "c-" + hex).ok()) {
                found.add("nftables chain inet " + table + " c-" + hex);
            }
            if (nftTables().contains("netdev " + table + "-bw-" + hex)) found.add("nftables table netdev " + table + "-bw-" + hex);
        }
        return found;
    }

    /** Directories {@code <hierarchy>/<parent>/<group>} that exist, in every cgroup hierarchy; "" for the parent itself. */
    List<Path> cgroupDirs(String group) {
        List<Path> dirs = new ArrayList<>();
        for (Path h : hierarchies()) {
            Path top = group.isEmpty() ? h.resolve(cgroupParent) : h.resolve(cgroupParent).resolve(group);
            if (!Files.isDirectory(top, LinkOption.NOFOLLOW_LINKS)) continue;
            try (Stream<Path> walk = Files.walk(top)) {
                walk.filter(Files::isDirectory).forEach(dirs::add);
            } catch (NoSuchFileException e) {
                // removed while we looked
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dirs;
    }

    /**
     * Removes everything {@link #all()} finds: runtime containers, processes, then mounts (lazily, deepest first),
     * cgroup dirs (deepest first), nftables tables and interfaces. Returns what could not be removed.
     */
    List<String> sweep() {
        for (String id : runtimeContainers()) {
            HostCommand.run(runtime, "--root", runtimeRoot.toString(), "kill", id, "KILL");
            HostCommand.run(runtime, "--root", runtimeRoot.toString(), "delete", "--force", id);
        }
        List<ProcessHandle> doomed = processPids("/" + cgroupParent, depot.toString()).stream()
                .flatMap(pid -> ProcessHandle.of(pid).stream()).toList();
        doomed.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle p : doomed) {
            p.onExit().completeOnTimeout(p, 10, java.util.concurrent.TimeUnit.SECONDS).join();
        }
        for (String m : mountsUnder(depot).stream().sorted(Comparator.comparing(String::length).reversed()).toList()) {
            HostCommand.run("umount", "-l", m);
        }
        for (Path d : cgroupDirs("").stream().sorted(Comparator.comparing(Path::getNameCount).reversed()).toList()) {
            try {
                Files.deleteIfExists(d);
            } catch (IOException e) {
                // reported by the listing below
            }
        }
        for (String t : nftTables()) HostCommand.run(("nft delete table " + t).split(" "));
        for (String l : links()) HostCommand.run("ip", "link", "del", l);
        List<String> left = new ArrayList<>(all());
        left.removeIf(line -> line.startsWith("depot entry ")); // the depot goes as a whole once nothing is mounted in it
        return left;
    }

    List<String> mountsUnder(Path dir) {
        String top = dir.toString();
        try {
            return Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> unescape(l.split(" ")[1]))
                    .filter(m -> m.equals(top) || m.startsWith(top + "/")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** /proc/self/mounts writes space, tab, newline and backslash as octal escapes. */
    private static String unescape(String field) {
        Matcher m = Pattern.compile("\\\\([0-7]{3})").matcher(field);
        StringBuilder out = new StringBuilder();
        while (m.find()) m.appendReplacement(out, Matcher.quoteReplacement(String.valueOf((char) Integer.parseInt(m.group(1), 8))));
        return m.appendTail(out).toString();
    }

    private List<String> runtimeContainers() {
        if (!Files.isDirectory(runtimeRoot)) return List.of();
        HostCommand.Result r = HostCommand.run(runtime, "--root", runtimeRoot.toString(), "list", "-q");
        if (!r.ok()) return List.of(runtime + " list failed: " + r.stderr().strip());
        return r.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static List<Path> hierarchies() {
        try (Stream<Path> s = Files.list(CGROUP_ROOT)) {
            return s.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Processes in the cgroup {@code group} (or below it) of any hierarchy, or whose command line names {@code path}. */
    private List<String> processes(String group, String path) {
        List<String> found = new ArrayList<>();
        for (long pid : processPids(group, path)) {
            found.add(pid + " " + read(Path.of("/proc", Long.toString(pid), "cmdline")).replace('\0', ' ').strip());
        }
        return found;
    }

    private static List<Long> processPids(String group, String path) {
        long self = ProcessHandle.current().pid();
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                long pid = Long.parseLong(p.getFileName().toString());
                if (pid == self) continue;
                boolean inGroup = read(p.resolve("cgroup")).lines().map(l -> l.substring(l.indexOf(':', l.indexOf(':') + 1) + 1))
                        .anyMatch(g -> g.equals(group) || g.startsWith(group + "/"));
                if (inGroup || read(p.resolve("cmdline")).replace('\0', ' ').contains(path)) pids.add(pid);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pids;
    }

    /** A /proc file, or "" when its process is gone. */
    private static String read(Path p) {
        try {
            return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static List<Path> entries(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** "family name" of the prefix's tables: the rules table and the per-container bandwidth tables. */
    private List<String> nftTables() {
        if (networkPrefix.isEmpty()) return List.of();
        Pattern ours = Pattern.compile("table (\\S+) (cloche-" + Pattern.quote(networkPrefix.get()) + "(-bw-[0-9a-f]{8})?)");
        return HostCommand.run("nft", "list", "tables").stdout().lines().map(ours::matcher).filter(Matcher::matches)
                .map(m -> m.group(1) + " " + m.group(2)).toList();
    }

    /** Host veths ({@code <prefix><hex ip>-0}, and a peer not yet moved) and bridges ({@code <prefix>br<hex>}). */
    private List<String> links() {
        if (networkPrefix.isEmpty()) return List.of();
        String p = Pattern.quote(networkPrefix.get());
        Pattern ours = Pattern.compile(p + "[0-9a-f]{8}-[01]|" + p + "br[0-9a-f]{8}");
        Matcher names = Pattern.compile("(?m)^\\d+: ([^:@\\s]+)[@:]").matcher(HostCommand.run("ip", "-o", "link", "show").stdout());
        List<String> found = new ArrayList<>();
        while (names.find()) {
            if (ours.matcher(names.group(1)).matches()) found.add(names.group(1));
        }
        return found;
    }

    private static String hex(String ipv4) {
        long ip = 0;
        for (String octet : ipv4.split("\\.")) ip = ip << 8 | Integer.parseInt(octet);
        return String.format("%08x", ip);
    }
}
