package dev.cloche.image.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.image.Descriptor;
import dev.cloche.image.Digest;
import dev.cloche.image.ImageSource.BlobVerificationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerifyingInputStreamTest {
    private static final byte[] CONTENT = "the layer's bytes".getBytes(StandardCharsets.UTF_8);
    private static final Descriptor BLOB = new Descriptor(MediaTypes.OCI_LAYER, Digest.sha256(CONTENT), CONTENT.length, Map.of());

    private static InputStream verifying(byte[] served) {
        return new VerifyingInputStream(new ByteArrayInputStream(served), BLOB, "test");
    }

    @Test
    void theRightBytesReadToTheEnd() throws IOException {
        try (InputStream in = verifying(CONTENT)) {
            assertThat(in.readAllBytes()).isEqualTo(CONTENT);
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void skippedBytesAreStillHashed() throws IOException {
        byte[] wrong = CONTENT.clone();
        wrong[1] ^= 1;
        try (InputStream in = verifying(wrong)) {
            assertThat(in.skip(5)).isEqualTo(5);
            assertThatThrownBy(in::readAllBytes).isInstanceOf(BlobVerificationException.class).hasMessageContaining("does not match");
        }
    }

    @Test
    void otherBytesOfTheSameSizeFailAtTheEnd() {
        byte[] wrong = CONTENT.clone();
        wrong[wrong.length - 1] ^= 1;
        assertThatThrownBy(() -> verifying(wrong).readAllBytes()).isInstanceOf(BlobVerificationException.class)
                .hasMessageContaining(BLOB.digest().toString()).hasMessageContaining("does not match");
    }

    @Test
    void aShortBlobFailsAtTheEndAndALongOneAsSoonAsItIsLonger() {
        byte[] shorter = java.util.Arrays.copyOf(CONTENT, CONTENT.length - 1);
        assertThatThrownBy(() -> verifying(shorter).readAllBytes()).isInstanceOf(BlobVerificationException.class)
                .hasMessageContaining("ended after " + shorter.length + " of " + CONTENT.length);
        byte[] longer = java.util.Arrays.copyOf(CONTENT, CONTENT.length + 1);
        assertThatThrownBy(() -> verifying(longer).readAllBytes()).isInstanceOf(BlobVerificationException.class)
                .hasMessageContaining("larger than");
    }
}
