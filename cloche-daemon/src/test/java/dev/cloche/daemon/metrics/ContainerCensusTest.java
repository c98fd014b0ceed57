package dev.cloche.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.GardenClient;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The census behind the container gauges, over a core whose pass can be held (as a destroy holds a container). */
class ContainerCensusTest {
    private final AtomicInteger containers = new AtomicInteger(1);
    private volatile CountDownLatch pass = new CountDownLatch(0);
    private final AtomicInteger passes = new AtomicInteger();
    private volatile boolean failing;

    /** Answers containers and bulkInfo only: every container's info failed, so each counts as unknown. */
    private final GardenClient core = (GardenClient) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {GardenClient.class}, (proxy, method, args) -> switch (method.getName()) {
                case "containers" -> java.util.stream.IntStream.range(0, containers.get()).mapToObj(i -> container("c" + i)).toList();
                case "bulkInfo" -> {
                    passes.incrementAndGet();
                    pass.await();
                    if (failing) throw new IllegalStateException("the core failed");
                    Map<String, ContainerInfoEntry> out = new LinkedHashMap<>();
                    for (Object h : (List<?>) args[0]) {
                        out.put((String) h, ContainerInfoEntry.failed(new ContainerNotFoundException((String) h)));
                    }
                    yield out;
                }
                default -> throw new UnsupportedOperationException(method.getName());
            });

    private static Container container(String handle) {
        return (Container) Proxy.newProxyInstance(ContainerCensusTest.class.getClassLoader(), new Class<?>[] {Container.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("handle")) return handle;
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void aScrapeCountsOnceForAllItsGauges() {
        ContainerCensus census = new ContainerCensus(core, System::nanoTime, Duration.ofSeconds(5));
        census.invalidate();
        assertThat(census.count().inState("unknown")).isEqualTo(1);
        containers.set(3);
        assertThat(census.count().inState("unknown")).as("the same scrape's count").isEqualTo(1);
        census.invalidate();
        assertThat(census.count().inState("unknown")).as("the next scrape counts again").isEqualTo(3);
        assertThat(passes).hasValue(2);
    }

    @Test
    void aFailedPassKeepsTheLastCountAndTheNextReadCountsAgain() {
        ContainerCensus census = new ContainerCensus(core, System::nanoTime, Duration.ofSeconds(5));
        census.invalidate();
        assertThat(census.count().inState("unknown")).isEqualTo(1);
        failing = true;
        containers.set(2);
        census.invalidate();
        assertThat(census.count().inState("unknown")).as("the last count").isEqualTo(1);
        failing = false;
        assertThat(census.count().inState("unknown")).as("counted again, in the same scrape").isEqualTo(2);
        assertThat(passes).hasValue(3);
    }

    @Test
    void aScrapeWaitsForASlowPassOnlySoLongThenShowsTheLastCount() throws Exception {
        ContainerCensus census = new ContainerCensus(core, System::nanoTime, Duration.ofMillis(300));
        census.invalidate();
        assertThat(census.count().inState("unknown")).isEqualTo(1);
        containers.set(2);
        pass = new CountDownLatch(1);
        census.invalidate();
        long t0 = System.nanoTime();
        assertThat(census.count().inState("unknown")).as("the last count finished").isEqualTo(1);
        assertThat(census.count().inState("unknown")).as("the other gauges of the scrape do not start passes of their own").isEqualTo(1);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(passes).hasValue(2);
        pass.countDown();
        // the pass goes on and lands: the scrape it was started for now reads it
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (census.count().inState("unknown") != 2 && System.nanoTime() < deadline) Thread.sleep(10);
        assertThat(census.count().inState("unknown")).isEqualTo(2);
        assertThat(passes).hasValue(2);
    }
}
