package dev.cloche.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The floor: the OCI runtime binary driven directly, the Garden way (create + start an idle init, exec, kill, wait,
 * delete), with a bundle like Cloche's (same rootfs, read-only, own cgroup, default namespaces).
 */
final class RawRuntime implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final String runtime;
    private final Path root;
    private final Path work;
    private final Path rootfs;

    RawRuntime(String runtime, Path work, Path rootfs) throws IOException {
        this.runtime = runtime;
        this.work = work;
        this.root = work.resolve("state-" + Path.of(runtime).getFileName());
        this.rootfs = rootfs;
        Files.createDirectories(root);
    }

    /** Writes a bundle whose init sleeps and returns its directory. */
    Path bundle(String id) throws Exception {
        Path b = work.resolve("bundles").resolve(id);
        Files.createDirectories(b);
        run(List.of(runtime, "spec", "--bundle", b.toString()));
        ObjectNode spec = (ObjectNode) JSON.readTree(b.resolve("config.json").toFile());
        ((ObjectNode) spec.get("root")).put("path", rootfs.toString()).put("readonly", true);
        ObjectNode process = (ObjectNode) spec.get("process");
        process.put("terminal", false);
        ArrayNode args = process.putArray("args");
        args.add("sleep").add("100000");
        ((ObjectNode) spec.get("linux")).put("cgroupsPath", "/cloche-bench/" + id);
        Files.writeString(b.resolve("config.json"), JSON.writeValueAsString(spec));
        Files.writeString(b.resolve("true.json"), JSON.writeValueAsString(exec(process, "/bin/true")));
        return b;
    }

    private static JsonNode exec(ObjectNode process, String path) {
        ObjectNode p = process.deepCopy();
        p.putArray("args").add(path);
        return p;
    }

    void create(String id, Path bundle) throws Exception {
        run(List.of(runtime, "--root", root.toString(), "create", "--bundle", bundle.toString(),
                "--pid-file", bundle.resolve("init.pid").toString(), id));
        run(List.of(runtime, "--root", root.toString(), "start", id));
    }

    void execTrue(String id, Path bundle) throws Exception {
        run(List.of(runtime, "--root", root.toString(), "exec", "--process", bundle.resolve("true.json").toString(), id));
    }

    /** Kill, wait for the init to be gone (no runc delete --force: it polls every 100 ms), delete. */
    void destroy(String id, Path bundle) throws Exception {
        long pid = Long.parseLong(Files.readString(bundle.resolve("init.pid")).trim());
        run(List.of(runtime, "--root", root.toString(), "kill", id, "KILL"));
        Path stat = Path.of("/proc/" + pid + "/stat");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.exists(stat) && System.nanoTime() < deadline) {
            String s = Files.readString(stat);
            if (s.substring(s.lastIndexOf(')') + 2).startsWith("Z")) {
                break;
            }
            Thread.onSpinWait();
        }
        run(List.of(runtime, "--root", root.toString(), "delete", id));
    }

    /**
     * Output goes to a file, not a pipe: {@code runc create} hands its stdio to the container's init, which keeps it
     * open, so reading a pipe to EOF would never end.
     */
    static void run(List<String> argv) throws Exception {
        Path log = Files.createTempFile("cloche-bench-cmd", ".log");
        try {
            Process p = new ProcessBuilder(new ArrayList<>(argv)).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " failed: " + Files.readString(log));
            }
        } finally {
            Files.deleteIfExists(log);
        }
    }

    @Override
    public void close() throws Exception {
        run(List.of("rm", "-rf", work.resolve("bundles").toString()));
    }
}
