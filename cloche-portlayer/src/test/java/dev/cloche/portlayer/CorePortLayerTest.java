package dev.cloche.portlayer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.ConflictException;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.PortLayer;
import dev.cloche.api.PortLayer.Handle;
import dev.cloche.api.PortLayer.ProcessStatus;
import dev.cloche.api.PortLayer.RunState;
import dev.cloche.api.Signal;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The port layer's model on the fake backend: atomicity, conflicts, concurrency, pending files. */
class CorePortLayerTest {
    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    private final PortLayer pl = new CorePortLayer(core, core);

    @AfterEach
    void close() {
        core.close();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void createStagesSeveralChangesAndCommitsThemAll() {
        Handle h = pl.createContainer("web");
        assertThat(h.isNew()).isTrue();
        assertThatThrownBy(() -> pl.getHandle("web")).isInstanceOf(ContainerNotFoundException.class);
        PortLayer.Committed done = pl.commit(h.withEntryPoint("/srv", "sleep", List.of("a b", "", "c"))
                .withMemoryLimit(64 << 20).withCpuShares(256)
                .withFile("/etc/app.conf", 0640, utf8("x=1\n"))
                .withProperty("owner", "me")
                .withRunState(RunState.RUNNING));
        assertThat(done).isEqualTo(new PortLayer.Committed("web", 2));

        PortLayer.Config cfg = pl.config("web");
        assertThat(cfg.version()).isEqualTo(2);
        assertThat(cfg.entryPoint()).contains(new PortLayer.EntryPoint("/srv", "sleep", List.of("a b", "", "c")));
        assertThat(cfg.memoryLimit()).isEqualTo(64 << 20);
        assertThat(cfg.cpuShares()).isEqualTo(256);
        assertThat(cfg.properties()).isEqualTo(Map.of("owner", "me"));
        assertThat(cfg.pendingFiles()).isEmpty();
        assertThat(pl.copyOut("web", "/etc/app.conf").content()).isEqualTo(utf8("x=1\n"));
        assertThat(pl.copyOut("web", "/etc/app.conf").mode()).isEqualTo(0640);
        PortLayer.State st = pl.state("web");
        assertThat(st.runState()).isEqualTo(RunState.RUNNING);
        assertThat(st.main().status()).isEqualTo(ProcessStatus.RUNNING);
        assertThat(st.main().started()).isPresent();
        assertThat(pl.containers(Optional.of(RunState.RUNNING))).containsExactly("web");
        assertThat(pl.containers(Optional.of(RunState.STOPPED))).isEmpty();
        // the same container through Garden
        assertThat(core.lookup("web").properties()).containsEntry("owner", "me").containsKey("portlayer.entry.path");

        assertThatThrownBy(() -> pl.createContainer("web")).isInstanceOf(AlreadyExistsException.class);
        assertThatThrownBy(() -> pl.destroyContainer("web")).isInstanceOf(ConflictException.class);
        pl.commit(pl.getHandle("web").withRunState(RunState.STOPPED));
        assertThat(pl.state("web").main().status()).isEqualTo(ProcessStatus.EXITED);
        assertThat(pl.state("web").main().exitCode()).hasValue(128 + 15);
        assertThat(pl.state("web").main().finished()).isPresent();
        pl.destroyContainer("web");
        assertThat(backend.liveHandles()).isEmpty();
    }

    @Test
    void aFailingChangeInTheMiddleAppliesNothing() {
        pl.commit(pl.createContainer("m").withEntryPoint("", "sleep", List.of()).withProperty("p", "old")
                .withFile("/data/kept", 0644, utf8("old")).withRunState(RunState.RUNNING));
        long before = pl.config("m").version();
        backend.container("m").failNextStreamIn(GardenError.internal("disk full"));
        Handle h = pl.getHandle("m").withProperty("p", "new").withProperty("q", "added").withMemoryLimit(1 << 20)
                .withEntryPoint("/x", "other", List.of()).withFile("/data/new", 0600, utf8("n"));
        assertThatThrownBy(() -> pl.commit(h)).hasMessageContaining("disk full");

        PortLayer.Config cfg = pl.config("m");
        assertThat(cfg.version()).isEqualTo(before);
        assertThat(cfg.properties()).isEqualTo(Map.of("p", "old"));
        assertThat(cfg.memoryLimit()).isZero();
        assertThat(cfg.entryPoint().orElseThrow().path()).isEqualTo("sleep");
        assertThat(backend.container("m").file("/data/new")).isEmpty();
        // the same handle, retried, now goes through
        assertThat(pl.commit(h).version()).isEqualTo(before + 1);
    }

    @Test
    void aFileCopyIsUndoneWhenALaterChangeFails() {
        pl.commit(pl.createContainer("u").withEntryPoint("", "missing-binary", List.of())
                .withFile("/etc/old", 0644, utf8("before")));
        assertThat(pl.config("u").pendingFiles()).containsExactly("/etc/old");
        // start fails (executable not found) after the pending file and a new file were copied in and a file replaced
        Handle h = pl.getHandle("u").withFile("/etc/new", 0644, utf8("n")).withRunState(RunState.RUNNING);
        assertThatThrownBy(() -> pl.commit(h)).isInstanceOf(ExecutableNotFoundException.class);
        assertThat(backend.container("u").file("/etc/new")).isEmpty();
        assertThat(backend.container("u").file("/etc/old")).isEmpty();
        assertThat(pl.config("u").pendingFiles()).containsExactly("/etc/old");
        assertThat(pl.state("u").runState()).isEqualTo(RunState.STOPPED);
    }

    @Test
    void aNewContainerWhoseCommitFailsIsGoneAgain() {
        Handle h = pl.createContainer("gone").withEntryPoint("", "missing", List.of()).withRunState(RunState.RUNNING);
        assertThatThrownBy(() -> pl.commit(h)).isInstanceOf(ExecutableNotFoundException.class);
        assertThatThrownBy(() -> core.lookup("gone")).isInstanceOf(ContainerNotFoundException.class);
        assertThat(backend.liveHandles()).isEmpty();
    }

    @Test
    void twoClientsFirstCommitWinsSecondConflictsThenSucceedsAfterRereading() {
        pl.commit(pl.createContainer("shared"));
        Handle a = pl.getHandle("shared").withProperty("color", "red");
        Handle b = pl.getHandle("shared").withProperty("size", "L");
        assertThat(a.version()).isEqualTo(b.version());
        pl.commit(a);
        assertThatThrownBy(() -> pl.commit(b)).isInstanceOf(ConflictException.class).hasMessageContaining("version");
        assertThat(pl.config("shared").properties()).isEqualTo(Map.of("color", "red"));
        Handle again = pl.getHandle("shared").withProperty("size", "L");
        pl.commit(again);
        assertThat(pl.config("shared").properties()).isEqualTo(Map.of("color", "red", "size", "L"));
    }

    @Test
    void aGardenChangeInBetweenIsAConflictToo() {
        pl.commit(pl.createContainer("g"));
        Handle h = pl.getHandle("g").withProperty("a", "1");
        core.lookup("g").setProperty("garden", "was here");
        assertThatThrownBy(() -> pl.commit(h)).isInstanceOf(ConflictException.class);
    }

    @Test
    void fiftyConcurrentCommittersNoLostUpdate() throws Exception {
        pl.commit(pl.createContainer("counter").withProperty("count", "0"));
        int n = 50;
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger firstRoundWins = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(pool.submit(() -> {
                    Handle h = pl.getHandle("counter"); // all read before anyone commits
                    ready.countDown();
                    go.await();
                    boolean first = true;
                    while (true) {
                        // read-modify-write against the version read: a lost update would be a missed increment
                        PortLayer.Config cfg = pl.config("counter");
                        int count = Integer.parseInt(cfg.properties().get("count"));
                        try {
                            long v = cfg.version();
                            if (first && v != h.version()) {
                                throw new ConflictException("stale already");
                            }
                            pl.commit(Handle.of("counter", first ? h.version() : v).withProperty("count", Integer.toString(count + 1)));
                            if (first) {
                                firstRoundWins.incrementAndGet();
                            }
                            return null;
                        } catch (ConflictException e) {
                            if (first) {
                                conflicts.incrementAndGet();
                            }
                            first = false;
                        }
                    }
                }));
            }
            ready.await();
            go.countDown();
            for (Future<?> f : fs) {
                f.get();
            }
        }
        assertThat(firstRoundWins).hasValue(1);
        assertThat(conflicts).hasValue(n - 1);
        assertThat(pl.config("counter").properties()).containsEntry("count", Integer.toString(n));
        assertThat(pl.config("counter").version()).isEqualTo(2 + n);
    }

    @Test
    void aFileCopiedIntoAStoppedContainerAppearsWhenItStarts() {
        pl.commit(pl.createContainer("s").withEntryPoint("", "sleep", List.of()));
        pl.commit(pl.getHandle("s").withFile("/etc/motd", 0600, utf8("hello")));
        assertThat(pl.config("s").pendingFiles()).containsExactly("/etc/motd");
        assertThat(backend.container("s").file("/etc/motd")).isEmpty();
        pl.commit(pl.getHandle("s").withRunState(RunState.RUNNING));
        assertThat(backend.container("s").file("/etc/motd")).hasValueSatisfying(b -> assertThat(b).isEqualTo(utf8("hello")));
        assertThat(pl.config("s").pendingFiles()).isEmpty();
        assertThat(pl.copyOut("s", "/etc/motd").mode()).isEqualTo(0600);
    }

    @Test
    void execAndSignal() {
        pl.commit(pl.createContainer("e").withEntryPoint("", "sleep", List.of()).withRunState(RunState.RUNNING));
        String pid = pl.execProcess("e", "/tmp", "sleep", List.of("1000"));
        PortLayer.Config cfg = pl.config("e");
        assertThat(cfg.execs()).containsExactly(new PortLayer.ExecConfig(pid, new PortLayer.EntryPoint("/tmp", "sleep", List.of("1000"))));
        assertThat(pl.state("e").execs()).extracting(PortLayer.ProcessState::id).containsExactly(pid);

        pl.signal(pid, Signal.KILL);
        PortLayer.State st = pl.state("e");
        assertThat(st.execs().getFirst().exitCode()).hasValue(137);
        assertThat(st.main().status()).isEqualTo(ProcessStatus.RUNNING); // independent of the main process

        pl.signal("e", Signal.TERMINATE); // the container id: its main process
        assertThat(pl.state("e").runState()).isEqualTo(RunState.STOPPED);
        assertThat(pl.state("e").main().exitCode()).hasValue(143);
        assertThatThrownBy(() -> pl.execProcess("e", "", "sleep", List.of())).isInstanceOf(ConflictException.class);
        assertThatThrownBy(() -> pl.signal("no-such-process", Signal.KILL)).hasMessageContaining("no-such-process");
        // restart: the main process id is reused
        pl.commit(pl.getHandle("e").withRunState(RunState.RUNNING));
        assertThat(pl.state("e").runState()).isEqualTo(RunState.RUNNING);
    }

    @Test
    void reservedPropertiesAndBadInputAreRefused() {
        pl.commit(pl.createContainer("r"));
        assertThatThrownBy(() -> pl.commit(pl.getHandle("r").withProperty("portlayer.entry.path", "x")))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> pl.getHandle("r").withFile("relative", 0644, new byte[0])).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> pl.getHandle("r").withFile("/a/../b", 0644, new byte[0])).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> pl.commit(pl.getHandle("r").withRunState(RunState.RUNNING)))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("entry point");
    }

    @Test
    void argsSurviveTheirEncoding() {
        List<String> args = List.of("", " ", "a b", "100%", "+", "ü", "x\ny");
        assertThat(PortLayerProperties.decodeArgs(PortLayerProperties.encodeArgs(args))).isEqualTo(args);
        assertThat(PortLayerProperties.decodeArgs(PortLayerProperties.encodeArgs(List.of()))).isEmpty();
    }
}
