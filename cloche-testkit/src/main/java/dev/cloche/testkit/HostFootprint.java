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
 * a proof that nothing is left can say what is; {@link #sweep()} removes whatever is found. {@link #census()} counts
 * the same things and more (veths, nftables rules, tc qdiscs, the process tmpfs's usage), for before/after checks.
 */
public final class HostFootprint {
    private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

    private final Path depot;
    private final String runtime;
    private final Path runtimeRoot;
    private final Path processRoot;
    private final String cgroupParent;
    private final Optional<String> networkPrefix;

    public HostFootprint(Path depot, String runtime, Path runtimeRoot, Path processRoot, String cgroupParent,
                  Optional<String> networkPrefix) {
        this.depot = depot;
        this.runtime = runtime;
        this.runtimeRoot = runtimeRoot;
        this.processRoot = processRoot;
        this.cgroupParent = cgroupParent;
        this.networkPrefix = networkPrefix;
    }

    /** Everything of the depot, the cgroup parent and the prefix; empty when a backend left nothing. */
    public List<String> all() {
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
    public List<String> sweep() {
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

    /** Never this JVM or its ancestors: a shell that started it may name the depot on its command line. */
    private static List<Long> processPids(String group, String path) {
        java.util.Set<Long> asking = new java.util.HashSet<>();
        for (ProcessHandle h = ProcessHandle.current(); h != null; h = h.parent().orElse(null)) asking.add(h.pid());
        List<Long> pids = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                long pid = Long.parseLong(p.getFileName().toString());
                if (asking.contains(pid)) continue;
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
        return ourTables(HostCommand.run("nft", "list", "tables").stdout(), networkPrefix.get());
    }

    /** The lines of {@code nft list tables} that are the prefix's tables, as "family name". */
    static List<String> ourTables(String nftListTables, String prefix) {
        Pattern ours = Pattern.compile("table (\\S+) (cloche-" + Pattern.quote(prefix) + "(-bw-[0-9a-f]{8})?)");
        return nftListTables.lines().map(ours::matcher).filter(Matcher::matches)
                .map(m -> m.group(1) + " " + m.group(2)).toList();
    }

    /** Host veths ({@code <prefix><hex ip>-0}, and a peer not yet moved) and bridges ({@code <prefix>br<hex>}). */
    private List<String> links() {
        if (networkPrefix.isEmpty()) return List.of();
        return ourLinks(HostCommand.run("ip", "-o", "link", "show").stdout(), networkPrefix.get());
    }

    /** The interface names of {@code ip -o link show} that are the prefix's veths and bridges. */
    static List<String> ourLinks(String ipOneLineLinks, String prefix) {
        Pattern ours = linkName(prefix);
        Matcher names = Pattern.compile("(?m)^\\d+: ([^:@\\s]+)[@:]").matcher(ipOneLineLinks);
        List<String> found = new ArrayList<>();
        while (names.find()) {
            if (ours.matcher(names.group(1)).matches()) found.add(names.group(1));
        }
        return found;
    }

    private static Pattern linkName(String prefix) {
        String p = Pattern.quote(prefix);
        return Pattern.compile(p + "[0-9a-f]{8}-[01]|" + p + "br[0-9a-f]{8}");
    }

    /**
     * Counts for a before/after comparison: every kind {@link #all()} lists, cgroups per hierarchy (below the parent,
     * which the backend makes once and keeps), and what a
     * container adds besides (nftables chains and rules, veths, bridges, tc qdiscs on them, the process tmpfs's
     * usage in KiB when it is a mount of its own). Processes are those {@link #all()} names, so a daemon whose command
     * line names the depot is one of them (the caller and its ancestors never are).
     */
    public java.util.Map<String, Long> census() {
        java.util.Map<String, Long> counts = new java.util.LinkedHashMap<>();
        counts.put("runtime containers", (long) runtimeContainers().size());
        List<String> mounts = mountsUnder(depot);
        counts.put("mounts", (long) mounts.size());
        for (Path h : hierarchies()) {
            Path top = h.resolve(cgroupParent);
            long n = 0;
            if (Files.isDirectory(top, LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> walk = Files.walk(top)) {
                    n = walk.filter(Files::isDirectory).count() - 1;
                } catch (IOException | UncheckedIOException e) {
                    n = -1; // changed while we walked; a census is taken when nothing should change
                }
            }
            counts.put("cgroups " + h.getFileName(), n);
        }
        counts.put("processes", (long) processes("/" + cgroupParent, depot.toString()).size());
        counts.put("depot containers", (long) entries(depot.resolve("containers")).size());
        counts.put("process directories", (long) entries(processRoot).size());
        if (mounts.contains(processRoot.toString())) {
            try {
                java.nio.file.FileStore store = Files.getFileStore(processRoot);
                counts.put("process tmpfs KiB used", (store.getTotalSpace() - store.getUnallocatedSpace()) / 1024);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        if (networkPrefix.isPresent()) {
            String prefix = networkPrefix.get();
            counts.put("nftables tables", (long) nftTables().size());
            NftCount nft = nftRules(HostCommand.run("nft", "-a", "list", "ruleset").stdout(), prefix);
            counts.put("nftables chains", nft.chains());
            counts.put("nftables rules", nft.rules());
            List<String> links = links();
            counts.put("veths", links.stream().filter(l -> !l.startsWith(prefix + "br")).count());
            counts.put("bridges", links.stream().filter(l -> l.startsWith(prefix + "br")).count());
            counts.put("tc qdiscs", qdiscs(HostCommand.run("tc", "qdisc", "show").stdout(), prefix));
        }
        return counts;
    }

    /** Chains and rules in the prefix's nftables tables. */
    record NftCount(long chains, long rules) {}

    /**
     * Reads {@code nft -a list ruleset}: in the prefix's tables, a chain is a line {@code chain NAME { # handle N} and
     * a rule is any other line that carries a handle, except the table, set, map and flowtable headers.
     */
    static NftCount nftRules(String ruleset, String prefix) {
        Pattern ourTable = Pattern.compile("table \\S+ cloche-" + Pattern.quote(prefix) + "(-bw-[0-9a-f]{8})? \\{.*");
        boolean inOurs = false;
        long chains = 0;
        long rules = 0;
        for (String raw : ruleset.lines().toList()) {
            String line = raw.strip();
            if (line.startsWith("table ")) {
                inOurs = ourTable.matcher(line).matches();
                continue;
            }
            if (!inOurs || !line.contains("# handle ")) continue;
            String first = line.split("\\s+", 2)[0];
            if (first.equals("chain")) chains++;
            else if (!List.of("set", "map", "flowtable").contains(first)) rules++;
        }
        return new NftCount(chains, rules);
    }

    /** Lines of {@code tc qdisc show} on the prefix's interfaces. */
    static long qdiscs(String tcQdiscShow, String prefix) {
        Pattern dev = Pattern.compile("\\bdev (\\S+)");
        Pattern ours = linkName(prefix);
        return tcQdiscShow.lines().map(dev::matcher).filter(Matcher::find)
                .filter(m -> ours.matcher(m.group(1)).matches()).count();
    }

    private static String hex(String ipv4) {
        long ip = 0;
        for (String octet : ipv4.split("\\.")) ip = ip << 8 | Integer.parseInt(octet);
        return String.format("%08x", ip);
    }
}
