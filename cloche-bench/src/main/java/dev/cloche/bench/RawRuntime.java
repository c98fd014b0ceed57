package dev.cloche.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The floor: the OCI runtime binary driven directly, the Garden way (create + start an idle init, exec, kill, wait,
 * delete), with a bundle from the runtime's own {@code spec} (same rootfs, read-only, own cgroup under
 * {@code /cloche-bench-raw}, the default namespaces). Bundles are written outside the timed sections.
 */
final class RawRuntime implements AutoCloseable {
    static final String CGROUP_PARENT = "cloche-bench-raw";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String runtime;
    private final Path root;
    private final Path bundles;
    private final Path rootfs;
    private final ObjectNode template;

    RawRuntime(String runtime, Path work, Path rootfs) throws Exception {
        this.runtime = runtime;
        this.root = work.resolve("state");
        this.bundles = work.resolve("bundles");
        this.rootfs = rootfs;
        Files.createDirectories(root);
        Path t = work.resolve("template");
        Files.createDirectories(t);
        Files.deleteIfExists(t.resolve("config.json")); // `spec` refuses to overwrite
        run(List.of(runtime, "spec", "--bundle", t.toString()));
        template = (ObjectNode) JSON.readTree(t.resolve("config.json").toFile());
        ((ObjectNode) template.get("root")).put("path", rootfs.toString()).put("readonly", true);
        ObjectNode process = (ObjectNode) template.get("process");
        process.put("terminal", false);
        process.putArray("args").add("sleep").add("100000");
    }

    Path root() {
        return root;
    }

    /** Writes a bundle whose init sleeps, plus exec specs for /bin/true and the stream producer. */
    Path bundle(String id, List<String> streamArgs) throws IOException {
        Path b = bundles.resolve(id);
        Files.createDirectories(b);
        ObjectNode spec = template.deepCopy();
        ((ObjectNode) spec.get("linux")).put("cgroupsPath", "/" + CGROUP_PARENT + "/" + id);
        Files.writeString(b.resolve("config.json"), JSON.writeValueAsString(spec));
        Files.writeString(b.resolve("true.json"), JSON.writeValueAsString(process(List.of("/bin/true"))));
        Files.writeString(b.resolve("stream.json"), JSON.writeValueAsString(process(streamArgs)));
        return b;
    }

    private ObjectNode process(List<String> args) {
        ObjectNode p = ((ObjectNode) template.get("process")).deepCopy();
        ArrayNode a = p.putArray("args");
        args.forEach(a::add);
        return p;
    }

    /** create + start: the container's idle init runs. */
    void create(String id, Path bundle) throws Exception {
        run(List.of(runtime, "--root", root.toString(), "create", "--bundle", bundle.toString(),
                "--pid-file", bundle.resolve("init.pid").toString(), id));
        run(List.of(runtime, "--root", root.toString(), "start", id));
    }

    void execTrue(String id, Path bundle) throws Exception {
        run(List.of(runtime, "--root", root.toString(), "exec", "--process", bundle.resolve("true.json").toString(), id));
    }

    /** Runs the stream producer with its stdout on a pipe this JVM reads to EOF; returns the bytes read. */
    long execStream(String id, Path bundle) throws Exception {
        Process p = new ProcessBuilder(runtime, "--root", root.toString(), "exec", "--process",
                bundle.resolve("stream.json").toString(), id)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long n = drain(p.getInputStream());
        if (p.waitFor() != 0) {
            throw new IllegalStateException(runtime + " exec of the stream producer exited " + p.exitValue());
        }
        return n;
    }

    static long drain(InputStream in) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long n = 0;
        for (int r; (r = in.read(buf)) >= 0; ) {
            n += r;
        }
        return n;
    }

    /** Kill, wait for the init to be gone (no delete --force: runc's polls every 100 ms), delete. */
    void destroy(String id, Path bundle) throws Exception {
        kill(id);
        awaitInit(bundle);
        delete(id);
    }

    void kill(String id) throws Exception {
        run(List.of(runtime, "--root", root.toString(), "kill", id, "KILL"));
    }

    /** The init is re-parented to PID 1, which reaps lazily: a zombie counts as gone. */
    void awaitInit(Path bundle) throws IOException {
        long pid = Long.parseLong(Files.readString(bundle.resolve("init.pid")).trim());
        Path stat = Path.of("/proc/" + pid + "/stat");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            String s;
            try {
                s = Files.readString(stat);
            } catch (IOException gone) {
                return;
            }
            if (s.substring(s.lastIndexOf(')') + 2).startsWith("Z")) {
                return;
            }
            Thread.onSpinWait();
        }
        throw new IllegalStateException("init " + pid + " did not die within 10 s");
    }

    void delete(String id) throws Exception {
        run(List.of(runtime, "--root", root.toString(), "delete", id));
    }

    /** Deletes the bundle directory (not timed). */
    void dropBundle(Path bundle) throws Exception {
        run(List.of("rm", "-rf", bundle.toString()));
    }

    /**
     * Output goes to a file, not a pipe: {@code create} hands its stdio to the container's init, which keeps it
     * open, so reading a pipe to EOF would never end. One file per thread, truncated and reused: a new temp file per
     * command would add an ext4 inode allocation to the floor we measure (the daemon's command runner pays that).
     */
    static void run(List<String> argv) throws Exception {
        run(argv, List.of());
    }

    private static final ThreadLocal<Path> LOG = ThreadLocal.withInitial(() -> {
        try {
            Path f = Files.createTempFile("cloche-bench-cmd", ".log");
            f.toFile().deleteOnExit();
            return f;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    });

    static String run(List<String> argv, List<String> env) throws Exception {
        Path log = LOG.get();
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(argv)).redirectErrorStream(true)
                .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        for (String kv : env) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", argv) + " timed out after 120 s");
        }
        String out = Files.readString(log);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", argv) + " failed (" + p.exitValue() + "): " + out.strip());
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        run(List.of("rm", "-rf", bundles.toString()));
        removeCgroupParent(CGROUP_PARENT);
    }

    /** Removes an (empty) cgroup parent and its empty children from every hierarchy; a busy one stays (a leak). */
    static void removeCgroupParent(String parent) throws IOException {
        try (var hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                Path p = h.resolve(parent);
                if (!Files.isDirectory(p)) continue;
                try (var walk = Files.walk(p)) {
                    for (Path d : walk.filter(Files::isDirectory).sorted(java.util.Comparator.reverseOrder()).toList()) {
                        try {
                            Files.delete(d);
                        } catch (IOException busy) {
                            // still has tasks or children: reported by the leak check
                        }
                    }
                }
            }
        }
    }
}
