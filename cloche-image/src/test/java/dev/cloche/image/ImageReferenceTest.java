package dev.cloche.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageReferenceTest {
    private static final String HUB = RegistryPolicy.DOCKER_HUB;
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    private static ImageReference parse(String uri) {
        return ImageReference.parse(ImageRef.of(uri), HUB);
    }

    @Test
    void emptyIsTheDefaultRootfs() {
        assertThat(parse("")).isEqualTo(new ImageReference.DefaultRootfs());
    }

    @Test
    void absolutePathsAndRawUrisAreHostPaths() {
        assertThat(parse("/var/lib/rootfs")).isEqualTo(new ImageReference.HostPath(Path.of("/var/lib/rootfs")));
        assertThat(parse("raw:///var/lib/rootfs")).isEqualTo(new ImageReference.HostPath(Path.of("/var/lib/rootfs")));
        assertThat(parse("/images/rootfs.tar")).isEqualTo(new ImageReference.HostPath(Path.of("/images/rootfs.tar")));
        assertThat(parse("/a/../b/./c")).isEqualTo(new ImageReference.HostPath(Path.of("/b/c")));
    }

    @Test
    void dockerWithHostPortAndFragmentTag() {
        assertThat(parse("docker://127.0.0.1:5000/team/app#v1.2"))
                .isEqualTo(new ImageReference.Registry("127.0.0.1:5000", "team/app", "v1.2", "", ""));
    }

    @Test
    void hostlessDockerUsesTheDefaultRegistryAndLibraryOnDockerHub() {
        assertThat(parse("docker:///busybox#1.36")).isEqualTo(new ImageReference.Registry(HUB, "library/busybox", "1.36", "", ""));
        assertThat(parse("docker:///busybox")).isEqualTo(new ImageReference.Registry(HUB, "library/busybox", "latest", "", ""));
        assertThat(parse("docker:///cfgarden/garden-busybox"))
                .isEqualTo(new ImageReference.Registry(HUB, "cfgarden/garden-busybox", "latest", "", ""));
        assertThat(ImageReference.parse(ImageRef.of("docker:///app#t"), "registry.local:5000"))
                .isEqualTo(new ImageReference.Registry("registry.local:5000", "app", "t", "", ""));
        assertThat(parse("docker://docker.io/busybox")).isEqualTo(new ImageReference.Registry("docker.io", "library/busybox", "latest", "", ""));
    }

    @Test
    void dockerColonTagAndDigestForms() {
        assertThat(parse("docker://localhost:5000/app:v2")).isEqualTo(new ImageReference.Registry("localhost:5000", "app", "v2", "", ""));
        assertThat(parse("docker://localhost:5000/app@" + DIGEST)).isEqualTo(new ImageReference.Registry("localhost:5000", "app", DIGEST, "", ""));
        assertThat(parse("docker://localhost:5000/app#" + DIGEST)).isEqualTo(new ImageReference.Registry("localhost:5000", "app", DIGEST, "", ""));
        assertThat(parse("docker://[::1]:5000/app#t")).isEqualTo(new ImageReference.Registry("[::1]:5000", "app", "t", "", ""));
    }

    @Test
    void credentialsComeFromTheImageRefAndNeverShowInToString() {
        ImageReference ref = ImageReference.parse(new ImageRef("docker://127.0.0.1:5000/app#t", "alice", "s3cret"), HUB);
        assertThat(ref).isEqualTo(new ImageReference.Registry("127.0.0.1:5000", "app", "t", "alice", "s3cret"));
        assertThat(ref.toString()).contains("alice").doesNotContain("s3cret");
        assertThat(((ImageReference.Registry) ref).name()).isEqualTo("127.0.0.1:5000/app:t");
    }

    @Test
    void ociLayoutsWithAndWithoutTag() {
        assertThat(parse("oci:///srv/layout#v1")).isEqualTo(new ImageReference.OciLayout(Path.of("/srv/layout"), "v1"));
        assertThat(parse("oci:///srv/layout")).isEqualTo(new ImageReference.OciLayout(Path.of("/srv/layout"), ""));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "busybox",                                  // no scheme
        "relative/dir",
        "http://example.com/image",                 // unknown scheme
        "raw://relative",                           // a host path must be absolute
        "oci://host/layout",                        // an OCI layout is on this host
        "oci://relative",
        "docker://",                                // no repository
        "docker://registry:5000",
        "docker:///UpperCase",                      // not a repository name
        "docker:///app#bad tag",
        "docker:///app#-dash",
        "docker:///app:v1#v2",                      // two tags
        "docker:///app@sha256:abc",                 // malformed digest
        "docker:///app@md5:" + "ab",
        "docker:///app@" + "sha256:" + "ab" + "#t",
        "docker://bad_host!/app",
        "docker:///app?x=1",
    })
    void malformedReferencesAreInvalidRequestsNamingTheForms(String uri) {
        assertThatThrownBy(() -> parse(uri)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("accepted forms").hasMessageContaining("docker://");
    }

    @Test
    void aPasswordInTheUriIsRefusedAndNotEchoed() {
        assertThatThrownBy(() -> parse("docker://alice:s3cret@127.0.0.1:5000/app"))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("username and password")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> parse("docker://alice:s3cret@host/a b"))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageNotContaining("s3cret");
    }
}
