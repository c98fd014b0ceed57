package dev.cloche.linux.image;

import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.sys.InodeStat;
import dev.cloche.linux.sys.Inodes;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Copies extracted layers node by node through {@link Inodes}, never following a symlink: a layer's shifted copy for
 * user-namespaced containers (every uid or gid 0 becomes the host id container root maps to, the rest stays) and an
 * image flattened into one tree when its layers would not fit overlay's mount options. Copies keep types, modes,
 * owners, mtimes, xattrs and the hard links inside one layer; device nodes other than whiteouts are never there.
 */
final class TreeCopier {
    private final Inodes inodes;

    TreeCopier(Inodes inodes) {
        this.inodes = inodes;
    }

    /** {@code src} into the new directory {@code dst} as it is (whiteouts and opaque markers too), ids 0 shifted. */
    void shiftedCopy(Path src, Path dst, long rootHostId) throws IOException {
        Pass pass = new Pass(false, rootHostId);
        Files.createDirectory(dst);
        pass.meta(src, dst, inodes.lstat(src));
        pass.merge(src, dst);
        pass.finish();
    }

    /**
     * {@code layers} (bottom to top) into the new directory {@code dst} as overlay would show them stacked: a whiteout
     * removes what is below, an opaque directory hides what is below it, and neither marker is copied. Ids 0 become
     * {@code rootHostId} unless it is negative.
     */
    void flatten(List<Path> layers, Path dst, long rootHostId) throws IOException {
        Files.createDirectory(dst);
        Map<String, DirMeta> dirs = new HashMap<>();
        for (Path layer : layers) {
            Pass pass = new Pass(true, rootHostId);
            pass.dirs = dirs;
            pass.meta(layer, dst, inodes.lstat(layer));
            pass.merge(layer, dst);
        }
        new Pass(true, rootHostId).finish(dirs);
    }

    private record DirMeta(int mode, Instant modified) { }

    private record InodeKey(long dev, long ino) { }

    /** One layer's walk: hard links are kept within it, directories' modes and times are set at the end. */
    private final class Pass {
        private final boolean flatten;
        private final long rootHostId;
        private final Map<InodeKey, Path> linked = new HashMap<>();
        private Map<String, DirMeta> dirs = new HashMap<>();

        Pass(boolean flatten, long rootHostId) {
            this.flatten = flatten;
            this.rootHostId = rootHostId;
        }

        void merge(Path src, Path dst) throws IOException {
            for (Path s : children(src)) {
                Path d = dst.resolve(s.getFileName().toString());
                InodeStat st = inodes.lstat(s);
                Optional<InodeStat> there = stat(d);
                if (flatten && st.isWhiteout()) {
                    if (there.isPresent()) Trees.deleteRecursively(d);
                    continue;
                }
                if (st.isDirectory()) {
                    if (there.isPresent() && !there.get().isDirectory()) {
                        Trees.deleteRecursively(d);
                        there = Optional.empty();
                    }
                    if (there.isPresent() && flatten && opaque(s)) {
                        for (Path hidden : children(d)) Trees.deleteRecursively(hidden);
                    }
                    if (there.isEmpty()) Files.createDirectory(d);
                    meta(s, d, st);
                    merge(s, d);
                } else {
                    if (there.isPresent()) Trees.deleteRecursively(d);
                    copy(s, d, st);
                }
            }
        }

        private void copy(Path s, Path d, InodeStat st) throws IOException {
            if (st.isRegularFile()) {
                if (st.links() > 1) {
                    InodeKey key = new InodeKey(st.dev(), st.ino());
                    Path first = linked.putIfAbsent(key, d);
                    if (first != null) {
                        Files.createLink(d, first);
                        return;
                    }
                }
                Files.copy(s, d, LinkOption.NOFOLLOW_LINKS);
            } else if (st.isSymlink()) {
                Files.createSymbolicLink(d, Files.readSymbolicLink(s));
            } else if (st.isFifo()) {
                inodes.makeFifo(d, st.permissions());
            } else if (st.isWhiteout()) {
                inodes.makeWhiteout(d);
            } else {
                return; // no other node is ever extracted
            }
            meta(s, d, st);
        }

        /** Owner, mode, xattrs; times now for all but directories (theirs at the end, after their children). */
        void meta(Path s, Path d, InodeStat st) throws IOException {
            inodes.lchown(d, shift(st.uid()), shift(st.gid()));
            if (st.isSymlink()) {
                inodes.setModified(d, st.modified());
                return;
            }
            if (!st.isDirectory()) inodes.chmod(d, st.permissions());
            for (Map.Entry<String, byte[]> x : inodes.xattrs(s).entrySet()) {
                if (flatten && x.getKey().startsWith("trusted.overlay.")) continue;
                inodes.setXattr(d, x.getKey(), x.getValue());
            }
            if (st.isDirectory()) {
                dirs.put(d.toString(), new DirMeta(st.permissions(), st.modified()));
            } else {
                inodes.setModified(d, st.modified());
            }
        }

        void finish() throws IOException {
            finish(dirs);
        }

        void finish(Map<String, DirMeta> all) throws IOException {
            for (Map.Entry<String, DirMeta> e : all.entrySet()) {
                Path p = Path.of(e.getKey());
                if (stat(p).filter(InodeStat::isDirectory).isEmpty()) continue; // removed by a later layer
                inodes.chmod(p, e.getValue().mode());
                inodes.setModified(p, e.getValue().modified());
            }
        }

        private long shift(long id) {
            return id == 0 && rootHostId >= 0 ? rootHostId : id;
        }

        private boolean opaque(Path dir) throws IOException {
            byte[] v = inodes.xattrs(dir).get(LayerExtractor.OPAQUE_XATTR);
            return v != null && v.length == 1 && v[0] == 'y';
        }
    }

    private Optional<InodeStat> stat(Path p) throws IOException {
        try {
            return Optional.of(inodes.lstat(p));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    private static List<Path> children(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) out.add(p);
        }
        out.sort(null);
        return out;
    }
}
