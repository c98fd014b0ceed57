package dev.cloche.api;

import java.util.Objects;

/** Per-process limit overrides (Garden's "peas"). */
public record ProcessLimits(CpuLimits cpu, MemoryLimits memory) {
    public ProcessLimits { Objects.requireNonNull(cpu, "cpu"); Objects.requireNonNull(memory, "memory"); }
}
