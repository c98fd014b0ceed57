package dev.cloche.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * podman confined to the bench directory (own storage, run root, config and cgroup parent), on crun, no network,
 * ulimits this VM allows (it lacks CAP_SYS_RESOURCE, so podman's default nofile of 1048576 fails). The image is
 * the default rootfs imported as {@code localhost/cloche-busybox}: no registry.
 */
final class Podman implements AutoCloseable {
    static final String IMAGE = "localhost/cloche-busybox:latest";
    static final String CGROUP_PARENT = "/cloche-bench-podman";
    private final Path dir;
    private final List<String> env;

    Podman(Path dir, Path rootfs) throws Exception {
        this.dir = dir;
        Files.createDirectories(dir.resolve("tmp"));
        Files.writeString(dir.resolve("containers.conf"), """
                [containers]
                default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
                [engine]
                runtime = "crun"
                cgroup_manager = "cgroupfs"
                events_logger = "file"
                """);
        Files.writeString(dir.resolve("storage.conf"), "[storage]\ndriver = \"overlay\"\nrunroot = \"" + dir.resolve("run")
                + "\"\ngraphroot = \"" + dir.resolve("storage") + "\"\n");
        env = List.of("CONTAINERS_CONF=" + dir.resolve("containers.conf"),
                "CONTAINERS_STORAGE_CONF=" + dir.resolve("storage.conf"));
        RawRuntime.run(List.of("sh", "-c", "tar -C " + rootfs + " -c . | " + String.join(" ", argv(List.of("import", "-", IMAGE)))), env);
    }

    List<String> argv(List<String> args) {
        List<String> a = new ArrayList<>(List.of("podman", "--root", dir.resolve("storage").toString(), "--runroot",
                dir.resolve("run").toString(), "--tmpdir", dir.resolve("tmp").toString(), "--cgroup-manager", "cgroupfs",
                "--events-backend", "file"));
        a.addAll(args);
        return a;
    }

    String run(String... args) throws Exception {
        return RawRuntime.run(argv(List.of(args)), env);
    }

    void runTrue() throws Exception {
        run("run", "--rm", "--network=none", "--cgroup-parent=" + CGROUP_PARENT, IMAGE, "/bin/true");
    }

    void startIdle(String name) throws Exception {
        run("run", "-d", "--name", name, "--network=none", "--cgroup-parent=" + CGROUP_PARENT, IMAGE, "sleep", "100000");
    }

    void execTrue(String name) throws Exception {
        run("exec", name, "/bin/true");
    }

    long execStream(String name, List<String> producer) throws Exception {
        List<String> a = new ArrayList<>(List.of("exec", name));
        a.addAll(producer);
        ProcessBuilder pb = new ProcessBuilder(argv(a)).redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        for (String kv : env) {
            pb.environment().put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        Process p = pb.start();
        long n = RawRuntime.drain(p.getInputStream());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("podman exec of the stream producer exited " + p.exitValue());
        }
        return n;
    }

    /** Removes containers by name, 100 per call ({@code rm -f -t 0}: kill now, as the raw runtime does). */
    void remove(List<String> names) throws Exception {
        for (int i = 0; i < names.size(); i += 100) {
            List<String> a = new ArrayList<>(List.of("rm", "-f", "-t", "0"));
            a.addAll(names.subList(i, Math.min(names.size(), i + 100)));
            RawRuntime.run(argv(a), env);
        }
    }

    int containerCount() throws Exception {
        return (int) run("ps", "-a", "-q").lines().filter(l -> !l.isBlank()).count();
    }

    /** Removes every container, the image and the storage (its overlay mounts included). */
    @Override
    public void close() throws Exception {
        try {
            run("rm", "-a", "-f", "-t", "0");
        } finally {
            try {
                run("system", "reset", "-f");
            } catch (IllegalStateException e) {
                // seen once: its file events backend left tmp/events behind; the leak check still counts what stays
                System.err.println("podman system reset failed, its files go with the bench directory: " + e.getMessage());
            }
            // podman (cgroupfs) keeps one shared <parent>/conmon cgroup for all conmons and never removes it
            RawRuntime.removeCgroupParent(CGROUP_PARENT.substring(1));
        }
    }
}
