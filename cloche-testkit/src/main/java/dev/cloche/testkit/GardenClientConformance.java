package dev.cloche.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.BandwidthLimits;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfo;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerMetricsEntry;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PidLimits;
import dev.cloche.api.PortMapping;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What every {@link GardenClient} must do, whether it is the core in the same process or a client across Garden's
 * wire: a test subclasses this and says how to make a client of the server under test. Handles are unique per
 * test, so a shared server works too. The process specs the suite runs default to {@link FakeBackend}'s scripts;
 * override them for a backend with real processes.
 */
@Timeout(30)
public abstract class GardenClientConformance {

    private final List<GardenClient> clients = new ArrayList<>();

    /**
     * A client of the server under test. Called on first use in each test, and again when a test needs a second
     * caller; every client sees the same containers. The suite closes them after the test.
     */
    protected abstract GardenClient newClient();

    /** A process that prints {@code out} on stdout and {@code err} on stderr, exactly, and exits with {@code code}. */
    protected ProcessSpec emit(String out, String err, int code) {
        return ProcessSpec.of("emit", out, err, Integer.toString(code));
    }

    /** A process that copies stdin to stdout until stdin ends, then exits 0. */
    protected ProcessSpec cat() {
        return ProcessSpec.of("cat");
    }

    /** A process that runs until it is signalled. */
    protected ProcessSpec sleeper() {
        return ProcessSpec.of("sleep");
    }

    /** A process whose executable does not exist. */
    protected ProcessSpec missingExecutable() {
        return ProcessSpec.of("/no/such/missing-binary");
    }

    /** The client of this test (made on first use). */
    protected final GardenClient garden() {
        return clients.isEmpty() ? secondClient() : clients.getFirst();
    }

    /** Another caller of the same server. */
    protected final GardenClient secondClient() {
        GardenClient c = newClient();
        clients.add(c);
        return c;
    }

    @AfterEach
    void closeClients() {
        for (GardenClient c : clients.reversed()) {
            c.close();
        }
    }

    protected static String uniqueHandle() {
        return "gc-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private Container create(ContainerSpec spec) {
        return garden().create(spec);
    }

    private Container create() {
        return create(ContainerSpec.withHandle(uniqueHandle()));
    }

    private static List<String> handles(List<Container> containers) {
        return containers.stream().map(Container::handle).toList();
    }

    private static String text(ByteArrayOutputStream out) {
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    // ---- containers

    @Test
    void pingAndCapacity() {
        garden().ping();
        assertThat(garden().capacity().maxContainers()).isPositive();
    }

    @Test
    void createLookupListByPropertiesAndDestroy() {
        String owner = uniqueHandle();
        Container a = create(ContainerSpec.withHandle(uniqueHandle()).withProperties(Map.of("owner", owner, "tier", "a")));
        Container b = create(ContainerSpec.withHandle(uniqueHandle()).withProperties(Map.of("owner", owner)));
        Container other = create();

        assertThat(garden().lookup(a.handle()).handle()).isEqualTo(a.handle());
        assertThat(handles(garden().containers(Map.of("owner", owner)))).containsExactlyInAnyOrder(a.handle(), b.handle());
        assertThat(handles(garden().containers(Map.of("owner", owner, "tier", "a")))).containsExactly(a.handle());
        assertThat(handles(garden().containers(Map.of()))).contains(a.handle(), b.handle(), other.handle());

        garden().destroy(a.handle());
        assertThatThrownBy(() -> garden().lookup(a.handle())).isInstanceOfSatisfying(ContainerNotFoundException.class,
                e -> assertThat(e.handle()).isEqualTo(a.handle()));
        assertThat(handles(garden().containers(Map.of("owner", owner)))).containsExactly(b.handle());
        assertThatThrownBy(() -> garden().destroy(a.handle())).isInstanceOfSatisfying(ContainerNotFoundException.class,
                e -> assertThat(e.handle()).isEqualTo(a.handle()));
        b.destroy();
        other.destroy();
    }

    @Test
    void destroyOfAnUnknownHandleIsContainerNotFound() {
        String unknown = uniqueHandle();
        assertThatThrownBy(() -> garden().destroy(unknown)).isInstanceOfSatisfying(ContainerNotFoundException.class,
                e -> assertThat(e.handle()).isEqualTo(unknown));
        assertThatThrownBy(() -> garden().lookup(unknown)).isInstanceOfSatisfying(ContainerNotFoundException.class,
                e -> assertThat(e.handle()).isEqualTo(unknown));
    }

    @Test
    void aHandleInUseIsAlreadyExists() {
        Container c = create();
        try {
            assertThatThrownBy(() -> create(ContainerSpec.withHandle(c.handle())))
                    .isInstanceOf(AlreadyExistsException.class).hasMessage("Handle '" + c.handle() + "' already in use");
        } finally {
            c.destroy();
        }
    }

    @Test
    void anEmptyHandleIsGenerated() {
        Container a = create(ContainerSpec.empty());
        try {
            Container b = create(ContainerSpec.empty());
            try {
                assertThat(a.handle()).isNotBlank().isNotEqualTo(b.handle());
                assertThat(garden().lookup(a.handle()).handle()).isEqualTo(a.handle());
            } finally {
                b.destroy();
            }
        } finally {
            a.destroy();
        }
    }

    @Test
    void destroyingAContainerEndsItAndDestroyingAgainIsContainerNotFound() {
        Container c = create();
        c.destroy();
        assertThatThrownBy(() -> garden().lookup(c.handle())).isInstanceOf(ContainerNotFoundException.class);
        assertThatThrownBy(c::destroy).isInstanceOfSatisfying(ContainerNotFoundException.class,
                e -> assertThat(e.handle()).isEqualTo(c.handle()));
    }

    @Test
    void callsOnAContainerThatIsGoneAreContainerNotFound() {
        Container c = create();
        garden().destroy(c.handle());
        assertThatThrownBy(c::info).isInstanceOf(ContainerNotFoundException.class);
        assertThatThrownBy(c::properties).isInstanceOf(ContainerNotFoundException.class);
        assertThatThrownBy(() -> c.setProperty("k", "v")).isInstanceOf(ContainerNotFoundException.class);
        assertThatThrownBy(c::metrics).isInstanceOf(ContainerNotFoundException.class);
        assertThatThrownBy(c::currentMemoryLimits).isInstanceOf(ContainerNotFoundException.class);
        assertThatThrownBy(() -> c.run(emit("", "", 0), ProcessIO.NONE)).isInstanceOf(ContainerNotFoundException.class);
        assertThatThrownBy(() -> c.attach("p", ProcessIO.NONE)).isInstanceOf(ContainerNotFoundException.class);
        assertThatThrownBy(() -> c.streamOut(new StreamOutSpec("/", ""))).isInstanceOf(ContainerNotFoundException.class);
        assertThatThrownBy(() -> c.stop(true)).isInstanceOf(ContainerNotFoundException.class);
    }

    // ---- properties, grace time, info

    @Test
    void propertiesAreSetReadAndRemoved() {
        Container c = create(ContainerSpec.withHandle(uniqueHandle()).withProperties(Map.of("owner", "me")));
        try {
            c.setProperty("a b", "v<&>");
            c.setProperty("owner", "you");
            assertThat(c.property("a b")).isEqualTo("v<&>");
            assertThat(c.properties()).containsExactlyInAnyOrderEntriesOf(Map.of("owner", "you", "a b", "v<&>"));
            c.removeProperty("a b");
            c.removeProperty("never-set"); // not an error
            assertThat(c.properties()).containsExactlyEntriesOf(Map.of("owner", "you"));
            assertThatThrownBy(() -> c.property("a b")).isInstanceOf(GardenError.class)
                    .hasMessage("property does not exist: a b");
            assertThat(handles(garden().containers(Map.of("owner", "you")))).contains(c.handle());
        } finally {
            c.destroy();
        }
    }

    @Test
    void aContainerUnusedForItsGraceTimeIsDestroyed() throws Exception {
        Container c = create(ContainerSpec.withHandle(uniqueHandle()).withGraceTime(Duration.ofMillis(200)));
        eventually("reaped", () -> !handles(garden().containers(Map.of())).contains(c.handle()));
        assertThatThrownBy(() -> garden().lookup(c.handle())).isInstanceOf(ContainerNotFoundException.class);
    }

    @Test
    void setGraceTimeStartsTheReaperAndAnAttachedProcessHoldsIt() throws Exception {
        Container c = create();
        Process p = c.run(sleeper(), ProcessIO.NONE);
        c.setGraceTime(Duration.ofMillis(200));
        Thread.sleep(800);
        assertThat(handles(garden().containers(Map.of()))).as("held by the attached process").contains(c.handle());
        p.close(); // detach: the process runs on, the hold ends
        eventually("reaped after detach", () -> !handles(garden().containers(Map.of())).contains(c.handle()));
    }

    @Test
    void aNegativeGraceTimeIsInvalid() {
        Container c = create();
        try {
            assertThatThrownBy(() -> c.setGraceTime(Duration.ofSeconds(-1))).isInstanceOf(InvalidRequestException.class);
        } finally {
            c.destroy();
        }
    }

    @Test
    void infoAndBulkInfo() throws Exception {
        Container c = create(ContainerSpec.withHandle(uniqueHandle()).withProperties(Map.of("owner", "me")));
        try {
            try (Process p = c.run(emit("", "", 0).withId("listed"), ProcessIO.NONE)) {
                p.await();
            }
            ContainerInfo info = c.info();
            assertThat(info.state()).isEqualTo("active");
            assertThat(info.properties()).containsEntry("owner", "me");
            assertThat(info.processIds()).contains("listed");

            String missing = uniqueHandle();
            Map<String, ContainerInfoEntry> bulk = garden().bulkInfo(List.of(c.handle(), missing));
            assertThat(bulk).containsOnlyKeys(c.handle(), missing);
            assertThat(bulk.get(c.handle()).info()).hasValueSatisfying(i -> assertThat(i.properties()).containsEntry("owner", "me"));
            assertThat(bulk.get(c.handle()).error()).isEmpty();
            assertThat(bulk.get(missing).info()).isEmpty();
            assertThat(bulk.get(missing).error()).hasValueSatisfying(e -> assertThat(e).isInstanceOf(ContainerNotFoundException.class));
            assertThat(garden().bulkInfo(List.of())).isEmpty();
        } finally {
            c.destroy();
        }
    }

    // ---- limits, network, metrics

    @Test
    void limitsAreReadBack() {
        Limits limits = Limits.NONE.withMemory(new MemoryLimits(64L << 20)).withCpu(new CpuLimits(512, 0))
                .withDisk(new DiskLimits(0, 0, 0, 1L << 30, DiskLimits.DiskLimitScope.EXCLUSIVE))
                .withBandwidth(new BandwidthLimits(1 << 20, 2 << 20)).withPid(new PidLimits(50));
        Container c = create(ContainerSpec.withHandle(uniqueHandle()).withLimits(limits));
        try {
            assertThat(c.currentMemoryLimits()).isEqualTo(limits.memory());
            assertThat(c.currentCpuLimits()).isEqualTo(limits.cpu());
            assertThat(c.currentDiskLimits()).isEqualTo(limits.disk());
            assertThat(c.currentBandwidthLimits()).isEqualTo(limits.bandwidth());
        } finally {
            c.destroy();
        }
        Container unlimited = create();
        try {
            assertThat(unlimited.currentMemoryLimits()).isEqualTo(MemoryLimits.NONE);
            assertThat(unlimited.currentCpuLimits()).isEqualTo(CpuLimits.NONE);
        } finally {
            unlimited.destroy();
        }
    }

    @Test
    void netInMapsPortsAndInfoShowsThem() {
        Container c = create();
        try {
            PortMapping allocated = c.netIn(0, 8080);
            assertThat(allocated.hostPort()).isPositive();
            assertThat(allocated.containerPort()).isEqualTo(8080);
            PortMapping same = c.netIn(0, 0);
            assertThat(same.containerPort()).isEqualTo(same.hostPort());
            assertThat(c.info().mappedPorts()).contains(allocated, same);
        } finally {
            c.destroy();
        }
    }

    @Test
    void netOutRulesAreAccepted() {
        Container c = create();
        try {
            c.netOut(new NetOutRule(NetOutRule.Protocol.TCP, List.of(new NetOutRule.IpRange("10.0.0.1", "10.0.0.9")),
                    List.of(new NetOutRule.PortRange(80, 443)), Optional.empty(), false));
            c.bulkNetOut(List.of(new NetOutRule(NetOutRule.Protocol.ICMP, List.of(), List.of(),
                    Optional.of(new NetOutRule.IcmpControl(8, Optional.of(0))), true)));
        } finally {
            c.destroy();
        }
    }

    @Test
    void metricsAndBulkMetrics() {
        Container c = create();
        try {
            assertThat(c.metrics().age().isNegative()).isFalse();
            String missing = uniqueHandle();
            Map<String, ContainerMetricsEntry> bulk = garden().bulkMetrics(List.of(c.handle(), missing));
            assertThat(bulk).containsOnlyKeys(c.handle(), missing);
            assertThat(bulk.get(c.handle()).metrics()).isPresent();
            assertThat(bulk.get(missing).error()).hasValueSatisfying(e -> assertThat(e).isInstanceOf(ContainerNotFoundException.class));
        } finally {
            c.destroy();
        }
    }

    // ---- processes

    @Test
    void runDeliversStdoutStderrAndTheExitCode() {
        Container c = create();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            try (Process p = c.run(emit("out <&>\n", "err\n", 3).withId("p1"), ProcessIO.output(out, err))) {
                assertThat(p.id()).isEqualTo("p1");
                assertThat(p.await()).isEqualTo(3);
                assertThat(p.await()).isEqualTo(3);
            }
            assertThat(text(out)).isEqualTo("out <&>\n");
            assertThat(text(err)).isEqualTo("err\n");
        } finally {
            c.destroy();
        }
    }

    @Test
    void stdinReachesTheProcessAndItsEndEndsIt() {
        Container c = create();
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = new ByteArrayInputStream("hello\u0001\nworld\n".getBytes(StandardCharsets.UTF_8));
            try (Process p = c.run(cat(), ProcessIO.of(in, out, OutputStream.nullOutputStream()))) {
                assertThat(p.await()).isZero();
            }
            assertThat(text(out)).isEqualTo("hello\u0001\nworld\n");
        } finally {
            c.destroy();
        }
    }

    @Test
    void processIdsAreGeneratedWhenNotGiven() {
        Container c = create();
        try (Process a = c.run(emit("", "", 0), ProcessIO.NONE);
             Process b = c.run(emit("", "", 0), ProcessIO.NONE)) {
            assertThat(a.id()).isNotBlank().isNotEqualTo(b.id());
        } finally {
            c.destroy();
        }
    }

    @Test
    void attachReplaysTheOutputFromTheFirstByteAndTheExitCode() {
        Container c = create();
        try {
            try (Process p = c.run(emit("early\n", "late\n", 4).withId("done"), ProcessIO.NONE)) {
                assertThat(p.await()).isEqualTo(4);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            try (Process again = c.attach("done", ProcessIO.output(out, err))) {
                assertThat(again.id()).isEqualTo("done");
                assertThat(again.await()).isEqualTo(4);
            }
            assertThat(text(out)).isEqualTo("early\n");
            assertThat(text(err)).isEqualTo("late\n");
        } finally {
            c.destroy();
        }
    }

    @Test
    void aSecondCallerAttachesAndBothSeeTheExitStatus() throws Exception {
        Container c = create();
        try {
            Process runner = c.run(sleeper().withId("sleeper"), ProcessIO.NONE);
            Process attached = secondClient().lookup(c.handle()).attach("sleeper",
                    ProcessIO.output(OutputStream.nullOutputStream(), OutputStream.nullOutputStream()));
            attached.signal(Signal.TERMINATE);
            assertThat(attached.await()).isEqualTo(143);
            assertThat(runner.onExit().get(10, TimeUnit.SECONDS)).isEqualTo(143);
            attached.close();
            runner.close();
        } finally {
            c.destroy();
        }
    }

    @Test
    void aDetachedProcessKeepsRunning() {
        Container c = create();
        try {
            Process p = c.run(sleeper().withId("s1"), ProcessIO.NONE);
            p.close();
            p.close();
            try (Process again = c.attach("s1", ProcessIO.NONE)) {
                assertThat(again.onExit()).isNotDone();
                again.signal(Signal.KILL);
                assertThat(again.await()).isEqualTo(137);
            }
        } finally {
            c.destroy();
        }
    }

    @Test
    void signalsEndAProcessWith128PlusTheSignalNumber() {
        Container c = create();
        try (Process term = c.run(sleeper(), ProcessIO.NONE);
             Process kill = c.run(sleeper(), ProcessIO.NONE)) {
            term.signal(Signal.TERMINATE);
            kill.signal(Signal.KILL);
            assertThat(term.await()).isEqualTo(143);
            assertThat(kill.await()).isEqualTo(137);
        } finally {
            c.destroy();
        }
    }

    @Test
    void unknownProcessesAndMissingExecutablesAreTyped() {
        Container c = create();
        try {
            assertThatThrownBy(() -> c.attach("ghost", ProcessIO.NONE)).isInstanceOfSatisfying(ProcessNotFoundException.class,
                    e -> assertThat(e.processId()).isEqualTo("ghost"));
            assertThatThrownBy(() -> c.run(missingExecutable(), ProcessIO.NONE)).isInstanceOf(ExecutableNotFoundException.class);
        } finally {
            c.destroy();
        }
    }

    @Test
    void aRunningProcessIdIsAlreadyExists() {
        Container c = create();
        try (Process p = c.run(sleeper().withId("twice"), ProcessIO.NONE)) {
            assertThatThrownBy(() -> c.run(sleeper().withId("twice"), ProcessIO.NONE))
                    .isInstanceOf(AlreadyExistsException.class).hasMessageContaining("twice");
            p.signal(Signal.KILL);
            assertThat(p.await()).isEqualTo(137);
        } finally {
            c.destroy();
        }
    }

    @Test
    void stopEndsTheProcessesAndStopsTheContainer() {
        Container c = create();
        try (Process p = c.run(sleeper(), ProcessIO.NONE)) {
            c.stop(true);
            assertThat(p.await()).isEqualTo(137);
            assertThat(c.info().state()).isEqualTo("stopped");
        } finally {
            c.destroy();
        }
    }

    // ---- files

    @Test
    void streamInThenStreamOutRoundTripsAFile() throws IOException {
        byte[] content = "hello\u0000 world\n".getBytes(StandardCharsets.UTF_8);
        byte[] tar = FakeTar.write(new FakeTar.Entry("hello.txt", 0644, content));
        Container c = create();
        try {
            c.streamIn(new StreamInSpec("/data", "", new ByteArrayInputStream(tar)));
            byte[] back;
            try (InputStream out = c.streamOut(new StreamOutSpec("/data/hello.txt", ""))) {
                back = out.readAllBytes();
            }
            assertThat(FakeTar.read(back)).singleElement().satisfies(e -> {
                assertThat(e.name()).endsWith("hello.txt");
                assertThat(e.content()).isEqualTo(content);
            });
            assertThatThrownBy(() -> readAll(c.streamOut(new StreamOutSpec("/no/such/file", ""))))
                    .isInstanceOf(GardenException.class);
        } finally {
            c.destroy();
        }
    }

    private static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
