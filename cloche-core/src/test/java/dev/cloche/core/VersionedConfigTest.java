package dev.cloche.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ConflictException;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.GardenError;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.testkit.FakeBackend;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The core's versioned configuration: single changes bump the version, commits are all-or-nothing and optimistic. */
class VersionedConfigTest {
    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager manager = ContainerManager.start(backend, CoreConfig.DEFAULTS);

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void everyGardenConfigurationChangeIsANewVersion() {
        manager.create(ContainerSpec.withHandle("v"));
        assertThat(manager.version("v")).isEqualTo(1);
        manager.lookup("v").setProperty("a", "1");
        assertThat(manager.version("v")).isEqualTo(2);
        manager.lookup("v").removeProperty("a");
        assertThat(manager.version("v")).isEqualTo(3);
        manager.lookup("v").removeProperty("never-set"); // no change, no version
        assertThat(manager.version("v")).isEqualTo(3);
        manager.lookup("v").setGraceTime(Duration.ofMinutes(5));
        assertThat(manager.version("v")).isEqualTo(4);
        manager.lookup("v").info(); // reads change nothing
        assertThat(manager.version("v")).isEqualTo(4);
        assertThatThrownBy(() -> manager.version("nope")).isInstanceOf(ContainerNotFoundException.class);
    }

    @Test
    void commitAppliesPropertiesAndLimitsTogether() {
        manager.create(ContainerSpec.withHandle("c").withProperties(Map.of("keep", "k", "drop", "d")));
        Limits limits = Limits.NONE.withMemory(new MemoryLimits(64 << 20)).withCpu(new CpuLimits(0, 512));
        long v = manager.commit("c", 1, tx -> {
            tx.setProperty("new", "n");
            tx.removeProperty("drop");
            assertThat(tx.properties()).containsOnlyKeys("keep", "new");
            tx.updateLimits(old -> limits);
        });
        assertThat(v).isEqualTo(2);
        assertThat(manager.lookup("c").properties()).isEqualTo(Map.of("keep", "k", "new", "n"));
        assertThat(manager.lookup("c").currentMemoryLimits().limitInBytes()).isEqualTo(64 << 20);
        assertThat(backend.container("c").limits()).isEqualTo(limits);
    }

    @Test
    void aFailingCommitUndoesEverythingAndKeepsTheVersion() {
        manager.create(ContainerSpec.withHandle("f").withProperties(Map.of("p", "old")));
        List<String> undone = new ArrayList<>();
        assertThatThrownBy(() -> manager.commit("f", 1, tx -> {
            tx.setProperty("p", "new");
            tx.updateLimits(old -> old.withMemory(new MemoryLimits(1 << 20)));
            tx.onRollback(() -> undone.add("first"));
            tx.onRollback(() -> undone.add("second"));
            throw GardenError.internal("boom in the middle");
        })).hasMessageContaining("boom in the middle");
        assertThat(undone).containsExactly("second", "first");
        assertThat(manager.lookup("f").properties()).isEqualTo(Map.of("p", "old"));
        assertThat(backend.container("f").limits()).isEqualTo(Limits.NONE);
        assertThat(manager.version("f")).isEqualTo(1);
    }

    @Test
    void aLimitTheBackendRefusesFailsTheCommit() {
        manager.create(ContainerSpec.withHandle("r"));
        backend.container("r").failNextUpdateLimits(GardenError.internal("EBUSY"));
        assertThatThrownBy(() -> manager.commit("r", 1, tx -> {
            tx.setProperty("x", "y");
            tx.updateLimits(old -> old.withMemory(new MemoryLimits(4096)));
        })).hasMessageContaining("EBUSY");
        assertThat(manager.lookup("r").properties()).isEmpty();
        assertThat(manager.version("r")).isEqualTo(1);
    }

    @Test
    void aStaleVersionIsAConflictAndRunsNothing() {
        manager.create(ContainerSpec.withHandle("s"));
        manager.lookup("s").setProperty("by", "garden"); // a Garden client changed it: version 2
        AtomicInteger ran = new AtomicInteger();
        assertThatThrownBy(() -> manager.commit("s", 1, tx -> ran.incrementAndGet()))
                .isInstanceOf(ConflictException.class)
                .hasMessageContaining("version 1").hasMessageContaining("current version is 2");
        assertThat(ran).hasValue(0);
        assertThat(manager.commit("s", 2, tx -> tx.setProperty("by", "port layer"))).isEqualTo(3);
    }

    @Test
    void concurrentCommittersOnOneVersionExactlyOneWins() throws Exception {
        manager.create(ContainerSpec.withHandle("race"));
        int n = 50;
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger won = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int me = i;
                fs.add(pool.submit(() -> {
                    go.await();
                    try {
                        manager.commit("race", 1, tx -> tx.setProperty("winner", Integer.toString(me)));
                        won.incrementAndGet();
                    } catch (ConflictException e) {
                        conflicts.incrementAndGet();
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : fs) {
                f.get();
            }
        }
        assertThat(won).hasValue(1);
        assertThat(conflicts).hasValue(n - 1);
        assertThat(manager.version("race")).isEqualTo(2);
    }

    @Test
    void aChangeWhoseSaveFailsChangesNothing() {
        TestStore store = new TestStore();
        try (ContainerManager m = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS, store)) {
            m.create(ContainerSpec.withHandle("s").withProperties(Map.of("a", "1")));
            m.lookup("s").setGraceTime(Duration.ofMinutes(1));
            store.failing = true;
            assertThatThrownBy(() -> m.lookup("s").setProperty("b", "2")).hasMessageContaining("disk full");
            assertThatThrownBy(() -> m.lookup("s").removeProperty("a")).hasMessageContaining("disk full");
            assertThatThrownBy(() -> m.lookup("s").setGraceTime(Duration.ofMinutes(2))).hasMessageContaining("disk full");
            List<String> undone = new ArrayList<>();
            assertThatThrownBy(() -> m.commit("s", 2, tx -> {
                tx.setProperty("c", "3");
                tx.onRollback(() -> undone.add("undo"));
            })).hasMessageContaining("disk full");
            assertThat(undone).containsExactly("undo");
            store.failing = false;
            assertThat(m.version("s")).isEqualTo(2);
            assertThat(m.lookup("s").properties()).isEqualTo(Map.of("a", "1"));
            m.lookup("s").setProperty("d", "4");
            assertThat(store.last).isEqualTo(new ContainerStore.Saved(Map.of("a", "1", "d", "4"), Duration.ofMinutes(1), 3));
        }
    }

    @Test
    void aCreateWhoseStateCannotBeSavedIsUndoneBeforeAnyoneSeesIt() {
        TestStore store = new TestStore();
        FakeBackend b = new FakeBackend();
        try (ContainerManager m = ContainerManager.start(b, CoreConfig.DEFAULTS, store)) {
            List<String> seenWhileSaving = new ArrayList<>();
            store.failing = true;
            store.beforeNextSave = () -> {
                m.containers(Map.of()).forEach(c -> seenWhileSaving.add(c.handle()));
                try {
                    seenWhileSaving.add(m.lookup("n").handle());
                } catch (ContainerNotFoundException expected) {
                    // not listed until saved
                }
            };
            assertThatThrownBy(() -> m.create(ContainerSpec.withHandle("n"))).hasMessageContaining("disk full");
            assertThat(seenWhileSaving).isEmpty();
            assertThat(b.createCalls()).isEqualTo(1);
            assertThat(b.destroyCalls()).isEqualTo(1);
            store.failing = false;
            assertThat(m.create(ContainerSpec.withHandle("n")).handle()).isEqualTo("n");
        }
    }

    @Test
    void aDestroyWaitsForAGraceTimeChangeBeingSavedSoTheSavedStateIsNotLeftBehind() throws Exception {
        TestStore store = new TestStore();
        try (ContainerManager m = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS, store);
                var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Container c = m.create(ContainerSpec.withHandle("g"));
            CountDownLatch saving = new CountDownLatch(1);
            CountDownLatch letSave = new CountDownLatch(1);
            store.beforeNextSave = () -> {
                saving.countDown();
                await(letSave);
            };
            Future<?> setting = threads.submit(() -> c.setGraceTime(Duration.ofMinutes(1)));
            await(saving);
            Future<?> destroying = threads.submit(c::destroy);
            try {
                Thread.sleep(300);
                assertThat(destroying).as("destroy ran while the grace time was being saved").isNotDone();
            } finally {
                letSave.countDown();
            }
            setting.get(10, TimeUnit.SECONDS);
            destroying.get(10, TimeUnit.SECONDS);
            assertThat(store.saved).doesNotContainKey("g");
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Keeps saves in memory; fails every save while {@code failing}; runs {@code beforeNextSave} once. */
    private static final class TestStore implements ContainerStore {
        final Map<String, Saved> saved = new ConcurrentHashMap<>();
        volatile boolean failing;
        volatile Saved last;
        volatile Runnable beforeNextSave;

        @Override
        public void save(String handle, Saved s) {
            Runnable before = beforeNextSave;
            beforeNextSave = null;
            if (before != null) {
                before.run();
            }
            if (failing) {
                throw GardenError.internal("cannot save state of container " + handle + ": disk full");
            }
            saved.put(handle, s);
            last = s;
        }

        @Override
        public Optional<Saved> load(String handle) {
            return Optional.ofNullable(saved.get(handle));
        }

        @Override
        public void delete(String handle) {
            saved.remove(handle);
        }
    }

    @Test
    void theVersionSurvivesARestart(@TempDir Path dir) {
        FileContainerStore store = new FileContainerStore(dir);
        FakeBackend b = new FakeBackend();
        try (ContainerManager m = ContainerManager.start(b, CoreConfig.DEFAULTS, store)) {
            m.create(ContainerSpec.withHandle("p"));
            m.lookup("p").setProperty("a", "b");
            m.commit("p", 2, tx -> tx.setProperty("c", "d"));
            assertThat(m.version("p")).isEqualTo(3);
        }
        assertThat(store.load("p").orElseThrow().version()).isEqualTo(3);
        FakeBackend again = new FakeBackend();
        again.addRestorable(new dev.cloche.spi.RestoredContainer("p",
                java.util.Optional.of(b.container("p")), java.util.Optional.empty()));
        try (ContainerManager m = ContainerManager.start(again, CoreConfig.DEFAULTS, store)) {
            assertThat(m.version("p")).isEqualTo(3);
            assertThat(m.lookup("p").properties()).isEqualTo(Map.of("a", "b", "c", "d"));
            assertThatThrownBy(() -> m.commit("p", 2, tx -> { })).isInstanceOf(ConflictException.class);
        }
    }
}
