package dev.cloche.linux.image;

import dev.cloche.image.Digest;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.sys.Inodes;
import dev.cloche.tar.CheckedTarReader;
import dev.cloche.tar.TarEntry;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one layer's tar into an empty directory the store owns, entry by entry, after {@link CheckedTarReader}'s
 * hostile-archive checks (no {@code ..}, no absolute names, nothing through a symlink of the layer, no hard link out of
 * it). Every parent of an entry is checked to be a real directory before anything is written under it, and nothing
 * written follows a symlink, so an entry the checks missed still cannot land outside. Modes (setuid included),
 * numeric owners, mtimes and xattrs are kept; Docker's whiteouts become overlay's: {@code .wh.NAME} a 0/0 character
 * device NAME, {@code .wh..wh..opq} the directory's {@code trusted.overlay.opaque=y}. Device nodes are not made
 * (skipped with a warning: a container's /dev is the runtime's); FIFOs are. xattrs in {@code trusted.overlay.*} are
 * overlay's own and dropped, as are namespaces other than user, security, trusted and POSIX ACLs.
 */
final class LayerExtractor {
    static final String WHITEOUT_PREFIX = ".wh.";
    static final String OPAQUE_MARKER = ".wh..wh..opq";
    static final String OPAQUE_XATTR = "trusted.overlay.opaque";
    private static final Logger LOG = LoggerFactory.getLogger(LayerExtractor.class);

    /** What an extraction did: the uncompressed tar's sha256 (the layer's diff id) and the device nodes it skipped. */
    record Extracted(Digest diffId, int entries, int skippedDevices) { }

    /** A layer's tar that passed the archive checks but cannot be written as a layer (the message says why). */
    static final class RefusedLayerException extends IOException {
        RefusedLayerException(String message) {
            super(message);
        }
    }

    private final Path root;
    private final Inodes inodes;
    /** Relative paths known to be real directories (not symlinks) in this extraction. */
    private final Set<String> dirs = new HashSet<>();
    /** Directories' modes and mtimes (the last entry of a path wins), set at the end: writing children changes a
     * directory's mtime, and a read-only mode would stop an unprivileged writer. */
    private final Map<String, DirMeta> dirMeta = new LinkedHashMap<>();
    private int entries;
    private int skippedDevices;

    private record DirMeta(String path, int mode, Instant modified) { }

    private LayerExtractor(Path root, Inodes inodes) {
        this.root = root;
        this.inodes = inodes;
    }

    /**
     * Extracts the uncompressed tar {@code tar} into {@code root} (an existing empty directory), then reads
     * {@code tar} to its end, since the padding after the end-of-archive record is part of the diff id.
     */
    static Extracted extract(InputStream tar, Path root, Inodes inodes) throws IOException {
        MessageDigest sha = Digest.newSha256();
        DigestInputStream digesting = new DigestInputStream(tar, sha);
        LayerExtractor x = new LayerExtractor(root, inodes);
        x.dirs.add("");
        CheckedTarReader reader = new CheckedTarReader(digesting);
        for (Optional<CheckedTarReader.Checked> e; (e = reader.next()).isPresent(); ) {
            x.write(e.get(), reader.content());
        }
        digesting.transferTo(OutputStream.nullOutputStream());
        x.finish();
        if (x.skippedDevices > 0) LOG.warn("{}: {} device node(s) in the layer were not created", root, x.skippedDevices);
        return new Extracted(new Digest("sha256", HexFormat.of().formatHex(sha.digest())), x.entries, x.skippedDevices);
    }

    private void write(CheckedTarReader.Checked c, InputStream content) throws IOException {
        entries++;
        TarEntry e = c.entry();
        String path = c.path();
        if (path.isEmpty()) { // the layer's root directory itself
            metadata(root, e, true);
            dirMeta.put("", new DirMeta("", e.mode(), e.modified()));
            return;
        }
        int slash = path.lastIndexOf('/');
        String parent = slash < 0 ? "" : path.substring(0, slash);
        String name = path.substring(slash + 1);
        if (name.startsWith(WHITEOUT_PREFIX)) {
            whiteout(parent, name, e);
            return;
        }
        ensureDirectory(parent, path);
        Path target = root.resolve(path);
        switch (e.type()) {
            case DIRECTORY -> {
                if (!isRealDirectory(target)) {
                    removeExisting(path);
                    Files.createDirectory(target);
                }
                dirs.add(path);
                metadata(target, e, true);
                dirMeta.put(path, new DirMeta(path, e.mode(), e.modified()));
            }
            case FILE -> {
                removeExisting(path);
                // CREATE_NEW is O_EXCL: it never opens through a symlink at the name
                try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                        LinkOption.NOFOLLOW_LINKS)) {
                    long copied = content.transferTo(out);
                    if (copied != e.size()) throw new RefusedLayerException(path + ": " + copied + " bytes for a size of " + e.size());
                }
                metadata(target, e, false);
                inodes.setModified(target, e.modified());
            }
            case SYMLINK -> {
                removeExisting(path);
                Files.createSymbolicLink(target, Path.of(e.linkName()));
                inodes.lchown(target, e.uid(), e.gid());
                inodes.setModified(target, e.modified());
            }
            case HARD_LINK -> hardLink(path, c.target());
            case FIFO -> {
                removeExisting(path);
                inodes.makeFifo(target, e.mode());
                metadata(target, e, false);
                inodes.setModified(target, e.modified());
            }
            case CHARACTER_DEVICE, BLOCK_DEVICE -> skippedDevices++;
        }
    }

    private void whiteout(String parent, String name, TarEntry e) throws IOException {
        ensureDirectory(parent, parent.isEmpty() ? name : parent + "/" + name);
        Path dir = root.resolve(parent);
        if (name.equals(OPAQUE_MARKER)) {
            inodes.setXattr(dir, OPAQUE_XATTR, "y".getBytes(StandardCharsets.US_ASCII));
            return;
        }
        if (name.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return; // aufs metadata (.wh..wh.plnk, ...), no meaning here
        String hidden = name.substring(WHITEOUT_PREFIX.length());
        if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) {
            throw new RefusedLayerException("whiteout " + (parent.isEmpty() ? "" : parent + "/") + name + " names no file");
        }
        String path = parent.isEmpty() ? hidden : parent + "/" + hidden;
        removeExisting(path);
        Path target = root.resolve(path);
        inodes.makeWhiteout(target);
        inodes.lchown(target, e.uid(), e.gid());
    }

    private void hardLink(String path, String targetPath) throws IOException {
        int slash = targetPath.lastIndexOf('/');
        ensureDirectory(slash < 0 ? "" : targetPath.substring(0, slash), path);
        Path target = root.resolve(targetPath);
        BasicFileAttributes a = attributes(target).orElseThrow(() -> new RefusedLayerException(
                "hard link " + path + " names " + targetPath + ", which is not in the layer (yet)"));
        if (a.isDirectory()) throw new RefusedLayerException("hard link " + path + " names the directory " + targetPath);
        if (targetPath.equals(path)) return;
        removeExisting(path);
        // link(2) does not follow a symlink it is given: a link to a symlink links the symlink
        Files.createLink(root.resolve(path), target);
    }

    /** Makes sure {@code dir} (relative) is a real directory, creating missing ones (root-owned, 0755). */
    private void ensureDirectory(String dir, String forEntry) throws IOException {
        if (dirs.contains(dir)) return;
        int slash = dir.lastIndexOf('/');
        ensureDirectory(slash < 0 ? "" : dir.substring(0, slash), forEntry);
        Path p = root.resolve(dir);
        Optional<BasicFileAttributes> a = attributes(p);
        if (a.isEmpty()) {
            Files.createDirectory(p);
            inodes.lchown(p, 0, 0);
            inodes.chmod(p, 0755);
        } else if (!a.get().isDirectory()) {
            throw new RefusedLayerException(forEntry + " goes through " + dir + ", which is not a directory"
                    + (a.get().isSymbolicLink() ? " but a symlink" : ""));
        }
        dirs.add(dir);
    }

    /** Removes whatever the layer has at {@code path} so far (a later entry replaces an earlier one). */
    private void removeExisting(String path) throws IOException {
        Path p = root.resolve(path);
        Optional<BasicFileAttributes> a = attributes(p);
        if (a.isEmpty()) return;
        if (a.get().isDirectory()) {
            Trees.deleteRecursively(p);
            dirs.removeIf(d -> d.equals(path) || d.startsWith(path + "/"));
            dirMeta.keySet().removeIf(d -> d.equals(path) || d.startsWith(path + "/"));
        } else {
            Files.delete(p);
        }
    }

    private void metadata(Path p, TarEntry e, boolean directory) throws IOException {
        inodes.lchown(p, e.uid(), e.gid());
        // after lchown, which clears setuid/setgid bits and security.capability
        if (!directory) inodes.chmod(p, e.mode());
        for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
            if (keptXattr(x.getKey())) inodes.setXattr(p, x.getKey(), x.getValue());
        }
    }

    static boolean keptXattr(String name) {
        if (name.startsWith("trusted.overlay.")) return false;
        return name.startsWith("user.") || name.startsWith("security.") || name.startsWith("trusted.")
                || name.equals("system.posix_acl_access") || name.equals("system.posix_acl_default");
    }

    private void finish() throws IOException {
        for (DirMeta d : dirMeta.values()) {
            Path p = root.resolve(d.path());
            inodes.chmod(p, d.mode());
            inodes.setModified(p, d.modified());
        }
    }

    private boolean isRealDirectory(Path p) throws IOException {
        return attributes(p).map(BasicFileAttributes::isDirectory).orElse(false);
    }

    static Optional<BasicFileAttributes> attributes(Path p) throws IOException {
        try {
            return Optional.of(Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        }
    }
}
