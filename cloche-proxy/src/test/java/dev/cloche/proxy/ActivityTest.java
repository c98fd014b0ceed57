package dev.cloche.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ActivityTest {
    /** A clock the test moves. */
    private static final class Manual extends Clock {
        Instant now = Instant.parse("2026-12-05T12:00:00Z");

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId z) {
            return this;
        }

        void pass(Duration d) {
            now = now.plus(d);
        }
    }

    @Test
    void aFixedLifetimeEndsAtItsTtlWhateverTheUse() {
        Manual clock = new Manual();
        Activity a = new Activity(new Lifetime.Fixed(Duration.ofMinutes(30)), clock.instant(), clock);
        a.begin();
        clock.pass(Duration.ofMinutes(29));
        assertThat(a.expired()).isFalse();
        assertThat(a.expires()).isEqualTo(clock.instant().plus(Duration.ofMinutes(1)));
        clock.pass(Duration.ofMinutes(1));
        assertThat(a.expired()).isTrue();
    }

    @Test
    void anIdleLifetimeMovesWithUseNeverPastItsMaximum() {
        Manual clock = new Manual();
        Instant created = clock.instant();
        Activity a = new Activity(new Lifetime.Idle(Duration.ofMinutes(5), Duration.ofMinutes(60)), created, clock);
        assertThat(a.expires()).isEqualTo(created.plus(Duration.ofMinutes(5)));
        clock.pass(Duration.ofMinutes(4));
        a.begin();
        a.end();
        assertThat(a.expires()).isEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
        a.begin(); // a long download
        clock.pass(Duration.ofMinutes(20));
        assertThat(a.expired()).as("in use").isFalse();
        assertThat(a.expires()).isEqualTo(clock.instant().plus(Duration.ofMinutes(5)));
        a.end();
        clock.pass(Duration.ofMinutes(4));
        assertThat(a.expired()).isFalse();
        clock.pass(Duration.ofMinutes(1));
        assertThat(a.expired()).as("idle for 5 min").isTrue();

        Instant start = clock.instant();
        Activity busy = new Activity(new Lifetime.Idle(Duration.ofMinutes(5), Duration.ofMinutes(60)), start, clock);
        busy.begin();
        clock.pass(Duration.ofMinutes(57));
        assertThat(busy.expires()).isEqualTo(start.plus(Duration.ofMinutes(60)));
        assertThat(busy.expired()).isFalse();
        clock.pass(Duration.ofMinutes(3));
        assertThat(busy.expired()).as("the hard maximum, in use or not").isTrue();
    }

    @Test
    void noneRecordsNothing() {
        Activity.NONE.begin();
        Activity.NONE.end();
        assertThat(Activity.NONE.inUse()).isZero();
    }

    @Test
    void countsEveryRequestOrTunnelBegun() {
        Manual clock = new Manual();
        Activity a = new Activity(new Lifetime.Fixed(Duration.ofMinutes(30)), clock.instant(), clock);
        assertThat(a.begun()).isZero();
        a.begin();
        a.begin();
        a.end();
        a.end();
        a.begin();
        assertThat(a.begun()).isEqualTo(3);
        assertThat(a.inUse()).isEqualTo(1);
        Activity.NONE.begin();
        assertThat(Activity.NONE.begun()).isZero();
    }
}
