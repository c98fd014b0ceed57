package dev.cloche.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The daemon's and the kernel's figures as the soak reads them, and what counts as left over. */
class CensusParsingTest {

    @Test
    void leftOverIsWhatRoseOnly() {
        Map<String, Long> before = new LinkedHashMap<>(Map.of("mounts", 1L, "veths", 0L, "daemon threads", 44L));
        Map<String, Long> after = new LinkedHashMap<>(Map.of("mounts", 1L, "veths", 2L, "daemon threads", 40L,
                "cgroups memory", 3L));
        assertThat(Census.leftOver(before, after)).containsExactlyInAnyOrderEntriesOf(Map.of("veths", 2L, "cgroups memory", 3L));
        assertThat(Census.leftOver(after, after)).isEmpty();
    }

    @Test
    void heapUsedSumsTheHeapPoolsOfAPrometheusPage() {
        String page = """
                # HELP jvm_memory_used_bytes The amount of used memory
                # TYPE jvm_memory_used_bytes gauge
                jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 0.0
                jvm_memory_used_bytes{area="heap",id="G1 Old Gen"} 1.2345678E7
                jvm_memory_used_bytes{area="heap",id="G1 Survivor Space"} 1000.0
                jvm_memory_used_bytes{area="nonheap",id="Metaspace"} 5.0E7
                jvm_memory_committed_bytes{area="heap",id="G1 Old Gen"} 9.9E9
                """;
        assertThat(DaemonProbe.heapUsed(page)).isEqualTo(12_346_678.0);
        assertThatThrownBy(() -> DaemonProbe.heapUsed("up 1\n")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void procStatusAndMeminfoFields() {
        String status = "Name:\tjava\nVmPeak:\t 9000000 kB\nVmRSS:\t  215000 kB\nThreads:\t49\n";
        assertThat(DaemonProbe.statusField(status, "VmRSS")).isEqualTo(215_000);
        assertThat(DaemonProbe.statusField(status, "Threads")).isEqualTo(49);
        String meminfo = "MemTotal:       24578000 kB\nMemAvailable:   22000000 kB\nSlab:             400000 kB\nSReclaimable:     300000 kB\n";
        assertThat(HostMemory.meminfoKiB(meminfo, "MemAvailable")).isEqualTo(22_000_000);
        assertThat(HostMemory.meminfoKiB(meminfo, "Slab")).isEqualTo(400_000);
        assertThatThrownBy(() -> HostMemory.meminfoKiB(meminfo, "Shmem")).isInstanceOf(IllegalStateException.class);
    }
}
