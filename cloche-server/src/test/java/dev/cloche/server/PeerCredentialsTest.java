package dev.cloche.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloche.api.CallContext;
import dev.cloche.api.Caller;
import dev.cloche.api.GardenClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The connection's caller on a real unix socket: the kernel's uid and pid of the process that connected (curl, run
 * as a child, so its pid is known and not ours). (The request id in the log's MDC is checked where logback is, in
 * cloche-daemon's DaemonAuditTest: this module's test logger has no MDC.)
 */
class PeerCredentialsTest {
    @TempDir
    Path dir;

    /** What the core saw during each ping: the bound caller and request id. */
    record Seen(Caller caller, String requestId) {
    }

    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    private GardenClient recordingCore() {
        return (GardenClient) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {GardenClient.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "ping" -> {
                        CallContext c = CallContext.current();
                        seen.add(new Seen(c.caller(), c.requestId()));
                        yield null;
                    }
                    case "close" -> null;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    case "toString" -> "recording core";
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private static java.lang.Process curl(Path socket, String... asUser) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(asUser));
        cmd.addAll(List.of("curl", "-sf", "--unix-socket", socket.toString(), "http://garden/ping"));
        java.lang.Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
        return p;
    }

    @Test
    void theKernelNamesThePeersUidAndPid() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is installed");
        Path socket = dir.resolve("garden.sock");
        try (GardenServer server = GardenServer.builder(recordingCore()).unixSocket(socket).start()) {
            java.lang.Process p = curl(socket);
            assertThat(seen).hasSize(1);
            Caller c = seen.getFirst().caller();
            assertThat(c.transport()).isEqualTo("unix");
            assertThat(c.address()).contains("garden.sock");
            assertThat(c.pid()).hasValue(p.pid());
            assertThat(c.uid()).hasValue((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        }
    }

    @Test
    void anotherUsersConnectionCarriesThatUsersUid() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")) && Files.isExecutable(Path.of("/usr/bin/setpriv")));
        assumeTrue((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0, "runs as root");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path socket = dir.resolve("garden.sock");
        try (GardenServer server = GardenServer.builder(recordingCore()).unixSocket(socket).start()) {
            // whatever mode the server gives its socket, this test is about who connected, not who may
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rwxrwxrwx"));
            java.lang.Process p = curl(socket, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
            assertThat(seen).hasSize(1);
            assertThat(seen.getFirst().caller().uid()).hasValue(65534);
            // setpriv execs curl: the pid that connected is the child's
            assertThat(seen.getFirst().caller().pid()).hasValue(p.pid());
        }
    }

    @Test
    void aFakeSeamStandsInForTheKernelAndTcpCallersHaveNone() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is installed");
        Path socket = dir.resolve("garden.sock");
        try (GardenServer server = GardenServer.builder(recordingCore()).unixSocket(socket)
                .tcp(new java.net.InetSocketAddress("127.0.0.1", 0))
                .peerCredentials(ch -> Optional.of(new PeerCredentials.Credentials(7, 1234, 1234))).start()) {
            curl(socket);
            java.lang.Process tcp = new ProcessBuilder("curl", "-sf", "http://127.0.0.1:" + server.tcpPort().getAsInt() + "/ping")
                    .start();
            assertThat(tcp.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(seen).hasSize(2);
            assertThat(seen.get(0).caller().uid()).hasValue(1234);
            assertThat(seen.get(0).caller().pid()).hasValue(7);
            assertThat(seen.get(1).caller().transport()).isEqualTo("tcp");
            assertThat(seen.get(1).caller().uid()).isEmpty();
            assertThat(seen.get(1).caller().pid()).isEmpty();
        }
    }

    @Test
    void withoutTheJdkExportTheCredentialsAreEmptyNotAFailure() {
        // the build runs tests with the export (the daemon's launcher passes it too); the kernel call itself on a
        // non-socket fd fails cleanly
        assertThat(new SoPeerCred().peerCred(0)).isEmpty();
    }
}
