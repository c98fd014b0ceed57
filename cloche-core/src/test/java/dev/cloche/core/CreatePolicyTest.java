package dev.cloche.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.BindMount;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.testkit.FakeBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CreatePolicyTest {
    @TempDir
    Path tmp;

    private static ContainerSpec mounting(String source) {
        return ContainerSpec.withHandle("h").withBindMounts(
                List.of(new BindMount(source, "/mnt", BindMount.Mode.RO, BindMount.Origin.HOST)));
    }

    private CreatePolicy allowing(Path... prefixes) {
        return CreatePolicy.of(List.of(prefixes), true);
    }

    @Test
    void openPolicyAllowsAnyHostPathAndPrivileged() {
        assertThatCode(() -> CreatePolicy.OPEN.check(mounting("/etc").withPrivileged(true))).doesNotThrowAnyException();
    }

    @Test
    void hostPathBelowAPrefixIsAllowed() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data/app"));
        CreatePolicy policy = allowing(tmp.resolve("data"));

        assertThatCode(() -> policy.check(mounting(data.toString()))).doesNotThrowAnyException();
        assertThatCode(() -> policy.check(mounting(tmp.resolve("data").toString()))).doesNotThrowAnyException();
        // not there yet: judged by where it would be
        assertThatCode(() -> policy.check(mounting(tmp.resolve("data/new/dir").toString()))).doesNotThrowAnyException();
    }

    @Test
    void hostPathOutsideEveryPrefixIsRefusedNamingTheOption() throws IOException {
        Files.createDirectories(tmp.resolve("data"));
        Files.createDirectories(tmp.resolve("data2"));
        CreatePolicy policy = allowing(tmp.resolve("data"));

        assertThatThrownBy(() -> policy.check(mounting("/etc")))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("--allow-bind-mount-prefix")
                .hasMessageContaining("/etc");
        // a sibling sharing the prefix's spelling is not below it
        assertThatThrownBy(() -> policy.check(mounting(tmp.resolve("data2").toString())))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> policy.check(mounting("relative/path"))).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void dotDotIsResolvedBeforeTheCheck() throws IOException {
        Files.createDirectories(tmp.resolve("data"));
        CreatePolicy policy = allowing(tmp.resolve("data"));

        assertThatThrownBy(() -> policy.check(mounting(tmp.resolve("data/../etc").toString())))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> policy.check(mounting(tmp + "/data/missing/../../../../../etc")))
                .isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void aSymlinkOutOfThePrefixIsRefused() throws IOException {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Path outside = Files.createDirectories(tmp.resolve("secret"));
        Files.createSymbolicLink(data.resolve("escape"), outside);
        CreatePolicy policy = allowing(data);

        assertThatThrownBy(() -> policy.check(mounting(data.resolve("escape").toString())))
                .isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> policy.check(mounting(data.resolve("escape/sub").toString())))
                .isInstanceOf(InvalidRequestException.class);
        // a '..' after a symlink is the kernel's: escape/.. is tmp, not data
        assertThatThrownBy(() -> policy.check(mounting(data + "/escape/../data-not")))
                .isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void aSymlinkedPrefixIsResolvedToo() throws IOException {
        Path real = Files.createDirectories(tmp.resolve("real"));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
        CreatePolicy policy = allowing(link);

        assertThatCode(() -> policy.check(mounting(real.resolve("x").toString()))).doesNotThrowAnyException();
        assertThatCode(() -> policy.check(mounting(link.resolve("x").toString()))).doesNotThrowAnyException();
    }

    @Test
    void containerOriginMountsAreNotHostPaths() {
        CreatePolicy policy = allowing(tmp);
        ContainerSpec spec = ContainerSpec.withHandle("h").withBindMounts(
                List.of(new BindMount("/etc", "/mnt", BindMount.Mode.RO, BindMount.Origin.CONTAINER)));

        assertThatCode(() -> policy.check(spec)).doesNotThrowAnyException();
    }

    @Test
    void privilegedIsRefusedNamingTheOption() {
        CreatePolicy policy = CreatePolicy.of(List.of(), false);

        assertThatThrownBy(() -> policy.check(ContainerSpec.withHandle("h").withPrivileged(true)))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("--no-privileged");
        assertThatCode(() -> policy.check(ContainerSpec.withHandle("h"))).doesNotThrowAnyException();
    }

    @Test
    void aPeasHostBindMountIsCheckedToo() throws IOException {
        CreatePolicy policy = allowing(Files.createDirectories(tmp.resolve("data")));
        ProcessSpec pea = ProcessSpec.of("/bin/true").withImage(ImageRef.of("docker:///busybox")).withBindMounts(
                List.of(new BindMount("/etc", "/mnt", BindMount.Mode.RO, BindMount.Origin.HOST)));

        assertThatThrownBy(() -> policy.check(pea)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("--allow-bind-mount-prefix");
    }

    @Test
    void aRelativePrefixIsAConfigurationError() {
        assertThatThrownBy(() -> CreatePolicy.of(List.of(Path.of("data")), true))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--allow-bind-mount-prefix");
    }

    @Test
    void theCoreRefusesBeforeTheBackendSeesAnything() {
        FakeBackend backend = new FakeBackend();
        try (ContainerManager core = ContainerManager.start(backend,
                CoreConfig.DEFAULTS.withCreatePolicy(CreatePolicy.of(List.of(tmp), false)))) {
            assertThatThrownBy(() -> core.create(ContainerSpec.withHandle("p").withPrivileged(true)))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("--no-privileged");
            assertThatThrownBy(() -> core.create(mounting("/etc")))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("--allow-bind-mount-prefix");
            assertThat(backend.liveHandles()).isEmpty();
            // the refused handles were never taken
            assertThatCode(() -> core.create(ContainerSpec.withHandle("p"))).doesNotThrowAnyException();
            assertThatCode(() -> core.create(mounting(tmp.toString()))).doesNotThrowAnyException();

            ProcessSpec pea = ProcessSpec.of("/bin/true").withImage(ImageRef.of("docker:///busybox")).withBindMounts(
                    List.of(new BindMount("/etc", "/mnt", BindMount.Mode.RO, BindMount.Origin.HOST)));
            assertThatThrownBy(() -> core.lookup("p").run(pea, dev.cloche.api.ProcessIO.NONE))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("--allow-bind-mount-prefix");
        }
    }
}
