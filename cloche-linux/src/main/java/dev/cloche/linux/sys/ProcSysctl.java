package dev.cloche.linux.sys;

import dev.cloche.api.GardenError;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * {@link Sysctl} as a write to {@code /proc/sys/<key with / for .>}: the same as {@code sysctl -w}, without the fork and
 * exec that cost a few milliseconds of every networked create.
 */
final class ProcSysctl implements Sysctl {
    static final ProcSysctl INSTANCE = new ProcSysctl();
    private static final Path ROOT = Path.of("/proc/sys");

    private ProcSysctl() {
    }

    @Override
    public void set(String key, String value) {
        if (!key.matches("[A-Za-z0-9_.-]+") || key.contains("..") || key.startsWith(".")) {
            throw GardenError.internal("not a sysctl name: " + key);
        }
        Path file = ROOT.resolve(key.replace('.', '/'));
        try {
            // no CREATE: a parameter that does not exist (a link already gone) is an error, not a new file
            Files.writeString(file, value + "\n", StandardCharsets.US_ASCII, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw GardenError.internal("cannot set " + key + "=" + value + ": " + e.getMessage(), e);
        }
    }
}
