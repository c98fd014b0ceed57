package dev.cloche.linux;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.linux.image.ImageSettings;
import dev.cloche.linux.net.NetSettings;
import dev.cloche.linux.sys.HostProgram;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * The backend's settings, each with a default.
 *
 * @param toolBinary a static busybox bind-mounted into every container for stream in/out
 * @param monitorBinary {@code cloche-monitor}, the per-process monitor (docs/process-monitor.md)
 * @param processRoot where process directories live, {@code <processRoot>/<container id>/<n>}
 * @param pidLimitRetry how long a process start refused by the container's pid limit is retried before it fails
 *                      with ResourceExhausted
 * @param processTmpfs the size of the tmpfs mounted on {@code processRoot} ({@code mount -o size=}, e.g. {@code 25%}
 *                     or {@code 4g}), or empty to use the directory as it is
 * @param runtimeTimeout how long one OCI runtime call (create, start of a process, kill, delete, state) may take: past
 *                       it the runtime and everything it started are killed, and the call fails naming the verb
 * @param sealedRuntime run the OCI runtime from a sealed in-memory copy made once ({@code runtimeCopy=sealed}, the
 *                      default), instead of letting it copy itself on every call ({@code none}; sys/SealedBinaries)
 */
record Settings(Path depot, String runtime, Path runtimePath, Path runtimeRoot, Path defaultRootfs, Path initBinary,
                Path toolBinary, Path monitorBinary, String cgroupParent, int maxContainers, Path processRoot,
                java.util.Optional<String> processTmpfs, java.time.Duration pidLimitRetry, java.time.Duration runtimeTimeout,
                boolean sealedRuntime, NetSettings net, ImageSettings images) {

    /** As many as the default network pool holds: the defaults hold 10,000 idle containers (docs/reliability.md). */
    static final int DEFAULT_MAX_CONTAINERS = 16384;

    static final Set<String> KEYS = union(Set.of("depot", "runtime", "runtimePath", "runtimeRoot", "defaultRootfs",
            "initBinary", "toolBinary", "monitorBinary", "cgroupParent", "maxContainers", "processRoot", "processTmpfs",
            "pidLimitRetry", "runtimeTimeout", "runtimeCopy"),
            union(NetSettings.KEYS, ImageSettings.KEYS));

    private static Set<String> union(Set<String> a, Set<String> b) {
        java.util.Set<String> u = new java.util.TreeSet<>(a);
        u.addAll(b);
        return Set.copyOf(u);
    }

    static Settings from(Map<String, String> s) {
        for (String k : s.keySet()) {
            if (!KEYS.contains(k)) throw new InvalidRequestException("unknown linux backend setting: " + k + " (known: " + KEYS + ")");
        }
        Path depot = Path.of(s.getOrDefault("depot", "/var/lib/cloche"));
        String runtime = s.getOrDefault("runtime", "runc");
        if (!runtime.equals("runc") && !runtime.equals("crun")) {
            throw new InvalidRequestException("runtime must be runc or crun: " + runtime);
        }
        Path runtimePath = s.containsKey("runtimePath") ? Path.of(s.get("runtimePath"))
                : HostProgram.byCommand(runtime).flatMap(HostProgram::locate).orElse(Path.of(runtime));
        String parent = s.getOrDefault("cgroupParent", "cloche");
        if (!parent.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw new InvalidRequestException("cgroupParent must be a plain name: " + parent);
        }
        int max;
        try {
            max = Integer.parseInt(s.getOrDefault("maxContainers", Integer.toString(DEFAULT_MAX_CONTAINERS)));
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("maxContainers must be a number: " + s.get("maxContainers"));
        }
        if (max < 1) throw new InvalidRequestException("maxContainers must be at least 1: " + max);
        Path init = Path.of(s.getOrDefault("initBinary", Depot.defaultInitBinary(depot).toString()));
        // a process directory is a dozen small files made per exec and output read back at once: on tmpfs, not
        // on a disk filesystem that journals and allocates for them (docs/benchmarks.md, exec and stream)
        String tmpfs = s.getOrDefault("processTmpfs", "25%");
        if (!tmpfs.equals("none") && !tmpfs.matches("[0-9]+[kmgKMG%]?")) {
            throw new InvalidRequestException("processTmpfs must be a tmpfs size (e.g. 25% or 4g) or none: " + tmpfs);
        }
        String copy = s.getOrDefault("runtimeCopy", "sealed");
        if (!copy.equals("sealed") && !copy.equals("none")) {
            throw new InvalidRequestException("runtimeCopy must be sealed or none: " + copy);
        }
        return new Settings(depot, runtime, runtimePath, Path.of(s.getOrDefault("runtimeRoot", "/run/cloche/runtime")),
                Path.of(s.getOrDefault("defaultRootfs", Depot.defaultRootfs(depot).toString())), init,
                Path.of(s.getOrDefault("toolBinary", "/usr/bin/busybox")),
                // beside the init by default: `make native` builds both into one directory
                Path.of(s.getOrDefault("monitorBinary", init.resolveSibling("cloche-monitor").toString())), parent, max,
                Path.of(s.getOrDefault("processRoot", Depot.defaultProcessRoot(depot).toString())),
                tmpfs.equals("none") ? java.util.Optional.empty() : java.util.Optional.of(tmpfs),
                millis("pidLimitRetry", s.getOrDefault("pidLimitRetry", "3000ms")), runtimeTimeout(s),
                copy.equals("sealed"), NetSettings.from(s),
                ImageSettings.from(s));
    }

    /** A runtime call's bound: runc takes well under a second even on a loaded host, so a minute means it hangs. */
    private static java.time.Duration runtimeTimeout(Map<String, String> s) {
        java.time.Duration d = millis("runtimeTimeout", s.getOrDefault("runtimeTimeout", "60s"));
        if (d.isZero()) throw new InvalidRequestException("runtimeTimeout must be more than 0: " + s.get("runtimeTimeout"));
        return d;
    }

    /** A duration as {@code 250ms}, {@code 3s} or {@code 0}. */
    private static java.time.Duration millis(String key, String text) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d{1,9})(ms|s)?").matcher(text.strip());
        if (!m.matches() || (m.group(2) == null && !m.group(1).equals("0"))) {
            throw new InvalidRequestException(key + " must be a duration such as 500ms or 3s: " + text);
        }
        long n = Long.parseLong(m.group(1));
        return "s".equals(m.group(2)) ? java.time.Duration.ofSeconds(n) : java.time.Duration.ofMillis(n);
    }
}
