package dev.cloche.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.BindMount;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.client.ClientSecurity;
import dev.cloche.client.ClientTls;
import dev.cloche.client.RemoteGardenClient;
import dev.cloche.testkit.TestPki;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon started with every access flag, as an operator would: the socket 0660 in its group, mTLS and a token
 * on TCP, host bind mounts only below one prefix, and no privileged containers. Real containers, real processes.
 */
class AccessEndToEndIT {
    private static final String CGROUP_PARENT = "cloche-e2e-access";
    private static final String TOKEN = "e2e-access-token-0123456789";

    @TempDir
    static Path tmp;
    private static TestPki pki;
    private static Path shared;
    private static DaemonProcess daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        pki = TestPki.in(Files.createDirectories(tmp.resolve("pki")));
        Path tokenFile = Files.writeString(tmp.resolve("token"), TOKEN + "\n");
        shared = Files.createDirectories(tmp.resolve("shared"));
        Files.writeString(shared.resolve("hello.txt"), "from the host\n");
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        daemon = DaemonProcess.start(CGROUP_PARENT, List.of("--socket-group", "4242",
                "--tls-cert", pki.server().certificate().toString(), "--tls-key", pki.server().key().toString(),
                "--tls-client-ca", pki.ca().toString(), "--token-file", tokenFile.toString(),
                "--allow-bind-mount-prefix", shared.toString(), "--no-privileged"));
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon == null) {
            return;
        }
        try (GardenClient c = daemon.unixClient()) {
            for (Container left : c.containers(Map.of())) {
                left.destroy();
            }
        } finally {
            daemon.close();
            daemon.removeFiles();
        }
    }

    private static RemoteGardenClient tls(Optional<String> token) {
        return RemoteGardenClient.tcp("127.0.0.1", daemon.port, new ClientSecurity(Optional.of(ClientTls.trusting(pki.ca())
                .withClientCertificate(pki.client().certificate(), pki.client().key())), token));
    }

    @Test
    void theSocketIsForRootAndItsGroupOnly() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.socket))).isEqualTo("rw-rw----");
        assertThat(Files.getAttribute(daemon.socket, "unix:gid")).isEqualTo(4242);
        Files.setPosixFilePermissions(daemon.dir, PosixFilePermissions.fromString("rwxr-xr-x"));

        Process outsider = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "curl", "-sS",
                "--max-time", "10", "--unix-socket", daemon.socket.toString(), "http://x/ping").start();
        Process member = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--groups=4242", "curl", "-sS",
                "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", "--unix-socket", daemon.socket.toString(),
                "http://x/ping").start();

        assertThat(outsider.waitFor()).isEqualTo(7);
        assertThat(member.waitFor()).isZero();
        assertThat(new String(member.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("200");
    }

    @Test
    void tcpNeedsTheClientCertificateAndTheToken() {
        try (RemoteGardenClient c = tls(Optional.of(TOKEN))) {
            c.ping();
        }
        try (RemoteGardenClient c = tls(Optional.empty())) {
            assertThatThrownBy(c::ping).isInstanceOf(InvalidRequestException.class).hasMessageContaining("401");
        }
        try (RemoteGardenClient plain = RemoteGardenClient.tcp("127.0.0.1", daemon.port)) {
            assertThatThrownBy(plain::ping).isInstanceOf(GardenException.class);
        }
        try (RemoteGardenClient stranger = RemoteGardenClient.tcp("127.0.0.1", daemon.port, new ClientSecurity(
                Optional.of(ClientTls.trusting(pki.ca()).withClientCertificate(pki.strangerClient().certificate(),
                        pki.strangerClient().key())), Optional.of(TOKEN)))) {
            assertThatThrownBy(stranger::ping).isInstanceOf(GardenException.class);
        }
        assertThat(daemon.logText()).contains("refused caller=").contains("why=no bearer token")
                .contains("TLS handshake failed");
    }

    @Test
    void thePolicyRefusesPrivilegedAndForeignBindMountsAndAllowsThePrefix() {
        try (RemoteGardenClient c = tls(Optional.of(TOKEN))) {
            assertThatThrownBy(() -> c.create(ContainerSpec.withHandle("acc-priv").withPrivileged(true)))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("--no-privileged");
            assertThatThrownBy(() -> c.create(ContainerSpec.withHandle("acc-etc").withBindMounts(List.of(
                    new BindMount("/etc", "/mnt", BindMount.Mode.RO, BindMount.Origin.HOST)))))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("--allow-bind-mount-prefix");
            assertThatThrownBy(() -> c.create(ContainerSpec.withHandle("acc-dotdot").withBindMounts(List.of(
                    new BindMount(shared + "/../../../etc", "/mnt", BindMount.Mode.RO, BindMount.Origin.HOST)))))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("--allow-bind-mount-prefix");
            assertThat(c.containers(Map.of())).isEmpty();

            Container ok = c.create(ContainerSpec.withHandle("acc-ok").withBindMounts(List.of(
                    new BindMount(shared.toString(), "/mnt", BindMount.Mode.RO, BindMount.Origin.HOST))));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            int exit = ok.run(dev.cloche.api.ProcessSpec.of("cat", "/mnt/hello.txt"),
                    dev.cloche.api.ProcessIO.output(out, new ByteArrayOutputStream())).await();
            assertThat(exit).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("from the host\n");
            ok.destroy();
        }
    }
}
