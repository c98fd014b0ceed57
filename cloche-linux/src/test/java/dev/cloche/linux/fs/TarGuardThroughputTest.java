package dev.cloche.linux.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.tar.Tars;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Stream-in's hot path without a container: a generated 256 MiB archive through {@link TarGuard#copy} into a null
 * sink, median of 5 after one warm-up run (docs/files.md §3). Off by default; run it with
 * {@code ./mvnw -B -ntp -pl cloche-linux test -Dtest=TarGuardThroughputTest -Dcloche.tarThroughput=true}.
 */
@EnabledIfSystemProperty(named = "cloche.tarThroughput", matches = "true")
class TarGuardThroughputTest {
    private static final int MIB = 1 << 20;
    private static final int RUNS = 5;

    @Test
    void largeFiles() throws IOException {
        measure("256 x 1 MiB files", archive(256, MIB));
    }

    @Test
    void smallFiles() throws IOException {
        measure("65536 x 4 KiB files", archive(65536, 4096));
    }

    private static void measure(String shape, byte[] tar) throws IOException {
        long[] nanos = new long[RUNS];
        copy(tar); // warm-up
        for (int i = 0; i < RUNS; i++) nanos[i] = copy(tar);
        Arrays.sort(nanos);
        double ms = nanos[RUNS / 2] / 1e6;
        System.out.printf("TarGuard.copy, %s (%d MiB archive): median %.0f ms, %.0f MiB/s; runs %s ms%n", shape,
                tar.length / MIB, ms, tar.length / (double) MIB / (ms / 1000), Arrays.toString(Arrays.stream(nanos).map(n -> n / 1_000_000).toArray()));
    }

    private static long copy(byte[] tar) throws IOException {
        long start = System.nanoTime();
        TarGuard.Summary s = TarGuard.copy(new ByteArrayInputStream(tar), OutputStream.nullOutputStream(), false);
        long took = System.nanoTime() - start;
        assertThat(s.entries()).isPositive();
        return took;
    }

    /** {@code files} regular files of {@code size} bytes each (varied content), in 64 directories. */
    private static byte[] archive(int files, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) ((long) files * (size + 512) + 64 * 512 + 1024));
        byte[] content = new byte[size];
        for (int i = 0; i < size; i++) content[i] = (byte) (i * 31 + 7);
        for (int d = 0; d < 64; d++) out.writeBytes(Tars.archive().dir("dir" + d + "/").bytes());
        for (int f = 0; f < files; f++) {
            content[f % size] ^= 1;
            out.writeBytes(Tars.archive().header("dir" + f % 64 + "/file" + f, '0', size, "", "", 0644).data(content).bytes());
        }
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }
}
