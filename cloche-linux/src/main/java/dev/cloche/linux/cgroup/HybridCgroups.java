package dev.cloche.linux.cgroup;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.GardenError;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

final class HybridCgroups implements Cgroups {
    private final Path root;

    HybridCgroups(Path root) {
        this.root = root;
    }

    /** Real hierarchy dirs only: cpu and cpuacct are symlinks to cpu,cpuacct and would be visited twice. */
    private List<Path> hierarchies() {
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private Path controller(String name) {
        return root.resolve(name);
    }

    private static String rel(String group) {
        return group.startsWith("/") ? group.substring(1) : group;
    }

    @Override
    public List<Long> pids(String group) {
        try {
            return Files.readAllLines(controller("pids").resolve(rel(group)).resolve("cgroup.procs")).stream()
                    .filter(l -> !l.isBlank()).map(l -> Long.parseLong(l.strip())).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public void remove(String group) {
        List<String> failed = new ArrayList<>();
        for (Path h : hierarchies()) {
            Path dir = h.resolve(rel(group));
            if (!Files.isDirectory(dir)) continue;
            if (!rmdirTree(dir)) failed.add(dir.toString());
        }
        if (!failed.isEmpty()) {
            throw GardenError.internal("cannot remove cgroup dirs " + failed);
        }
    }

    /**
     * Sub-groups first (a runtime may nest), each with a short bounded retry while exiting tasks still leave it busy.
     * Shared with {@link UnifiedCgroups}.
     */
    static boolean rmdirTree(Path dir) {
        List<Path> dirs;
        try (Stream<Path> s = Files.walk(dir)) {
            dirs = s.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList();
        } catch (IOException e) {
            return !Files.exists(dir);
        }
        for (Path d : dirs) {
            if (!rmdir(d)) return false;
        }
        return true;
    }

    private static boolean rmdir(Path d) {
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                Files.delete(d);
                return true;
            } catch (NoSuchFileException e) {
                return true;
            } catch (FileSystemException e) {
                // EBUSY while the kernel finishes moving dead tasks out: there is no event for that, so poll briefly
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return !Files.exists(d);
    }

    @Override
    public void removeIfEmpty(String group) {
        for (Path h : hierarchies()) {
            try {
                Files.deleteIfExists(h.resolve(rel(group)));
            } catch (IOException e) {
                // still holds container groups (EBUSY/ENOTEMPTY): they outlive the backend, so the parent stays
            }
        }
    }

    @Override
    public List<String> existing(String group) {
        return hierarchies().stream().map(h -> h.resolve(rel(group))).filter(Files::isDirectory).map(Path::toString).toList();
    }

    @Override
    public void setLimits(String group, long memoryBytes, long cpuShares) {
        Path mem = controller("memory").resolve(rel(group));
        Path cpu = controller("cpu").resolve(rel(group)).resolve("cpu.shares");
        if (!Files.isDirectory(mem)) {
            throw GardenError.internal("cgroup " + mem + " does not exist");
        }
        String oldMemory = readOrEmpty(mem.resolve("memory.limit_in_bytes"));
        String newMemory = memoryBytes == 0 ? "-1" : Long.toString(memoryBytes);
        // memory+swap must stay >= memory. A finite memory+swap limit (the container may not swap beyond its memory
        // limit) follows the new memory limit: lifted first, set equal after. Unlimited or absent: left alone.
        Path memsw = mem.resolve("memory.memsw.limit_in_bytes");
        boolean swapAccounting = Files.exists(memsw) && parse(readOrEmpty(memsw)) < (1L << 62);
        try {
            if (swapAccounting) {
                write(memsw, "-1");
            }
            write(mem.resolve("memory.limit_in_bytes"), newMemory);
            if (swapAccounting) {
                write(memsw, newMemory);
            }
        } catch (IOException e) {
            try {
                if (!oldMemory.isEmpty()) {
                    write(mem.resolve("memory.limit_in_bytes"), oldMemory);
                    if (swapAccounting) {
                        write(memsw, oldMemory);
                    }
                }
            } catch (IOException undo) {
                e.addSuppressed(undo);
            }
            throw GardenError.internal("cannot set memory limit " + newMemory + " on " + mem + ": " + e.getMessage(), e);
        }
        try {
            write(cpu, Long.toString(cpuShares == 0 ? 1024 : cpuShares));
        } catch (IOException e) {
            throw GardenError.internal("cannot set cpu shares on " + cpu + ": " + e.getMessage(), e);
        }
    }

    private static void write(Path file, String value) throws IOException {
        Files.writeString(file, value);
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public ContainerMetrics.MemoryStat memory(String group) {
        Path dir = controller("memory").resolve(rel(group));
        Map<String, Long> fields = new HashMap<>();
        try {
            for (String line : Files.readAllLines(dir.resolve("memory.stat"))) {
                String[] kv = line.split(" ");
                if (kv.length == 2 && ContainerMetrics.MemoryStat.FIELDS.contains(kv[0])) {
                    fields.put(kv[0], parse(kv[1]));
                }
            }
            long usage = readLong(dir.resolve("memory.usage_in_bytes"));
            return new ContainerMetrics.MemoryStat(fields, usage);
        } catch (IOException e) {
            return ContainerMetrics.MemoryStat.EMPTY;
        }
    }

    @Override
    public ContainerMetrics.CpuStat cpu(String group) {
        Path dir = controller("cpuacct").resolve(rel(group));
        try {
            long usage = readLong(dir.resolve("cpuacct.usage"));
            long user = 0;
            long system = 0;
            // cpuacct.stat is in USER_HZ ticks (100/s); Garden reports nanoseconds
            for (String line : Files.readAllLines(dir.resolve("cpuacct.stat"))) {
                String[] kv = line.split(" ");
                if (kv[0].equals("user")) user = parse(kv[1]) * 10_000_000L;
                if (kv[0].equals("system")) system = parse(kv[1]) * 10_000_000L;
            }
            return new ContainerMetrics.CpuStat(usage, user, system);
        } catch (IOException e) {
            return ContainerMetrics.CpuStat.EMPTY;
        }
    }

    @Override
    public ContainerMetrics.PidStat pidStat(String group) {
        Path dir = controller("pids").resolve(rel(group));
        try {
            long current = readLong(dir.resolve("pids.current"));
            String max = Files.readString(dir.resolve("pids.max")).strip();
            return new ContainerMetrics.PidStat(current, max.equals("max") ? 0 : parse(max));
        } catch (IOException e) {
            return ContainerMetrics.PidStat.EMPTY;
        }
    }

    /** cgroup v1 memory.oom_control: {@code oom_kill N} (kernel 4.13+) counts OOM kills inside the group. */
    @Override
    public long oomKills(String group) {
        try {
            for (String line : Files.readAllLines(controller("memory").resolve(rel(group)).resolve("memory.oom_control"))) {
                if (line.startsWith("oom_kill ")) return parse(line.substring(9).strip());
            }
        } catch (IOException e) {
            // no memory group (yet, or any more): nothing was killed that we can know of
        }
        return 0;
    }

    @Override
    public long pidLimitHits(String group) {
        try {
            for (String line : Files.readAllLines(controller("pids").resolve(rel(group)).resolve("pids.events"))) {
                if (line.startsWith("max ")) return parse(line.substring(4).strip());
            }
        } catch (IOException e) {
            // no pids group: no limit to hit
        }
        return 0;
    }

    private static long readLong(Path p) throws IOException {
        return parse(Files.readString(p).strip());
    }

    private static long parse(String s) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }
}
