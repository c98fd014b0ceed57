package dev.cloche.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.testkit.FakeBackend;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ContainerManagerTest {
    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager manager = ContainerManager.start(backend, CoreConfig.DEFAULTS);

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void createsListsLooksUpAndDestroys() {
        Container c = manager.create(ContainerSpec.withHandle("h1").withProperties(Map.of("owner", "me")));
        manager.create(ContainerSpec.withHandle("h2"));

        assertThat(c.handle()).isEqualTo("h1");
        assertThat(manager.containers(Map.of()).stream().map(Container::handle)).containsExactlyInAnyOrder("h1", "h2");
        assertThat(manager.containers(Map.of("owner", "me")).stream().map(Container::handle)).containsExactly("h1");
        assertThat(manager.containers(Map.of("owner", "me", "x", "y"))).isEmpty();
        assertThat(manager.lookup("h1").info().properties()).containsEntry("owner", "me");

        manager.destroy("h1");
        assertThat(backend.liveHandles()).containsExactly("h2");
        assertThatThrownBy(() -> manager.destroy("h1")).isInstanceOfSatisfying(ContainerNotFoundException.class,
                e -> assertThat(e.handle()).isEqualTo("h1"));
        assertThatThrownBy(() -> manager.lookup("h1")).isInstanceOf(ContainerNotFoundException.class);
    }

    @Test
    void duplicateHandleIsRefusedWithGardensMessage() {
        manager.create(ContainerSpec.withHandle("dup"));
        assertThatThrownBy(() -> manager.create(ContainerSpec.withHandle("dup")))
                .isInstanceOf(AlreadyExistsException.class)
                .hasMessage("Handle 'dup' already in use");
        assertThat(backend.createCalls()).isEqualTo(1);
    }

    @Test
    void generatesAHandleWhenNoneIsGiven() {
        Container a = manager.create(ContainerSpec.empty());
        Container b = manager.create(ContainerSpec.empty());
        assertThat(a.handle()).isNotBlank().isNotEqualTo(b.handle());
    }

    @Test
    void invalidHandlesAreRejectedBeforeTheBackendIsCalled() {
        assertThatThrownBy(() -> manager.create(ContainerSpec.withHandle("a/b"))).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> manager.create(ContainerSpec.withHandle("  "))).isInstanceOf(InvalidRequestException.class);
        assertThat(backend.createCalls()).isZero();
    }

    @Test
    void aFailedCreateLeavesTheHandleFree() {
        backend.failNextCreate(new IllegalStateException("runtime exploded"));
        assertThatThrownBy(() -> manager.create(ContainerSpec.withHandle("f")))
                .isInstanceOf(GardenError.class).hasMessageContaining("runtime exploded");
        assertThat(manager.containers(Map.of())).isEmpty();
        assertThat(manager.create(ContainerSpec.withHandle("f")).handle()).isEqualTo("f");
    }

    @Test
    void limitsAreReportedAsGiven() {
        Container c = manager.create(ContainerSpec.withHandle("l").withLimits(
                ContainerSpec.empty().limits().withMemory(new MemoryLimits(64L << 20))));
        assertThat(c.currentMemoryLimits().limitInBytes()).isEqualTo(64L << 20);
        assertThat(c.currentDiskLimits().byteHard()).isZero();
    }

    @Test
    void runDeliversOutputAndExitStatus() {
        Container c = manager.create(ContainerSpec.withHandle("r"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Process p = c.run(ProcessSpec.of("emit", "hello\n", "oops\n", "3"), ProcessIO.output(out, err));
        assertThat(p.await()).isEqualTo(3);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("oops\n");
        assertThat(c.info().processIds()).containsExactly(p.id());
    }

    @Test
    void stdinReachesTheProcessAndItsEndClosesIt() {
        Container c = manager.create(ContainerSpec.withHandle("cat"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Process p = c.run(ProcessSpec.of("cat"), ProcessIO.output(out, new ByteArrayOutputStream())
                .withStdin(new ByteArrayInputStream("piped".getBytes(StandardCharsets.UTF_8))));
        assertThat(p.await()).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("piped");
    }

    @Test
    void everyAttacherGetsAllOutputAndTheExitStatus() {
        Container c = manager.create(ContainerSpec.withHandle("att"));
        Process first = c.run(ProcessSpec.of("trap").withId("p1"), ProcessIO.NONE);
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Process pa = c.attach("p1", ProcessIO.output(a, new ByteArrayOutputStream()));
        Process pb = c.attach("p1", ProcessIO.output(b, new ByteArrayOutputStream()));
        first.signal(Signal.TERMINATE);
        assertThat(pa.await()).isEqualTo(42);
        assertThat(pb.await()).isEqualTo(42);
        assertThat(first.await()).isEqualTo(42);
    }

    @Test
    void processErrorsAreTyped() {
        Container c = manager.create(ContainerSpec.withHandle("e"));
        assertThatThrownBy(() -> c.attach("nope", ProcessIO.NONE)).isInstanceOfSatisfying(ProcessNotFoundException.class,
                e -> assertThat(e.processId()).isEqualTo("nope"));
        assertThatThrownBy(() -> c.run(ProcessSpec.of("/missing/bin"), ProcessIO.NONE))
                .isInstanceOf(ExecutableNotFoundException.class);
        c.run(ProcessSpec.of("sleep").withId("same"), ProcessIO.NONE);
        assertThatThrownBy(() -> c.run(ProcessSpec.of("sleep").withId("same"), ProcessIO.NONE))
                .isInstanceOf(AlreadyExistsException.class).hasMessageContaining("already in use");
        assertThatThrownBy(() -> c.run(ProcessSpec.of("echo").withBindMounts(List.of(
                new dev.cloche.api.BindMount("/a", "/b", dev.cloche.api.BindMount.Mode.RO, dev.cloche.api.BindMount.Origin.HOST))),
                ProcessIO.NONE)).isInstanceOf(InvalidRequestException.class).hasMessageContaining("own image");
        // a pea (with or without bind mounts) is the backend's to run or refuse: the fake refuses it itself
        assertThatThrownBy(() -> c.run(ProcessSpec.of("echo").withImage(dev.cloche.api.ImageRef.of("/some/rootfs"))
                .withBindMounts(List.of(new dev.cloche.api.BindMount("/a", "/b", dev.cloche.api.BindMount.Mode.RO,
                        dev.cloche.api.BindMount.Origin.HOST))), ProcessIO.NONE))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("fake backend");
    }

    @Test
    void detachingAfterExitStillDeliversAllOutput() throws Exception {
        Container c = manager.create(ContainerSpec.withHandle("late-reader"));
        // A writer that is not ready yet, like the server's stdout stream before the client's GET arrives.
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        java.io.OutputStream late = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                try {
                    ready.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                received.write(b, off, len);
            }
        };
        Process p = c.run(ProcessSpec.of("echo", "fast"), ProcessIO.output(late, new ByteArrayOutputStream()));
        assertThat(p.onExit().get()).isZero();
        p.close(); // the caller detaches on exit, before its writer could take anything
        ready.countDown();
        assertThat(p.await()).isZero();
        assertThat(received.toString(StandardCharsets.UTF_8)).isEqualTo("fast\n");
    }

    @Test
    void killGives137() {
        Container c = manager.create(ContainerSpec.withHandle("k"));
        Process p = c.run(ProcessSpec.of("sleep"), ProcessIO.NONE);
        p.signal(Signal.KILL);
        assertThat(p.await()).isEqualTo(137);
    }

    @Test
    void propertiesFollowGuardian() {
        Container c = manager.create(ContainerSpec.withHandle("p"));
        c.setProperty("a", "1");
        assertThat(c.property("a")).isEqualTo("1");
        c.removeProperty("a");
        c.removeProperty("never-there");
        assertThatThrownBy(() -> c.property("a")).isInstanceOf(GardenException.class).hasMessage("property does not exist: a");
    }

    @Test
    void bulkInfoReportsPerHandleErrors() {
        manager.create(ContainerSpec.withHandle("b1"));
        Map<String, ContainerInfoEntry> info = manager.bulkInfo(List.of("b1", "missing"));
        assertThat(info.get("b1").info()).isPresent();
        assertThat(info.get("missing").error()).get().isInstanceOf(ContainerNotFoundException.class);
    }

    @Test
    void graceTimeReapsAnIdleContainer() {
        manager.create(ContainerSpec.withHandle("g").withGraceTime(Duration.ofMillis(100)));
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.liveHandles().isEmpty());
        assertThatThrownBy(() -> manager.lookup("g")).isInstanceOf(ContainerNotFoundException.class);
    }

    @Test
    void anAttachedRunningProcessHoldsTheGraceTimeUntilItDetaches() throws Exception {
        Container c = manager.create(ContainerSpec.withHandle("held").withGraceTime(Duration.ofMillis(50)));
        Process p = c.run(ProcessSpec.of("sleep"), ProcessIO.NONE);
        Thread.sleep(500); // several grace periods
        assertThat(backend.liveHandles()).contains("held");
        // Listing does not touch the timer; detaching releases it.
        manager.containers(Map.of());
        p.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.liveHandles().isEmpty());
    }

    @Test
    void setGraceTimeRearmsTheCountdown() {
        Container c = manager.create(ContainerSpec.withHandle("sg"));
        c.setGraceTime(Duration.ofMillis(50));
        await().atMost(Duration.ofSeconds(5)).until(() -> backend.liveHandles().isEmpty());
    }
}
