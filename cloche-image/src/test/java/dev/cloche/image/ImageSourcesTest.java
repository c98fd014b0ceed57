package dev.cloche.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.image.layout.OciLayoutSource;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ImageSourcesTest {
    @Test
    void opensRegistryImagesAndOciLayoutsOnly() {
        try (ImageSources sources = new ImageSources(RegistryPolicy.DEFAULT)) {
            assertThat(sources.open(new ImageReference.OciLayout(Path.of("/srv/layout"), "v1"))).isInstanceOf(OciLayoutSource.class);
            assertThat(sources.open(new ImageReference.Registry("127.0.0.1:5000", "app", "v1", "", ""))).isNotNull();
            assertThatThrownBy(() -> sources.open(new ImageReference.HostPath(Path.of("/rootfs"))))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> sources.open(new ImageReference.DefaultRootfs())).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
