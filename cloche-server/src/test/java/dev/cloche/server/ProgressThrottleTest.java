package dev.cloche.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.LayerProgress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressThrottleTest {
    private final AtomicLong now = new AtomicLong();
    private final ProgressThrottle throttle = new ProgressThrottle(Duration.ofMillis(100), now::get);

    private void advanceMillis(long ms) {
        now.addAndGet(Duration.ofMillis(ms).toNanos());
    }

    @Test
    void aLayersFirstAndLastRecordAlwaysPassAndTheOnesBetweenAtMostOncePerInterval() {
        LayerProgress a = LayerProgress.started("sha256:a", 1000);
        assertThat(throttle.pass(a)).isTrue();
        advanceMillis(10);
        assertThat(throttle.pass(a.at(100))).isFalse();
        advanceMillis(89);
        assertThat(throttle.pass(a.at(200))).isFalse();
        advanceMillis(1);
        assertThat(throttle.pass(a.at(300))).isTrue();
        advanceMillis(1);
        assertThat(throttle.pass(a.at(400))).isFalse();
        assertThat(throttle.pass(a.at(1000).finished())).isTrue();
    }

    @Test
    void layersAreThrottledEachOnItsOwn() {
        LayerProgress a = LayerProgress.started("sha256:a", 1000);
        LayerProgress b = LayerProgress.started("sha256:b", 1000);
        assertThat(throttle.pass(a)).isTrue();
        assertThat(throttle.pass(b)).isTrue();
        assertThat(throttle.pass(a.at(1))).isFalse();
        assertThat(throttle.pass(LayerProgress.cached("sha256:c", 5))).isTrue();
    }
}
