package dev.cloche.tar;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What stream-in refuses in an archive {@link TarReader} could read (docs/files.md §3), entry by entry in archive
 * order: absolute names, {@code ..} components, names through a symlink made earlier in the archive, hard links
 * with absolute or {@code ..} targets, device and FIFO entries unless devices are allowed, a non-directory entry
 * that names the destination itself, and odd names in global PAX headers. Holds the archive's symlinks so far.
 */
final class HostileArchiveChecks implements TarRecords.GlobalHeaders {
    static final int MAX_PATH = 4096;

    private final boolean allowDevices;
    private final Set<String> symlinks = new HashSet<>();

    HostileArchiveChecks(boolean allowDevices) {
        this.allowDevices = allowDevices;
    }

    /** busybox ignores global headers; still, no global path may point anywhere odd. */
    @Override
    public void check(Map<String, byte[]> records, long at) throws TarRejectedException {
        for (String k : List.of("path", "linkpath")) {
            if (records.containsKey(k)) checkName(ExtendedHeaders.utf8(records.get(k), at, k), at, "global " + k);
        }
    }

    /**
     * Checks {@code e}, read from header {@code h}, and returns its path normalized (relative to the destination).
     * The raw fields are checked even when an extended header overrides them, and the prefix field whatever the
     * magic says: tar implementations disagree on when each applies.
     */
    String entry(TarEntry e, RawHeader h) throws TarRejectedException {
        long at = h.offset();
        char t = h.type();
        if (!h.name().isEmpty()) checkName(h.name(), at, "name");
        if (!h.prefix().isEmpty()) checkName(h.prefix() + "/" + h.name(), at, "name");
        if (e.type() == TarEntry.Type.HARD_LINK && !h.linkName().isEmpty()) checkName(h.linkName(), at, "hard link target");
        String name = e.name();
        String path = checkName(name, at, "name");
        if (path.isEmpty() && e.type() != TarEntry.Type.DIRECTORY) {
            throw new TarRejectedException("entry at byte " + at + " of type '" + RawHeader.printable(t) + "' names the destination itself");
        }
        checkNotThroughSymlink(path, at, name);
        String link = e.linkName();
        switch (e.type()) {
            case HARD_LINK -> {
                String target = checkName(link, at, "hard link target");
                if (target.isEmpty()) throw new TarRejectedException("hard link " + name + " at byte " + at + " has no target");
                checkNotThroughSymlink(target, at, link);
            }
            case SYMLINK -> {
                // symlink targets are resolved by the kernel inside the container's root; entries through the
                // link are what is refused (checkNotThroughSymlink)
                if (link.isEmpty() || link.indexOf('\0') >= 0) throw new TarRejectedException("symlink " + name + " at byte " + at + " has no target");
                symlinks.add(path);
            }
            case CHARACTER_DEVICE, BLOCK_DEVICE, FIFO -> {
                if (!allowDevices) {
                    throw new TarRejectedException((t == '6' ? "FIFO " : "device node ") + name + " at byte " + at
                            + " is not allowed in an unprivileged container");
                }
            }
            default -> { }
        }
        // a later entry of the same name does not clear it: tar may keep the symlink (a directory entry over a
        // symlink to a directory), so entries through that name stay refused
        return path;
    }

    /** Refuses absolute names and ".." components; returns the name normalized (no "." or empty components). */
    static String checkName(String name, long at, String what) throws TarRejectedException {
        if (name.isEmpty()) throw new TarRejectedException("empty " + what + " at byte " + at);
        if (name.indexOf('\0') >= 0) throw new TarRejectedException(what + " with a NUL byte at byte " + at);
        if (name.length() > MAX_PATH) throw new TarRejectedException(what + " longer than " + MAX_PATH + " at byte " + at);
        if (name.startsWith("/")) throw new TarRejectedException("absolute " + what + " " + name + " at byte " + at);
        List<String> parts = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.equals("..")) throw new TarRejectedException(what + " " + name + " at byte " + at + " contains '..'");
            if (!c.isEmpty() && !c.equals(".")) parts.add(c);
        }
        return String.join("/", parts);
    }

    private void checkNotThroughSymlink(String path, long at, String shown) throws TarRejectedException {
        int slash = -1;
        while ((slash = path.indexOf('/', slash + 1)) > 0) {
            String dir = path.substring(0, slash);
            if (symlinks.contains(dir)) {
                throw new TarRejectedException(shown + " at byte " + at + " goes through the symlink " + dir + " made earlier in the archive");
            }
        }
    }
}
