package dev.cloche.cli;

import dev.cloche.api.BindMount;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.ImageRef;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.client.RemoteGardenClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "create", description = {"Create a container and print its handle.",
        "With --image the image is pulled first (progress on stderr: bars on a terminal, lines otherwise)."})
final class CreateCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec command;

    @Option(names = "--handle", description = "Handle (default: generated).")
    String handle = "";

    @Option(names = "--rootfs", paramLabel = "DIR", description = "Root filesystem directory (default: the server's).")
    String rootfs = "";

    @Option(names = "--image", paramLabel = "IMAGE",
            description = "Image to create from (docker://..., oci://..., a tarball), pulled first; not with --rootfs.")
    String image = "";

    @Mixin
    RegistryLogin login = new RegistryLogin();

    @Option(names = "--privileged", description = "Run without a user namespace (container root = host root).")
    boolean privileged;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory limit, e.g. 64M.", converter = Sizes.ByteSize.class)
    Long memory;

    @Option(names = "--cpu-shares", paramLabel = "N", description = "CPU weight (shares).")
    long cpuShares;

    @Option(names = "--pids", paramLabel = "N", description = "Maximum number of processes (0 = unlimited).")
    long pids;

    @Option(names = "--disk", paramLabel = "SIZE", description = "Disk limit for what the container writes, e.g. 1G.",
            converter = Sizes.ByteSize.class)
    Long disk;

    @Option(names = "--disk-inodes", paramLabel = "N", description = "Inode limit for what the container writes.")
    long diskInodes;

    @Option(names = "--disk-scope", paramLabel = "total|exclusive", description = "Whether the image counts against --disk (default: exclusive).")
    String diskScope = "exclusive";

    @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "Environment for every process.")
    List<String> env = new ArrayList<>();

    @Option(names = {"-p", "--property"}, paramLabel = "K=V", description = "Property to set.")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--grace-time", paramLabel = "DURATION", description = "Destroy after this long unused (e.g. 5m).",
            converter = Sizes.Span.class)
    Duration graceTime;

    @Option(names = {"-v", "--bind"}, paramLabel = "SRC:DST[:ro|rw]", description = "Bind-mount a host path (read-only by default).")
    List<String> binds = new ArrayList<>();

    @Override
    public Integer call() {
        if (!image.isEmpty() && !rootfs.isEmpty()) {
            throw new CommandLine.ParameterException(command.commandLine(), "--image and --rootfs are exclusive: give one");
        }
        Limits limits = Limits.NONE
                .withMemory(memory == null ? MemoryLimits.NONE : new MemoryLimits(memory))
                .withCpu(new CpuLimits(cpuShares, 0))
                .withPid(new PidLimits(pids))
                .withDisk(disk == null && diskInodes == 0 ? DiskLimits.NONE : new DiskLimits(0, diskInodes, 0,
                        disk == null ? 0 : disk, scope(diskScope)));
        ContainerSpec spec = ContainerSpec.withHandle(handle)
                .withPrivileged(privileged)
                .withLimits(limits)
                .withEnv(env)
                .withProperties(properties)
                .withBindMounts(binds.stream().map(CreateCommand::bind).toList());
        if (graceTime != null) {
            spec = spec.withGraceTime(graceTime);
        }
        try (RemoteGardenClient c = parent.client()) {
            if (image.isEmpty()) {
                spec = spec.withImage(ImageRef.of(rootfs));
            } else {
                // pulled first, so the person sees each layer arrive; the create then finds it in the store
                ImageRef ref = login.ref(image, System.in, command.commandLine());
                System.err.println(PullCommand.summary(c.pullImage(ref, PullProgress.to(System.err, Terminal.isStdout()))));
                spec = spec.withImage(ref);
            }
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
