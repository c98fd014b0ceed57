package dev.cloche.linux.fs;

import dev.cloche.tar.XattrInserter;
import java.io.FilterInputStream;
import java.io.InputStream;
import java.util.Map;
import java.util.function.Function;

/**
 * Stream-out's xattrs, as the Linux backend calls them: {@link XattrInserter} (cloche-tar) inserts a PAX header
 * with {@code SCHILY.xattr.*} records for what {@code lookup} returns before each regular file or directory of the
 * tar stream as it is read (docs/files.md §4); everything else passes through unchanged.
 */
public final class TarXattrs extends FilterInputStream {
    public TarXattrs(InputStream in, Function<String, Map<String, byte[]>> lookup) {
        super(new XattrInserter(in, lookup));
    }
}
