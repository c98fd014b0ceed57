package dev.cloche.bench;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.bench.Report.Row;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The engine row: a container lifecycle (create, run /bin/true to its exit, destroy) through a second daemon on the
 * docker backend, against {@code docker run --rm} of the same rootfs on the same engine and against the bench's own
 * daemon on the Linux backend, interleaved. In the report's columns: Cloche is Cloche on dockerd, the raw column is
 * {@code docker run --rm}, the podman column is Cloche on Linux.
 */
final class EngineRows {
    static final String IMAGE = "cloche-bench-busybox:latest";

    private final GardenClient onEngine;
    private final GardenClient onLinux;
    private final String dockerHost;
    private final Path rootfs;
    private final int iterations;

    /**
     * @param onEngine the daemon started with {@code --backend docker} on {@code dockerHost}
     * @param onLinux the bench's own daemon
     */
    EngineRows(GardenClient onEngine, GardenClient onLinux, String dockerHost, Path rootfs, int iterations) {
        this.onEngine = onEngine;
        this.onLinux = onLinux;
        this.dockerHost = dockerHost;
        this.rootfs = rootfs;
        this.iterations = iterations;
    }

    private String docker(String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("docker", "-H", dockerHost));
        argv.addAll(List.of(args));
        return RawRuntime.run(argv, List.of());
    }

    List<Row> measure(ImageRows.Interleave interleave) throws Exception {
        // the rootfs as an engine image, as Cloche's docker backend imports it for its own containers (untimed)
        RawRuntime.run(List.of("sh", "-c", "tar -C " + rootfs + " -c . | docker -H " + dockerHost + " import - " + IMAGE), List.of());
        // the docker-backend daemon warmed as the bench warms its own (fewer: an engine lifecycle takes ~10x longer),
        // its first create also imports the rootfs as the engine image it keeps
        for (int i = 0; i < 10; i++) lifecycle(onEngine);
        Samples engine = new Samples();
        Samples dockerRun = new Samples();
        Samples linux = new Samples();
        try {
            interleave.run("engine-lifecycle", List.of(
                    () -> lifecycle(onEngine),
                    () -> {
                        long t0 = System.nanoTime();
                        docker("run", "--rm", IMAGE, "/bin/true");
                        return System.nanoTime() - t0;
                    },
                    () -> lifecycle(onLinux)), List.of(engine, dockerRun, linux), iterations, 1e-6);
        } finally {
            docker("rmi", "-f", IMAGE);
        }
        // what either side left on the engine counts as an error of the run
        int left = onEngine.containers(Map.of()).size();
        int onEngineLeft = (int) docker("ps", "-a", "-q", "--filter", "ancestor=" + IMAGE).lines().filter(l -> !l.isBlank()).count();
        engine.errors += left;
        dockerRun.errors += onEngineLeft;
        return List.of(new Row("engine-lifecycle", "engine: create + run /bin/true + destroy, Cloche on dockerd", "ms", false,
                engine, Optional.of(dockerRun), Optional.of(linux), Optional.empty(), Optional.empty(),
                "raw column: `docker run --rm` of the same rootfs on the same engine; podman column: Cloche on Linux "
                        + "(this bench's daemon); both engine contenders on the engine's bridge"));
    }

    private static long lifecycle(GardenClient garden) {
        long t0 = System.nanoTime();
        Container k = garden.create(ContainerSpec.empty());
        try {
            int code = k.run(ProcessSpec.of("/bin/true"), ProcessIO.output(OutputStream.nullOutputStream(),
                    OutputStream.nullOutputStream())).await();
            if (code != 0) throw new IllegalStateException("/bin/true exited " + code);
        } finally {
            k.destroy();
        }
        return System.nanoTime() - t0;
    }
}
