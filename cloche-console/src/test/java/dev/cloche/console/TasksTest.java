package dev.cloche.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Task lifetimes and reservations over the in-process core and the fake backend, with a hand-driven timer. */
class TasksTest {
    private final FakeBackend backend = new FakeBackend();
    private final GardenClient garden = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    private final ManualScheduler timer = new ManualScheduler();
    private final AtomicInteger changes = new AtomicInteger();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-05T10:00:00Z"));

    @TempDir
    Path tmp;

    /** A clock the test moves. */
    static final class MutableClock extends Clock {
        private volatile Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @AfterEach
    void tearDown() {
        garden.close();
    }

    private Tasks tasks(Duration grace) {
        return tasks(grace, Duration.ZERO);
    }

    private Tasks tasks(Duration grace, Duration idle) {
        return tasks(grace, idle, TaskStore.NONE);
    }

    private Tasks tasks(Duration grace, Duration idle, TaskStore store) {
        Tasks t = new Tasks(garden, "a1", 1000, 5000, new Tasks.Lifetimes(grace, idle), store, clock, timer, Runnable::run);
        t.onChange(changes::incrementAndGet);
        return t;
    }

    private static TaskStart start(String id, long memory, long disk) {
        return new TaskStart(id, "token-" + id, memory == 0 ? OptionalLong.empty() : OptionalLong.of(memory),
                disk == 0 ? OptionalLong.empty() : OptionalLong.of(disk));
    }

    private boolean exists(String handle) {
        try {
            garden.lookup(handle);
            return true;
        } catch (ContainerNotFoundException e) {
            return false;
        }
    }

    static final class Kickable implements ConsoleSession {
        final List<String> kicks = new ArrayList<>();

        @Override
        public void kick(String reason) {
            kicks.add(reason);
        }
    }

    @Test
    void startCreatesALabelledContainerWithTheLimitsAndReservesThem() {
        Tasks tasks = tasks(Duration.ZERO);
        assertThat(tasks.start(start("t1", 256, 1024))).isEqualTo(new Tasks.Started("t1"));
        var c = garden.lookup("t1");
        assertThat(c.properties()).containsEntry(Tasks.TASK_PROPERTY, "t1").containsEntry(Tasks.AGENT_PROPERTY, "a1");
        assertThat(c.currentMemoryLimits().limitInBytes()).isEqualTo(256L << 20);
        assertThat(c.currentDiskLimits().byteHard()).isEqualTo(1024L << 20);
        assertThat(tasks.advertisement()).isEqualTo(new Advertisement("a1", 1000 - 256, 5000 - 1024));
        // unlimited tasks reserve nothing, each limit on its own
        assertThat(tasks.start(start("t2", 0, 24))).isInstanceOf(Tasks.Started.class);
        assertThat(tasks.advertisement()).isEqualTo(new Advertisement("a1", 744, 5000 - 1024 - 24));
        assertThat(changes.get()).isEqualTo(2);
    }

    @Test
    void statusesNameEachTasksContainerAndSessionsAndStopEndsOne() {
        Tasks tasks = tasks(Duration.ZERO);
        tasks.start(start("t2", 128, 0));
        tasks.start(start("t1", 0, 0));
        assertThat(tasks.statuses()).containsExactly(new Console.TaskStatus("t1", 0, "t1", 0),
                new Console.TaskStatus("t2", 0, "t2", 128));
        assertThat(tasks.stop("t2")).isTrue();
        assertThat(tasks.stop("t2")).isFalse();
        assertThat(tasks.statuses()).extracting(Console.TaskStatus::id).containsExactly("t1");
        assertThat(exists("t2")).isFalse();
    }

    @Test
    void duplicatesAndOverCapacityAreRefusedWithoutSideEffects() {
        Tasks tasks = tasks(Duration.ZERO);
        tasks.start(start("t1", 600, 0));
        assertThat(tasks.start(start("t1", 1, 0))).isEqualTo(new Tasks.Rejected("t1", "duplicate task id: t1"));
        var tooBig = tasks.start(start("t2", 401, 0));
        assertThat(tooBig).isInstanceOf(Tasks.Rejected.class);
        assertThat(((Tasks.Rejected) tooBig).reason()).contains("not enough memory").contains("401 MiB asked, 400 MiB available");
        assertThat(((Tasks.Rejected) tasks.start(start("t3", 0, 5001))).reason()).contains("not enough disk");
        assertThat(exists("t2")).isFalse();
        assertThat(tasks.ids()).containsExactly("t1");
        // a container that exists outside the console is a duplicate too, and is left alone
        garden.create(ContainerSpec.withHandle("taken"));
        assertThat(((Tasks.Rejected) tasks.start(start("taken", 0, 0))).reason()).contains("duplicate task id");
        assertThat(exists("taken")).isTrue();
        assertThat(tasks.advertisement().availableMemoryMiB()).isEqualTo(400);
    }

    @Test
    void aFailingCreateReleasesTheReservation() {
        Tasks tasks = tasks(Duration.ZERO);
        backend.failNextCreate(dev.cloche.api.GardenError.internal("runc exploded"));
        var r = tasks.start(start("t1", 500, 0));
        assertThat(((Tasks.Rejected) r).reason()).contains("cannot create the task's container").contains("runc exploded");
        assertThat(tasks.advertisement().availableMemoryMiB()).isEqualTo(1000);
        assertThat(tasks.start(start("t1", 500, 0))).isInstanceOf(Tasks.Started.class);
    }

    @Test
    void onlyTheRightTokenAuthenticates() {
        Tasks tasks = tasks(Duration.ZERO);
        tasks.start(start("t1", 0, 0));
        assertThat(tasks.authenticate("t1", "token-t1")).map(Task::id).contains("t1");
        assertThat(tasks.authenticate("t1", "token-t2")).isEmpty();
        assertThat(tasks.authenticate("t1", "")).isEmpty();
        assertThat(tasks.authenticate("nope", "token-nope")).isEmpty();
    }

    @Test
    void theLastSessionEndingEndsTheTaskAtOnceWithoutGrace() {
        Tasks tasks = tasks(Duration.ZERO);
        tasks.start(start("t1", 100, 0));
        Task t = tasks.authenticate("t1", "token-t1").orElseThrow();
        Kickable a = new Kickable();
        Kickable b = new Kickable();
        assertThat(tasks.openSession(t, a)).isTrue();
        assertThat(tasks.openSession(t, b)).isTrue();
        tasks.closeSession(t, a);
        assertThat(exists("t1")).isTrue();
        tasks.closeSession(t, b);
        assertThat(exists("t1")).isFalse();
        assertThat(tasks.ids()).isEmpty();
        assertThat(tasks.advertisement().availableMemoryMiB()).isEqualTo(1000);
        // a gone task authenticates no one and takes no sessions; its id is free again
        assertThat(tasks.authenticate("t1", "token-t1")).isEmpty();
        assertThat(tasks.openSession(t, new Kickable())).isFalse();
        assertThat(tasks.start(start("t1", 0, 0))).isInstanceOf(Tasks.Started.class);
    }

    @Test
    void aSessionWithinTheGracePeriodKeepsTheTask() {
        Tasks tasks = tasks(Duration.ofSeconds(30));
        tasks.start(start("t1", 0, 0));
        Task t = tasks.authenticate("t1", "token-t1").orElseThrow();
        Kickable a = new Kickable();
        tasks.openSession(t, a);
        tasks.closeSession(t, a);
        assertThat(timer.pending()).containsExactly(Duration.ofSeconds(30));
        Kickable b = new Kickable();
        assertThat(tasks.openSession(t, b)).isTrue(); // cancels the timer
        timer.fireAll();
        assertThat(exists("t1")).isTrue();
        tasks.closeSession(t, b);
        assertThat(exists("t1")).isTrue();
        timer.fireAll();
        assertThat(exists("t1")).isFalse();
    }

    @Test
    void aTaskWithoutSessionsLivesUntilStopped() {
        Tasks tasks = tasks(Duration.ZERO);
        tasks.start(start("t1", 0, 0));
        timer.fireAll();
        assertThat(exists("t1")).isTrue();
        assertThat(tasks.stop("t1")).isTrue();
        assertThat(exists("t1")).isFalse();
        assertThat(tasks.stop("t1")).isFalse();
        assertThat(tasks.stop("never")).isFalse();
    }

    @Test
    void aTaskWithoutAnySessionIdlesOut() {
        Tasks tasks = tasks(Duration.ofHours(1), Duration.ofMinutes(30));
        tasks.start(start("t1", 100, 0));
        assertThat(timer.pending()).containsExactly(Duration.ofMinutes(30));
        timer.fire(Duration.ofMinutes(30));
        assertThat(exists("t1")).isFalse();
        assertThat(tasks.ids()).isEmpty();
        assertThat(tasks.advertisement().availableMemoryMiB()).isEqualTo(1000);
    }

    @Test
    void anOpenSessionKeepsATaskHoweverQuietAndLeavingRestartsTheIdleCount() {
        Tasks tasks = tasks(Duration.ofHours(1), Duration.ofMinutes(30));
        tasks.start(start("t1", 0, 0));
        Task t = tasks.authenticate("t1", "token-t1").orElseThrow();
        Kickable a = new Kickable();
        assertThat(tasks.openSession(t, a)).isTrue();
        assertThat(timer.pending()).isEmpty(); // nothing counts while a session is open
        timer.fireAll();
        assertThat(exists("t1")).isTrue();
        tasks.closeSession(t, a);
        // without sessions both count: the idle time (shorter here) ends it before the grace period
        assertThat(timer.pending()).containsExactlyInAnyOrder(Duration.ofHours(1), Duration.ofMinutes(30));
        timer.fire(Duration.ofMinutes(30));
        assertThat(exists("t1")).isFalse();
    }

    @Test
    void zeroIdleMeansNever() {
        Tasks tasks = tasks(Duration.ZERO, Duration.ZERO);
        tasks.start(start("t1", 0, 0));
        assertThat(timer.pending()).isEmpty();
    }

    @Test
    void stopKicksEverySessionAndDestroysTheContainer() {
        Tasks tasks = tasks(Duration.ofSeconds(30));
        tasks.start(start("t1", 0, 0));
        Task t = tasks.authenticate("t1", "token-t1").orElseThrow();
        Kickable a = new Kickable();
        Kickable b = new Kickable();
        tasks.openSession(t, a);
        tasks.openSession(t, b);
        assertThat(tasks.stop("t1")).isTrue();
        assertThat(a.kicks).singleElement().asString().contains("task t1 ended");
        assertThat(b.kicks).hasSize(1);
        assertThat(exists("t1")).isFalse();
        // the kicked sessions' closes are harmless afterwards
        tasks.closeSession(t, a);
        tasks.closeSession(t, b);
        assertThat(timer.pending()).isEmpty();
    }

    @Test
    void closeKeepsEveryTaskAndItsContainerKicksSessionsAndRefusesNewOnes() {
        Tasks tasks = tasks(Duration.ZERO);
        tasks.start(start("t1", 0, 0));
        tasks.start(start("t2", 0, 0));
        Task t = tasks.authenticate("t1", "token-t1").orElseThrow();
        Kickable a = new Kickable();
        tasks.openSession(t, a);
        tasks.close();
        assertThat(a.kicks).singleElement().asString().contains("goes on");
        tasks.closeSession(t, a); // the kicked session's close does not end the task (grace 0)
        assertThat(exists("t1")).isTrue();
        assertThat(exists("t2")).isTrue();
        assertThat(((Tasks.Rejected) tasks.start(start("t3", 0, 0))).reason()).contains("shutting down");
        assertThat(tasks.openSession(t, new Kickable())).isFalse();
        assertThat(timer.pending()).isEmpty();
        tasks.close();
    }

    @Test
    void aRestartedAgentResumesItsTasksWithTheSameTokenAndTheIdleCountGoingOn() throws Exception {
        JsonTaskStore store = new JsonTaskStore(tmp.resolve("tasks"));
        Tasks first = tasks(Duration.ofSeconds(10), Duration.ofMinutes(30), store);
        first.start(start("quiet", 100, 0)); // never a session: idle since its start
        first.start(start("busy", 0, 50));
        first.start(start("lost", 0, 0));
        Task busy = first.authenticate("busy", "token-busy").orElseThrow();
        first.openSession(busy, new Kickable());
        clock.advance(Duration.ofMinutes(10));
        first.close(); // busy: idle from now on
        String kept = Files.readString(tmp.resolve("tasks/quiet.json"));
        assertThat(kept).doesNotContain("token-quiet").contains("token_salt").contains("token_sha256")
                .contains("\"idle_since\":\"2026-12-05T10:00:00Z\"");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tmp.resolve("tasks/quiet.json")))).isEqualTo("rw-------");
        garden.destroy("lost"); // vanished while the agent was away
        // an orphan: this agent's label, no record (its token is gone)
        garden.create(ContainerSpec.withHandle("orphan").withProperties(Map.of(Tasks.AGENT_PROPERTY, "a1")));
        garden.create(ContainerSpec.withHandle("other").withProperties(Map.of(Tasks.AGENT_PROPERTY, "a2")));

        clock.advance(Duration.ofMinutes(5));
        timer.clear();
        Tasks second = tasks(Duration.ofSeconds(10), Duration.ofMinutes(30), store);
        second.resume();
        assertThat(second.ids()).containsExactlyInAnyOrder("quiet", "busy");
        assertThat(exists("orphan")).isFalse();
        assertThat(exists("other")).isTrue();
        assertThat(Files.exists(tmp.resolve("tasks/lost.json"))).isFalse();
        // the idle countdowns go on: quiet has 15 min left, busy 25 (no grace: the restart did not end its session)
        assertThat(timer.pending()).containsExactlyInAnyOrder(Duration.ofMinutes(15), Duration.ofMinutes(25));
        assertThat(second.advertisement()).isEqualTo(new Advertisement("a1", 900, 4950));
        assertThat(second.authenticate("busy", "token-busy")).isPresent();
        assertThat(second.authenticate("busy", "token-quiet")).isEmpty();
        Task resumed = second.authenticate("quiet", "token-quiet").orElseThrow();
        assertThat(second.openSession(resumed, new Kickable())).isTrue();
        assertThat(Files.readString(tmp.resolve("tasks/quiet.json"))).doesNotContain("idle_since");
        timer.fire(Duration.ofMinutes(25));
        assertThat(exists("busy")).isFalse();
        assertThat(Files.exists(tmp.resolve("tasks/busy.json"))).isFalse();
        assertThat(second.stop("quiet")).isTrue();
        assertThat(store.load()).isEmpty();
    }

    @Test
    void aTaskWhoseIdleTimeRanOutWhileTheAgentWasAwayEndsAtOnce() {
        JsonTaskStore store = new JsonTaskStore(tmp.resolve("tasks"));
        tasks(Duration.ZERO, Duration.ofMinutes(30), store).start(start("t1", 0, 0));
        clock.advance(Duration.ofHours(1));
        timer.clear();
        Tasks second = tasks(Duration.ZERO, Duration.ofMinutes(30), store);
        second.resume();
        assertThat(timer.pending()).containsExactly(Duration.ZERO);
        timer.fireAll();
        assertThat(exists("t1")).isFalse();
    }

    @Test
    void unreadableRecordsAreSkipped() throws Exception {
        JsonTaskStore store = new JsonTaskStore(tmp.resolve("tasks"));
        Files.writeString(tmp.resolve("tasks/bad.json"), "{not json");
        Files.writeString(tmp.resolve("tasks/old.json"), "{\"version\":9}");
        assertThat(store.load()).isEmpty();
    }

    private Tasks reconnecting(Duration grace) {
        Tasks t = new Tasks(garden, "a1", 1000, 5000, new Tasks.Lifetimes(grace, Duration.ZERO, Duration.ofSeconds(60)),
                TaskStore.NONE, clock, timer, Runnable::run);
        t.onChange(changes::incrementAndGet);
        return t;
    }

    @Test
    void aParkedShellKeepsItsTaskForTheReconnectGraceAndIsReattachedOnce() {
        Tasks tasks = reconnecting(Duration.ZERO);
        tasks.start(start("t1", 0, 0));
        Task t = tasks.authenticate("t1", "token-t1").orElseThrow();
        Kickable a = new Kickable();
        tasks.openSession(t, a);
        ReattachableShell shell = new ReattachableShell();
        assertThat(tasks.shells().add(t, shell)).isTrue();
        tasks.closeSession(t, a); // the connection dropped: no grace, but the shell may come back
        assertThat(tasks.shells().park(t, shell)).isTrue();
        assertThat(exists("t1")).isTrue();
        assertThat(timer.pending()).containsExactly(Duration.ofSeconds(60));
        Kickable b = new Kickable();
        tasks.openSession(t, b);
        assertThat(tasks.shells().reattach(t)).containsSame(shell);
        assertThat(tasks.shells().reattach(t)).isEmpty(); // one session per shell
        assertThat(timer.pending()).isEmpty();
        // dropped again, and this time nobody comes back: the shell is killed and the task ends with it
        tasks.closeSession(t, b);
        tasks.shells().park(t, shell);
        timer.fire(Duration.ofSeconds(60));
        assertThat(exists("t1")).isFalse();
    }

    @Test
    void aShellThatExitsReleasesItsTask() {
        Tasks tasks = reconnecting(Duration.ZERO);
        tasks.start(start("t1", 0, 0));
        Task t = tasks.authenticate("t1", "token-t1").orElseThrow();
        Kickable a = new Kickable();
        tasks.openSession(t, a);
        ReattachableShell shell = new ReattachableShell();
        tasks.shells().add(t, shell);
        tasks.closeSession(t, a);
        assertThat(exists("t1")).isTrue();
        tasks.shells().ended(t, shell);
        tasks.shells().ended(t, shell);
        assertThat(exists("t1")).isFalse();
    }

    @Test
    void noShellIsParkedOnceTheAgentStops() {
        Tasks tasks = reconnecting(Duration.ZERO);
        tasks.start(start("t1", 0, 0));
        Task t = tasks.authenticate("t1", "token-t1").orElseThrow();
        ReattachableShell shell = new ReattachableShell();
        tasks.shells().add(t, shell);
        tasks.close();
        assertThat(tasks.shells().park(t, shell)).isFalse();
        assertThat(tasks.shells().add(t, new ReattachableShell())).isFalse();
    }

    @Test
    void badConfigIsRefused() {
        assertThatThrownBy(() -> ConsoleConfig.defaults("bad id", "nats://x", java.nio.file.Path.of("/tmp")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Timers fired by the test, so grace periods are checked without waiting. */
    static final class ManualScheduler implements Scheduler {
        private record Entry(Runnable action, Duration delay, boolean[] cancelled) {}

        private final List<Entry> entries = new ArrayList<>();

        @Override
        public synchronized Cancellable schedule(Runnable action, Duration delay) {
            Entry e = new Entry(action, delay, new boolean[1]);
            entries.add(e);
            return () -> e.cancelled()[0] = true;
        }

        synchronized List<Duration> pending() {
            return entries.stream().filter(e -> !e.cancelled()[0]).map(Entry::delay).toList();
        }

        /** Fires the pending timers of exactly this delay. */
        void fire(Duration delay) {
            List<Entry> due;
            synchronized (this) {
                due = entries.stream().filter(e -> e.delay().equals(delay)).toList();
                entries.removeAll(due);
            }
            due.stream().filter(e -> !e.cancelled()[0]).forEach(e -> e.action().run());
        }

        synchronized void clear() {
            entries.clear();
        }

        void fireAll() {
            List<Entry> due;
            synchronized (this) {
                due = List.copyOf(entries);
                entries.clear();
            }
            due.stream().filter(e -> !e.cancelled()[0]).forEach(e -> e.action().run());
        }
    }
}
