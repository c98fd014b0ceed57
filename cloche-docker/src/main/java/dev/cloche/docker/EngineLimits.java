package dev.cloche.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/** A container's limits (HostConfig, read back by inspect; changed by update) and its metrics (the stats API). */
final class EngineLimits {
    private final ContainerCalls calls;
    private final Path state;

    EngineLimits(ContainerCalls calls, Path state) {
        this.calls = calls;
        this.state = state;
    }

    private InspectContainerResponse inspect() {
        return calls.call(() -> calls.engine().client().inspectContainerCmd(calls.containerId()).exec());
    }

    Limits limits() {
        var hc = inspect().getHostConfig();
        long memory = hc.getMemory() == null ? 0 : hc.getMemory();
        long shares = hc.getCpuShares() == null ? 0 : hc.getCpuShares();
        long pids = hc.getPidsLimit() == null || hc.getPidsLimit() < 0 ? 0 : hc.getPidsLimit();
        return Limits.NONE.withMemory(new MemoryLimits(memory)).withCpu(cpuAsAsked(shares)).withPid(new PidLimits(pids));
    }

    /** Garden has two spellings of CPU shares (weight and limit_in_shares); the one asked for is kept beside the state. */
    private CpuLimits cpuAsAsked(long shares) {
        if (shares == 0) return CpuLimits.NONE;
        try {
            Path form = state.resolve("cpu-form");
            if (Files.exists(form) && Files.readString(form).strip().equals("shares")) return new CpuLimits(0, shares);
        } catch (IOException e) {
            // the weight spelling by default
        }
        return new CpuLimits(shares, 0);
    }

    static void recordCpuForm(Path state, CpuLimits cpu) throws IOException {
        Files.writeString(state.resolve("cpu-form"), cpu.weight() == 0 && cpu.limitInShares() != 0 ? "shares" : "weight");
    }

    void update(Limits wanted) {
        Limits current = limits();
        if (!wanted.bandwidth().equals(current.bandwidth()) || !wanted.disk().equals(current.disk())
                || !wanted.pid().equals(current.pid())) {
            throw new InvalidRequestException("only memory and cpu limits can change on a live container");
        }
        long memory = wanted.memory().limitInBytes();
        if (memory == 0 && current.memory().limitInBytes() != 0) {
            throw DockerContainer.unsupported("removing the memory limit of a live container (the engine reads 0 as no change)");
        }
        long shares = wanted.cpu().effectiveShares();
        if (shares == 0 && current.cpu().effectiveShares() != 0) {
            throw DockerContainer.unsupported("removing the cpu shares of a live container (the engine reads 0 as no change)");
        }
        var update = calls.engine().client().updateContainerCmd(calls.containerId());
        if (memory != 0) update.withMemory(memory).withMemorySwap(memory);
        if (shares != 0) update.withCpuShares((int) shares);
        try {
            calls.live();
            try {
                update.exec();
            } catch (NotFoundException e) {
                inspect(); // gone: unknown handle
                throw DockerContainer.unsupported("changing the limits of a live container (this engine has no container update)");
            }
            recordCpuForm(state, wanted.cpu());
        } catch (DockerException e) {
            throw new InvalidRequestException("the engine refused the limits: " + e.getMessage(), e);
        } catch (IOException e) {
            throw GardenError.internal("could not record the cpu limit's form: " + e.getMessage(), e);
        }
    }

    ContainerMetrics metrics() {
        JsonNode stats = calls.call(() -> calls.engine().getJson("/containers/" + calls.containerId() + "/stats?stream=false&one-shot=true"));
        return StatsMapping.metrics(stats, Instant.parse(inspect().getCreated()));
    }
}
