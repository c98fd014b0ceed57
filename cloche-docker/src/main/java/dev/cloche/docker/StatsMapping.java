package dev.cloche.docker;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cloche.api.ContainerMetrics;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/** The engine's stats document as Garden's metrics (cgroup v1 field names pass through as they are). */
final class StatsMapping {
    private StatsMapping() {}

    static ContainerMetrics metrics(JsonNode stats, Instant created) {
        JsonNode memory = stats.path("memory_stats");
        Map<String, Long> fields = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = memory.path("stats").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().canConvertToLong() && ContainerMetrics.MemoryStat.FIELDS.contains(e.getKey())) {
                fields.put(e.getKey(), e.getValue().asLong());
            }
        }
        long usage = memory.path("usage").asLong(0);
        // Garden's TotalUsageTowardLimit: usage less the inactive file cache the kernel reclaims first
        long inactiveFile = memory.path("stats").path("total_inactive_file").asLong(memory.path("stats").path("inactive_file").asLong(0));
        long toward = Math.max(0, usage - inactiveFile);
        JsonNode cpu = stats.path("cpu_stats").path("cpu_usage");
        long rx = 0;
        long tx = 0;
        boolean hasNetwork = false;
        for (JsonNode n : stats.path("networks")) {
            hasNetwork = true;
            rx += n.path("rx_bytes").asLong(0);
            tx += n.path("tx_bytes").asLong(0);
        }
        JsonNode pids = stats.path("pids_stats");
        long pidLimit = pids.path("limit").asLong(0);
        return new ContainerMetrics(new ContainerMetrics.MemoryStat(fields, toward),
                new ContainerMetrics.CpuStat(cpu.path("total_usage").asLong(0), cpu.path("usage_in_usermode").asLong(0),
                        cpu.path("usage_in_kernelmode").asLong(0)),
                ContainerMetrics.DiskStat.EMPTY,
                hasNetwork ? Optional.of(new ContainerMetrics.NetworkStat(rx, tx)) : Optional.empty(),
                new ContainerMetrics.PidStat(pids.path("current").asLong(0), pidLimit > 0 && pidLimit < Long.MAX_VALUE / 2 ? pidLimit : 0),
                Duration.between(created, Instant.now()), 0);
    }
}
