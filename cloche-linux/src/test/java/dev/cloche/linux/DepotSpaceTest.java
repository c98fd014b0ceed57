package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.GardenError;
import dev.cloche.api.ResourceExhaustedException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DepotSpaceTest {
    @Test
    void aWriteThatRanOutOfRoomIsResourceExhaustedNamingTheDepotsFilesystem() {
        IOException enospc = new FileSystemException("/d/containers/x/meta.json", null, "No space left on device");
        assertThat(DepotSpace.full("cannot create container h", Path.of("/d/containers"),
                GardenError.internal("wrapped", enospc)))
                .hasValueSatisfying(e -> assertThat(e).isInstanceOf(ResourceExhaustedException.class)
                        .hasMessage("cannot create container h: no space left on the depot's filesystem (/d/containers); "
                                + "free space there or give the depot a larger disk"));
        assertThat(DepotSpace.ranOut("tar: write error: Disk quota exceeded")).isTrue();
    }

    @Test
    void anyOtherFailureIsLeftToTheCaller() {
        assertThat(DepotSpace.full("x", Path.of("/d"), new IOException("Permission denied"))).isEmpty();
        assertThat(DepotSpace.ranOut("tar: short read")).isFalse();
    }

    @Test
    void aStreamInIntoAContainerWithADiskLimitNamesItsOwnDisk() {
        assertThat(DepotSpace.volumeFull("error streaming in to /tmp", Path.of("/d/containers"), true,
                "tar: write error: No space left on device\n"))
                .hasMessage("error streaming in to /tmp: no space left on the container's disk (its disk limit) "
                        + "(tar: write error: No space left on device)");
    }
}
