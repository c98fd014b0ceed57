package dev.cloche.portlayer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one-file archives a copy travels in. */
class TarTest {
    private static final byte[] CONTENT = "x=1\n".getBytes(StandardCharsets.UTF_8);

    @Test
    void aWrittenFileReadsBackWithNameModeAndContent() throws IOException {
        Tar.File f = Tar.firstFile(new ByteArrayInputStream(Tar.write("etc/app.conf", 0640, CONTENT))).orElseThrow();
        assertThat(f.name()).isEqualTo("etc/app.conf");
        assertThat(f.mode()).isEqualTo(0640);
        assertThat(f.content()).isEqualTo(CONTENT);
    }

    @Test
    void namesUpToWhatAUstarHeaderHoldsAreCopiedLongerOnesRefused(@TempDir Path dir) throws Exception {
        String deep = "d".repeat(150) + "/" + "f".repeat(100);
        Path archive = Files.write(dir.resolve("a.tar"), Tar.write(deep, 0600, CONTENT));
        assertThat(Tar.firstFile(Files.newInputStream(archive)).orElseThrow().name()).isEqualTo(deep);
        Process tar = new ProcessBuilder("tar", "-C", dir.toString(), "-xf", archive.toString()).redirectErrorStream(true).start();
        assertThat(tar.waitFor()).as(new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        assertThat(Files.readAllBytes(dir.resolve(deep))).isEqualTo(CONTENT);
        for (String tooLong : new String[] {"d".repeat(156) + "/f", "d/" + "f".repeat(101), "f".repeat(101)}) {
            assertThatThrownBy(() -> Tar.write(tooLong, 0644, CONTENT)).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("file path too long to copy");
        }
    }

    @Test
    void theFirstRegularFileIsTheOneAfterDirectoriesAndNoneInAnEmptyArchive(@TempDir Path dir) throws Exception {
        Files.createDirectories(dir.resolve("sub"));
        Files.write(dir.resolve("sub/file"), CONTENT);
        // what stream-out sends: busybox tar in the container
        Process tar = new ProcessBuilder("busybox", "tar", "-C", dir.toString(), "-cf", "-", "sub").start();
        byte[] archive = tar.getInputStream().readAllBytes();
        assertThat(tar.waitFor()).isZero();
        assertThat(Tar.firstFile(new ByteArrayInputStream(archive)).orElseThrow().name()).isEqualTo("sub/file");
        assertThat(Tar.firstFile(new ByteArrayInputStream(new byte[0]))).isEmpty();
        assertThat(Tar.firstFile(new ByteArrayInputStream(new byte[1024]))).isEmpty();
    }

    @Test
    void whatIsNotATarOrEndsEarlyIsAnInternalError() {
        byte[] tar = Tar.write("f", 0644, "y".repeat(3000).getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Tar.firstFile(new ByteArrayInputStream(Arrays.copyOf(tar, 1536))))
                .isInstanceOf(GardenException.class).hasMessageContaining("truncated tar stream");
        assertThatThrownBy(() -> Tar.firstFile(new ByteArrayInputStream("garbage".repeat(100).getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(GardenException.class).hasMessageContaining("not a tar stream");
    }
}
