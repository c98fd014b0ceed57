package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.linux.cgroup.Cgroups;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LimitedStartTest {
    private static final String GROUP = "/cloche/c1";

    /** The counters a start reads; each refused attempt bumps the one its test names. */
    private static final class Counters implements Cgroups {
        long pidHits;
        long oomKills;
        long pidsCurrent = 10;

        @Override public List<Long> pids(String group) { return List.of(); }
        @Override public void remove(String group) {}
        @Override public void removeIfEmpty(String group) {}
        @Override public List<String> existing(String group) { return List.of(); }
        @Override public void setLimits(String group, long memoryBytes, long cpuShares) {}
        @Override public ContainerMetrics.MemoryStat memory(String group) {
            return new ContainerMetrics.MemoryStat(Map.of("hierarchical_memory_limit", 64L << 20), 0);
        }
        @Override public ContainerMetrics.CpuStat cpu(String group) { return ContainerMetrics.CpuStat.EMPTY; }
        @Override public ContainerMetrics.PidStat pidStat(String group) { return new ContainerMetrics.PidStat(pidsCurrent, 10); }
        @Override public long oomKills(String group) { return oomKills; }
        @Override public long pidLimitHits(String group) { return pidHits; }
    }

    private final Counters cgroups = new Counters();
    private final AtomicLong now = new AtomicLong();
    private final List<Duration> pauses = new ArrayList<>();

    private LimitedStart start(Duration budget) {
        return new LimitedStart(cgroups, budget, d -> {
            pauses.add(d);
            now.addAndGet(d.toNanos());
        }, now::get);
    }

    private static GardenError runtimeFailure() {
        return GardenError.internal("runtime failed (exit 255): exec failed: read init-p: connection reset by peer");
    }

    @Test
    void pidsThatComeBackWithinTheBudgetLetTheStartSucceed() {
        AtomicInteger attempts = new AtomicInteger();
        String started = start(Duration.ofSeconds(3)).start(GROUP, "process p in c", () -> {
            if (attempts.incrementAndGet() < 4) {
                cgroups.pidHits++;
                throw runtimeFailure();
            }
            return "running";
        });
        assertThat(started).isEqualTo("running");
        assertThat(attempts).hasValue(4);
        assertThat(pauses).containsExactly(Duration.ofMillis(10), Duration.ofMillis(20), Duration.ofMillis(40));
    }

    @Test
    void pidsStillHeldAfterTheBudgetGiveResourceExhaustedNamingTheLimit() {
        assertThatThrownBy(() -> start(Duration.ofMillis(500)).start(GROUP, "process p in c", () -> {
            cgroups.pidHits++;
            throw runtimeFailure();
        })).isInstanceOf(ResourceExhaustedException.class)
                .hasMessageStartingWith("pid limit of the container reached (10 of 10): cannot start process p in c")
                .hasMessageNotContaining("init-p");
        assertThat(pauses.stream().mapToLong(Duration::toMillis).sum()).isEqualTo(500);
    }

    @Test
    void noBudgetMeansOneAttempt() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> start(Duration.ZERO).start(GROUP, "process p in c", () -> {
            attempts.incrementAndGet();
            cgroups.pidHits++;
            throw runtimeFailure();
        })).isInstanceOf(ResourceExhaustedException.class).hasMessageContaining("(1 attempt in 0 ms)");
        assertThat(attempts).hasValue(1);
    }

    @Test
    void anOomKillDuringTheStartNamesTheMemoryLimitAndIsNotRetried() {
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(() -> start(Duration.ofSeconds(3)).start(GROUP, "process p in c", () -> {
            attempts.incrementAndGet();
            cgroups.oomKills++;
            throw runtimeFailure();
        })).isInstanceOf(ResourceExhaustedException.class)
                .hasMessageStartingWith("memory limit of the container reached (64 MiB)");
        assertThat(attempts).hasValue(1);
    }

    @Test
    void otherFailuresPassThroughUntouched() {
        GardenError other = runtimeFailure();
        assertThatThrownBy(() -> start(Duration.ofSeconds(3)).start(GROUP, "p", () -> {
            throw other;
        })).isSameAs(other);
        InvalidRequestException invalid = new InvalidRequestException("bad");
        assertThatThrownBy(() -> start(Duration.ofSeconds(3)).start(GROUP, "p", () -> {
            cgroups.pidHits++;
            throw invalid;
        })).isSameAs(invalid);
        assertThat(pauses).isEmpty();
    }
}
