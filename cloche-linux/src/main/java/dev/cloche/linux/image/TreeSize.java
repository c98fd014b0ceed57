package dev.cloche.linux.image;

import dev.cloche.linux.sys.InodeStat;
import dev.cloche.linux.sys.Inodes;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** What a tree takes on disk: bytes allocated and inodes, a hard-linked inode counted once (as quotas count them). */
record TreeSize(long bytes, long inodes) {
    static final TreeSize ZERO = new TreeSize(0, 0);

    TreeSize plus(TreeSize o) {
        return new TreeSize(bytes + o.bytes, inodes + o.inodes);
    }

    static TreeSize measure(Path root, Inodes inodes) throws IOException {
        long[] sum = new long[2];
        walk(root, inodes, new HashSet<>(), sum);
        return new TreeSize(sum[0], sum[1]);
    }

    private static void walk(Path p, Inodes inodes, Set<String> seen, long[] sum) throws IOException {
        InodeStat st = inodes.lstat(p);
        if (st.links() <= 1 || st.isDirectory() || seen.add(st.dev() + ":" + st.ino())) {
            sum[0] += st.allocated();
            sum[1]++;
        }
        if (!st.isDirectory()) return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(p)) {
            for (Path c : ds) walk(c, inodes, seen, sum);
        }
    }
}
