package dev.cloche.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class CheckedTarReaderTest {

    static Stream<HostileTars.Case> hostileButNoDevices() {
        // device and FIFO entries pass this reader: whether to make them is its caller's decision
        return HostileTars.corpus("/tmp/cloche-checked-target").stream()
                .filter(c -> !c.reason().equals("device node") && !c.reason().equals("FIFO"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileButNoDevices")
    void refusesWhatStreamInRefuses(HostileTars.Case c) {
        assertThatThrownBy(() -> readAll(c.tar())).isInstanceOf(TarRejectedException.class).hasMessageContaining(c.reason());
    }

    @Test
    void givesNormalizedPathsAndHardLinkTargetsAndTheData() throws IOException {
        byte[] tar = Tars.archive().dir("./").dir("./a//b/").file("a/b/./f", "data").hardlink("./a/h", "a//b/f")
                .symlink("a/s", "/etc/passwd").header("a/dev", '3', 0, "", "", 0666).header("a/p", '6', 0, "", "", 0644).end();
        CheckedTarReader r = new CheckedTarReader(new ByteArrayInputStream(tar));
        List<String> seen = new ArrayList<>();
        for (Optional<CheckedTarReader.Checked> e; (e = r.next()).isPresent(); ) {
            CheckedTarReader.Checked c = e.get();
            String data = new String(r.content().readAllBytes(), StandardCharsets.UTF_8);
            seen.add(c.entry().type() + " '" + c.path() + "' '" + c.target() + "' " + data);
        }
        assertThat(seen).containsExactly("DIRECTORY '' '' ", "DIRECTORY 'a/b' '' ", "FILE 'a/b/f' '' data",
                "HARD_LINK 'a/h' 'a/b/f' ", "SYMLINK 'a/s' '' ", "CHARACTER_DEVICE 'a/dev' '' ", "FIFO 'a/p' '' ");
    }

    private static void readAll(byte[] tar) throws IOException {
        CheckedTarReader r = new CheckedTarReader(new ByteArrayInputStream(tar));
        while (r.next().isPresent()) r.content().readAllBytes();
    }
}
