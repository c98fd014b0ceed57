package dev.cloche.linux.fs;

import dev.cloche.api.GardenError;
import dev.cloche.linux.sys.CommandRunner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Keeps one uid-shifted copy per image under {@code <depot>/images/<hash>-shifted}: the image belongs to host
 * root, which the user namespace does not map, so container root could not own its own files otherwise. The hash
 * covers the image's path and its root directory's identity, so an image replaced by a new tree at the same path
 * (scripts/make-rootfs.sh renames a rebuilt rootfs into place) gets a new copy instead of the stale one; the stale
 * copy stays, as containers may still have it as their lower layer.
 */
final class ShiftingImageCache implements ImageCache {
    private final CommandRunner runner;
    private final Path imagesDir;
    private final long rootHostId;

    ShiftingImageCache(CommandRunner runner, Path imagesDir, long rootHostId) {
        this.runner = runner;
        this.imagesDir = imagesDir;
        this.rootHostId = rootHostId;
    }

    @Override
    public synchronized Path lowerFor(Path image, boolean privileged) {
        if (privileged) {
            return image;
        }
        Path shifted = imagesDir.resolve(hash(identity(image)) + "-shifted");
        if (Files.isDirectory(shifted)) {
            return shifted;
        }
        Path tmp = imagesDir.resolve(shifted.getFileName() + ".tmp");
        try {
            Files.createDirectories(imagesDir);
            Trees.deleteRecursively(tmp);
            runner.check(List.of("cp", "-a", image.toString(), tmp.toString()));
            // lchown (-h): symlinks are shifted themselves, never their targets
            String id = Long.toString(rootHostId);
            runner.check(List.of("find", tmp.toString(), "-uid", "0", "-exec", "chown", "-h", id, "{}", "+"));
            runner.check(List.of("find", tmp.toString(), "-gid", "0", "-exec", "chgrp", "-h", id, "{}", "+"));
            Files.move(tmp, shifted, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return shifted;
        } catch (IOException | RuntimeException e) {
            Trees.deleteRecursively(tmp);
            throw e instanceof GardenError g ? g : GardenError.internal("cannot build shifted image of " + image, e);
        }
    }

    /** The image's path, plus its root's file key (device and inode) and modification time when it can be read. */
    static String identity(Path image) {
        Path abs = image.toAbsolutePath().normalize();
        try {
            BasicFileAttributes a = Files.readAttributes(abs, BasicFileAttributes.class);
            return abs + "\0" + a.fileKey() + "\0" + a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
        } catch (IOException e) {
            return abs.toString();
        }
    }

    static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
