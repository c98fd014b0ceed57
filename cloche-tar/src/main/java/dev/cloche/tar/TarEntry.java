package dev.cloche.tar;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One archive entry as {@link TarReader} reads it and {@link TarWriter} writes it. {@code name} and {@code linkName}
 * are as the archive spells them (a PAX {@code path}/{@code linkpath} or GNU long name/link wins over the header's
 * fields; the ustar prefix counts only under the {@code ustar\0} magic, as busybox reads it), not normalized.
 * {@code xattrs} are the {@code SCHILY.xattr.*} PAX records, keyed without that prefix; values are raw bytes.
 */
public record TarEntry(String name, Type type, int mode, long uid, long gid, long size, String linkName, Instant modified,
        Map<String, byte[]> xattrs) {

    /** The entry types the codec reads and writes; a {@code '7'} (contiguous) file reads as {@link #FILE}. */
    public enum Type {
        FILE('0'), HARD_LINK('1'), SYMLINK('2'), CHARACTER_DEVICE('3'), BLOCK_DEVICE('4'), DIRECTORY('5'), FIFO('6');

        final byte flag;

        Type(char flag) {
            this.flag = (byte) flag;
        }

        /** The type of a header's type flag, if it is one of these. */
        static Optional<Type> of(char flag) {
            return switch (flag) {
                case '0', '\0', '7' -> Optional.of(FILE);
                case '1' -> Optional.of(HARD_LINK);
                case '2' -> Optional.of(SYMLINK);
                case '3' -> Optional.of(CHARACTER_DEVICE);
                case '4' -> Optional.of(BLOCK_DEVICE);
                case '5' -> Optional.of(DIRECTORY);
                case '6' -> Optional.of(FIFO);
                default -> Optional.empty();
            };
        }
    }

    public TarEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(linkName, "linkName");
        Objects.requireNonNull(modified, "modified");
        xattrs = Map.copyOf(xattrs);
        if (size < 0 || size > 0 && type != Type.FILE) {
            throw new IllegalArgumentException("a " + type + " entry carries no data, not " + size + " bytes: " + name);
        }
    }

    /** A regular file of {@code size} bytes, owned by root, modified at the epoch. */
    public static TarEntry file(String name, int mode, long size) {
        return new TarEntry(name, Type.FILE, mode, 0, 0, size, "", Instant.EPOCH, Map.of());
    }

    public static TarEntry directory(String name, int mode) {
        return new TarEntry(name, Type.DIRECTORY, mode, 0, 0, 0, "", Instant.EPOCH, Map.of());
    }

    public static TarEntry symlink(String name, String target) {
        return new TarEntry(name, Type.SYMLINK, 0777, 0, 0, 0, target, Instant.EPOCH, Map.of());
    }

    public static TarEntry hardLink(String name, String target) {
        return new TarEntry(name, Type.HARD_LINK, 0644, 0, 0, 0, target, Instant.EPOCH, Map.of());
    }

    public TarEntry withOwner(long uid, long gid) {
        return new TarEntry(name, type, mode, uid, gid, size, linkName, modified, xattrs);
    }

    public TarEntry withModified(Instant modified) {
        return new TarEntry(name, type, mode, uid, gid, size, linkName, modified, xattrs);
    }

    public TarEntry withXattrs(Map<String, byte[]> xattrs) {
        return new TarEntry(name, type, mode, uid, gid, size, linkName, modified, xattrs);
    }
}
