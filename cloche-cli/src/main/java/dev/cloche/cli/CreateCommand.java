package dev.cloche.cli;

import dev.cloche.api.BindMount;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ImageRef;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "create", description = "Create a container and print its handle.")
final class CreateCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Option(names = "--handle", description = "Handle (default: generated).")
    String handle = "";

    @Option(names = "--rootfs", paramLabel = "DIR", description = "Root filesystem directory (default: the server's).")
    String rootfs = "";

    @Option(names = "--privileged", description = "Run without a user namespace (container root = host root).")
    boolean privileged;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory limit, e.g. 64M.")
    String memory;

    @Option(names = "--cpu-shares", paramLabel = "N", description = "CPU weight (shares).")
    long cpuShares;

    @Option(names = "--pids", paramLabel = "N", description = "Maximum number of processes (0 = unlimited).")
    long pids;

    @Option(names = "--disk", paramLabel = "SIZE", description = "Disk limit for what the container writes, e.g. 1G.")
    String disk;

    @Option(names = "--disk-inodes", paramLabel = "N", description = "Inode limit for what the container writes.")
    long diskInodes;

    @Option(names = "--disk-scope", paramLabel = "total|exclusive", description = "Whether the image counts against --disk (default: exclusive).")
    String diskScope = "exclusive";

    @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "Environment for every process.")
    List<String> env = new ArrayList<>();

    @Option(names = {"-p", "--property"}, paramLabel = "K=V", description = "Property to set.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--grace-time", paramLabel = "DURATION", description = "Destroy after this long unused (e.g. 5m).")
    String graceTime;

    @Option(names = {"-v", "--bind"}, paramLabel = "SRC:DST[:ro|rw]", description = "Bind-mount a host path (read-only by default).")
    List<String> binds = new ArrayList<>();

    @Override
    public Integer call() {
        Limits limits = Limits.NONE
                .withMemory(memory == null ? MemoryLimits.NONE : new MemoryLimits(Sizes.bytes(memory)))
                .withCpu(new CpuLimits(cpuShares, 0))
                .withPid(new PidLimits(pids))
                .withDisk(disk == null && diskInodes == 0 ? DiskLimits.NONE : new DiskLimits(0, diskInodes, 0,
                        disk == null ? 0 : Sizes.bytes(disk), scope(diskScope)));
        ContainerSpec spec = ContainerSpec.withHandle(handle)
                .withImage(ImageRef.of(rootfs))
                .withPrivileged(privileged)
                .withLimits(limits)
                .withEnv(env)
                .withProperties(properties)
                .withBindMounts(binds.stream().map(CreateCommand::bind).toList());
        if (graceTime != null) {
            spec = spec.withGraceTime(Sizes.duration(graceTime));
        }
        try (GardenClient c = parent.client()) {
            Container created = c.create(spec);
            System.out.println(created.handle());
        }
        return 0;
    }

    private static BindMount bind(String s) {
        String[] parts = s.split(":");
        if (parts.length < 2 || parts.length > 3) {
            throw new CommandLine.TypeConversionException("bind mount must be SRC:DST[:ro|rw], got " + s);
        }
        BindMount.Mode mode = parts.length == 3 && parts[2].equals("rw") ? BindMount.Mode.RW : BindMount.Mode.RO;
        return new BindMount(parts[0], parts[1], mode, BindMount.Origin.HOST);
    }

    private static DiskLimits.DiskLimitScope scope(String s) {
        return switch (s) {
            case "total" -> DiskLimits.DiskLimitScope.TOTAL;
            case "exclusive" -> DiskLimits.DiskLimitScope.EXCLUSIVE;
            default -> throw new picocli.CommandLine.TypeConversionException("--disk-scope must be total or exclusive: " + s);
        };
    }
}
