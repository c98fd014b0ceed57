package dev.cloche.api;

import java.util.Objects;

/** Garden's {@code Limits}; every part is always present, unset parts are all-zero. */
public record Limits(BandwidthLimits bandwidth, CpuLimits cpu, DiskLimits disk, MemoryLimits memory, PidLimits pid) {
    public static final Limits NONE = new Limits(BandwidthLimits.NONE, CpuLimits.NONE, DiskLimits.NONE, MemoryLimits.NONE, PidLimits.NONE);

    public Limits {
        Objects.requireNonNull(bandwidth, "bandwidth");
        Objects.requireNonNull(cpu, "cpu");
        Objects.requireNonNull(disk, "disk");
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(pid, "pid");
    }

    public Limits withMemory(MemoryLimits m) { return new Limits(bandwidth, cpu, disk, m, pid); }
    public Limits withCpu(CpuLimits c) { return new Limits(bandwidth, c, disk, memory, pid); }
    public Limits withPid(PidLimits p) { return new Limits(bandwidth, cpu, disk, memory, p); }
    public Limits withDisk(DiskLimits d) { return new Limits(bandwidth, cpu, d, memory, pid); }
    public Limits withBandwidth(BandwidthLimits b) { return new Limits(b, cpu, disk, memory, pid); }
}
