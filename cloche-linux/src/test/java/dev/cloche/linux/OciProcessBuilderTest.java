package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.ProcessSpec;
import dev.cloche.api.ResourceLimits;
import dev.cloche.api.TtySpec;
import dev.cloche.linux.fs.ContainerFiles;
import dev.cloche.linux.oci.BundleRules;
import dev.cloche.linux.oci.OciProcess;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OciProcessBuilderTest {
    private static final ContainerFiles.User ROOT = new ContainerFiles.User("root", 0, 0, "/root");
    private static final ContainerFiles.User ALICE = new ContainerFiles.User("alice", 1000, 1001, "/home/alice");
    private final OciProcessBuilder builder = new OciProcessBuilder(List.of("A=container", "B=container"),
            List.of("CAP_CHOWN", "CAP_KILL"));

    @Test
    void argvUserAndCapabilitiesComeFromTheSpecAndTheContainer() {
        OciProcess p = builder.process(ProcessSpec.of("/bin/echo", "hi", "there").withUser("alice"), ALICE);
        assertThat(p.args()).containsExactly("/bin/echo", "hi", "there");
        assertThat(p.uid()).isEqualTo(1000);
        assertThat(p.gid()).isEqualTo(1001);
        assertThat(p.capabilities()).containsExactly("CAP_CHOWN", "CAP_KILL");
        assertThat(p.effectiveCapabilities()).as("only root's are effective").isFalse();
        assertThat(builder.process(ProcessSpec.of("id"), ROOT).effectiveCapabilities()).isTrue();
        assertThat(p.console()).isEmpty();
        assertThat(p.rlimits()).isEmpty();
    }

    @Test
    void aNonRootProcessOfAPrivilegedContainerKeepsOnlyGuardiansNonRootMaximum() {
        OciProcessBuilder privileged = new OciProcessBuilder(List.of(), List.of("CAP_CHOWN", "CAP_NET_ADMIN", "CAP_SYS_ADMIN"));
        assertThat(privileged.process(ProcessSpec.of("id"), ALICE).capabilities()).containsExactly("CAP_CHOWN", "CAP_SYS_ADMIN");
        assertThat(privileged.command(List.of("tar"), ALICE).capabilities()).containsExactly("CAP_CHOWN", "CAP_SYS_ADMIN");
        assertThat(privileged.process(ProcessSpec.of("id"), ROOT).capabilities())
                .containsExactly("CAP_CHOWN", "CAP_NET_ADMIN", "CAP_SYS_ADMIN");
    }

    @Test
    void envLayersTheContainersThenTheSpecsThenDefaultsForWhatNeitherSet() {
        OciProcess p = builder.process(ProcessSpec.of("sh").withEnv(List.of("B=spec", "C=spec")), ALICE);
        assertThat(p.env()).containsExactly("A=container", "B=spec", "C=spec", BundleRules.DEFAULT_PATH, "HOME=/home/alice",
                "USER=alice");
        OciProcess own = builder.process(ProcessSpec.of("sh").withEnv(List.of("HOME=/x", "USER=bob", "PATH=/opt")), ALICE);
        assertThat(own.env()).containsExactly("A=container", "B=container", "HOME=/x", "USER=bob", "PATH=/opt");
        assertThat(OciProcessBuilder.path(own.env())).isEqualTo("/opt");
        assertThat(OciProcessBuilder.path(List.of("A=1"))).isEmpty();
    }

    @Test
    void theWorkingDirectoryIsTheHomeUnlessGivenAndRelativeToTheHome() {
        assertThat(builder.process(ProcessSpec.of("sh"), ALICE).cwd()).isEqualTo("/home/alice");
        assertThat(builder.process(ProcessSpec.of("sh").withDir("work/x"), ALICE).cwd()).isEqualTo("/home/alice/work/x");
        assertThat(builder.process(ProcessSpec.of("sh").withDir("/srv"), ALICE).cwd()).isEqualTo("/srv");
        assertThat(OciProcessBuilder.absolute("x", new ContainerFiles.User("r", 0, 0, "/"))).isEqualTo("/x");
    }

    @Test
    void theImagesUserDirectoryAndEnvAreDefaultsTheSpecOverrides() {
        var fromImage = new OciProcessBuilder(BundleRules.layerEnv(List.of("PATH=/image/bin", "LANG=C"), List.of("LANG=en")),
                List.of(), "1000", "/srv/app");
        assertThat(fromImage.user(ProcessSpec.of("sh"))).isEqualTo("1000");
        assertThat(fromImage.user(ProcessSpec.of("sh").withUser("root"))).isEqualTo("root");
        assertThat(fromImage.process(ProcessSpec.of("sh"), ALICE).cwd()).isEqualTo("/srv/app");
        assertThat(fromImage.process(ProcessSpec.of("sh").withDir("/tmp"), ALICE).cwd()).isEqualTo("/tmp");
        assertThat(fromImage.process(ProcessSpec.of("sh").withEnv(List.of("X=1")), ALICE).env())
                .startsWith("PATH=/image/bin", "LANG=en", "X=1");
        assertThat(builder.user(ProcessSpec.of("sh"))).as("no image user: root, as Garden's default").isEmpty();
    }

    @Test
    void rlimitsAreSetSoftAndHard() {
        OciProcess p = builder.process(ProcessSpec.of("sh").withRlimits(new ResourceLimits(
                Map.of(ResourceLimits.Rlimit.NOFILE, 4096L))), ROOT);
        assertThat(p.rlimits()).containsExactly(new OciProcess.Rlimit("RLIMIT_NOFILE", 4096, 4096));
    }

    @Test
    void aTtyGetsItsWindowOrGardensDefault() {
        OciProcess sized = builder.process(ProcessSpec.of("sh").withTty(Optional.of(TtySpec.of(100, 30))), ROOT);
        assertThat(sized.console()).hasValue(new OciProcess.ConsoleSize(30, 100));
        OciProcess unsized = builder.process(ProcessSpec.of("sh").withTty(Optional.of(TtySpec.DEFAULT)), ROOT);
        assertThat(unsized.console()).hasValue(new OciProcess.ConsoleSize(24, 80));
        assertThat(OciProcessBuilder.window(TtySpec.of(0, 30))).isEqualTo(new TtySpec.WindowSize(80, 24));
    }

    @Test
    void theBackendsOwnCommandsRunInTheRootWithTheContainersEnv() {
        OciProcess p = builder.command(List.of("/tmp/busybox-garden", "tar", "-x"), ALICE);
        assertThat(p.cwd()).isEqualTo("/");
        assertThat(p.env()).containsExactly("A=container", "B=container", BundleRules.DEFAULT_PATH, "HOME=/home/alice", "USER=alice");
        assertThat(p.console()).isEmpty();
        assertThat(p.rlimits()).isEmpty();
        assertThat(p.effectiveCapabilities()).isFalse();
    }
}
