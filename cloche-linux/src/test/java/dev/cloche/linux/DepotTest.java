package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.Limits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DepotTest {
    @TempDir Path tmp;

    @Test
    void metaIsWrittenByRenameAndReadBack() throws IOException {
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        Depot depot = new Depot(tmp.resolve("depot"), tmp.resolve("processes"));
        depot.prepare();
        Depot.Entry e = depot.entry("c1");
        e.create();
        DepotMeta meta = DepotMeta.of("h", "c1", false, List.of("A=1"), 7, Limits.NONE, DepotMeta.ImageUse.directory(1, 2));
        e.writeMeta(meta);
        e.writeMeta(meta);
        assertThat(e.readMeta()).isEqualTo(meta);
        try (var files = Files.list(e.dir())) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("meta.json");
        }
        assertThat(depot.entries()).containsExactly(e);
    }

    @Test
    void aStoreImageAndItsProcessDefaultsAreKeptAndOlderEntriesReadAsADirectoryImage() throws IOException {
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        Depot depot = new Depot(tmp.resolve("depot"), tmp.resolve("processes"));
        depot.prepare();
        Depot.Entry e = depot.entry("c1");
        e.create();
        var image = new DepotMeta.ImageUse("sha256-abc", new dev.cloche.image.ImageConfig(List.of("PATH=/opt/bin"), "1000:1000",
                "/srv"), 10, 20);
        DepotMeta meta = DepotMeta.of("h", "c1", false, List.of(), 7, Limits.NONE, image);
        e.writeMeta(meta);
        assertThat(e.readMeta().image()).isEqualTo(image);
        // an entry written before images had ids: no image fields at all
        Files.writeString(e.dir().resolve("meta.json"), "{\"handle\":\"h\",\"id\":\"c1\",\"privileged\":false,"
                + "\"env\":[],\"createdAtMillis\":7,\"imageBytes\":5,\"imageInodes\":6}");
        assertThat(e.readMeta().image()).isEqualTo(DepotMeta.ImageUse.directory(5, 6));
    }

    @Test
    void processDirectoriesComeInStartOrderTheEarlierLayoutFirst() throws IOException {
        Depot.Entry e = new Depot(tmp.resolve("depot"), tmp.resolve("processes")).entry("c1");
        for (String d : List.of("10", "9", "x")) Files.createDirectories(e.processes().resolve(d));
        Files.createDirectories(e.legacyProcesses().resolve("2"));
        assertThat(e.processDirs()).extracting(Depot.ProcessDir::seq).containsExactly(2L, 9L, 10L);
        assertThat(e.process(11).dir()).isEqualTo(tmp.resolve("processes/c1/11"));
        assertThat(new Depot(tmp, tmp.resolve("p")).entry("gone").processDirs()).isEmpty();
    }
}
