package dev.cloche.core;

import dev.cloche.api.GardenError;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * One {@link Properties} file per container under a directory. File names are a hash of the handle (handles may
 * hold any character but {@code /}, and may be longer than a file name); the handle itself is stored inside.
 */
public final class FileContainerStore implements ContainerStore {
    private static final String PREFIX = "property.";
    private static final String HANDLE = "garden.handle";
    private static final String GRACE = "garden.grace-time-ns";
    private static final String VERSION = "cloche.config-version";

    private final Path dir;

    public FileContainerStore(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the core's state directory " + dir, e);
        }
    }

    @Override
    public void save(String handle, Saved saved) {
        Properties p = new Properties();
        p.setProperty(HANDLE, handle);
        p.setProperty(GRACE, Long.toString(saved.graceTime().toNanos()));
        p.setProperty(VERSION, Long.toString(saved.version()));
        saved.properties().forEach((k, v) -> p.setProperty(PREFIX + k, v));
        Path target = file(handle);
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        try {
            try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(w, null);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw GardenError.internal("cannot save state of container " + handle + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<Saved> load(String handle) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file(handle), StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            throw GardenError.internal("cannot read state of container " + handle + ": " + e.getMessage(), e);
        }
        if (!handle.equals(p.getProperty(HANDLE))) {
            return Optional.empty(); // a hash collision would be astronomically unlikely; never mix two containers
        }
        Map<String, String> props = new LinkedHashMap<>();
        for (String k : p.stringPropertyNames()) {
            if (k.startsWith(PREFIX)) {
                props.put(k.substring(PREFIX.length()), p.getProperty(k));
            }
        }
        Duration grace;
        try {
            grace = Duration.ofNanos(Long.parseLong(p.getProperty(GRACE, "0")));
        } catch (NumberFormatException e) {
            grace = Duration.ZERO;
        }
        long version;
        try {
            version = Long.parseLong(p.getProperty(VERSION, "1"));
        } catch (NumberFormatException e) {
            version = 1;
        }
        return Optional.of(new Saved(props, grace, version));
    }

    @Override
    public void delete(String handle) {
        try {
            Files.deleteIfExists(file(handle));
        } catch (IOException e) {
            throw GardenError.internal("cannot delete state of container " + handle + ": " + e.getMessage(), e);
        }
    }

    private Path file(String handle) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(handle.getBytes(StandardCharsets.UTF_8));
            return dir.resolve(HexFormat.of().formatHex(h, 0, 16) + ".properties");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
