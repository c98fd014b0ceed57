package dev.cloche.linux;

import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.linux.fs.ContainerFiles;
import dev.cloche.linux.fs.RootedXattrs;
import dev.cloche.linux.fs.TarGuard;
import dev.cloche.linux.fs.TarXattrs;
import dev.cloche.linux.oci.BundleRules;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Garden's stream-in and stream-out of one container (docs/files.md): busybox tar inside the container, so paths
 * resolve in its mount namespace and {@code ..} or symlinks cannot escape; {@link TarGuard} refuses hostile archives
 * before tar sees them, and {@code user.*} xattrs, which busybox tar drops, are restored and read from the host under
 * the container's root.
 */
final class TarStreams {
    private static final Logger LOG = LoggerFactory.getLogger(TarStreams.class);
    /** How much of an archive is read before stream-out returns, so a tar that fails at once fails the call. */
    private static final int READ_AHEAD = 65536;

    private final ContainerIdentity container;
    private final Depot.Entry entry;
    private final ContainerStatus status;
    private final ContainerCommands commands;
    private final ContainerRoot root;

    TarStreams(ContainerIdentity container, Depot.Entry entry, ContainerStatus status, ContainerCommands commands,
               ContainerRoot root) {
        this.container = container;
        this.entry = entry;
        this.status = status;
        this.commands = commands;
        this.root = root;
    }

    void streamIn(StreamInSpec spec) {
        status.requireExists();
        ContainerFiles.User user = streamUser(spec.user(), "error streaming in: ");
        String dest = OciProcessBuilder.absolute(spec.path(), user);
        String tool = BundleRules.TOOL_PATH;
        // mkdir and tar run inside the container's mount namespace as the user, so ".." and symlinks cannot
        // escape; TarGuard refuses hostile archives outright instead (docs/files.md)
        try (ContainerCommands.Tar tar = startTarIn(user, List.of(tool, "sh", "-c",
                tool + " mkdir -p \"$1\" && exec " + tool + " tar -x -f - -C \"$1\"", "sh", dest), dest)) {
            Optional<TarGuard.Summary> fed;
            try (OutputStream in = tar.stdin()) {
                fed = Optional.of(TarGuard.copy(spec.tarStream(), in, container.privileged()));
            } catch (TarGuard.RejectedException e) {
                tar.kill();
                throw new InvalidRequestException("error streaming in: " + e.getMessage());
            } catch (TarGuard.SinkException e) {
                fed = Optional.empty(); // tar stopped reading: its status and stderr say why
            } catch (IOException e) {
                tar.kill();
                throw GardenError.internal("error streaming in: reading the archive failed: " + e.getMessage(), e);
            }
            int code = tar.await();
            if (code != 0 || fed.isEmpty()) {
                String why = tar.stderr();
                if (DepotSpace.ranOut(why)) {
                    // a disk limit is a filesystem image of its own inside the entry (OverlayVolumizer)
                    boolean limited = java.nio.file.Files.exists(entry.volume().diskImage());
                    throw DepotSpace.volumeFull("error streaming in to " + dest, entry.dir().getParent(), limited, why);
                }
                throw GardenError.internal("error streaming in: " + (why.isEmpty() ? "tar exited with status " + code : why));
            }
            restoreXattrs(dest, user, fed.get());
        }
    }

    /**
     * busybox tar drops extended attributes: the {@code user.*} ones from PAX headers are set afterwards, resolved
     * with openat2 under the container's root as its processes see it (docs/files.md §4).
     */
    private void restoreXattrs(String dest, ContainerFiles.User user, TarGuard.Summary summary) {
        if (summary.xattrs().isEmpty()) return;
        try {
            // uids 1.. map to themselves in both kinds of container; the container's root may set them on any file
            List<String> failed = RootedXattrs.apply(root.path(), dest, summary.xattrs(), user.uid(), user.uid() == 0);
            if (!failed.isEmpty()) {
                throw GardenError.internal("error streaming in: extended attributes not restored: " + String.join("; ", failed));
            }
        } catch (IOException e) {
            throw GardenError.internal("error streaming in: extended attributes not restored: " + e.getMessage(), e);
        }
    }

    /** The stream-in's tar; its helper files live in the entry, so a full depot stops it before tar runs. */
    private ContainerCommands.Tar startTarIn(ContainerFiles.User user, List<String> argv, String dest) {
        try {
            return commands.startTar(user, argv);
        } catch (GardenException e) {
            if (e.kind() != GardenException.Kind.INTERNAL) throw e;
            throw DepotSpace.full("error streaming in to " + dest, entry.dir().getParent(), e).orElse(e);
        }
    }

    /** The user a stream runs as; an unknown user fails with {@code prefix} (Garden clients match on it). */
    private ContainerFiles.User streamUser(String name, String prefix) {
        try {
            return root.files().user(name);
        } catch (GardenException e) {
            throw GardenError.of(e.kind(), prefix + e.getMessage());
        }
    }

    /**
     * Why a stream-out failed before its first byte, as the caller can act on it: a missing or unreadable source is
     * the request's fault (a typed refusal naming the path); anything else is internal, with tar's own words in the
     * daemon's log rather than in the answer.
     */
    private GardenException streamOutFailure(StreamOutSpec spec, int code, String stderr) {
        if (stderr.contains("No such file or directory") || stderr.contains("Not a directory")) {
            return new InvalidRequestException("error streaming out: " + spec.path() + " does not exist in container "
                    + container.handle());
        }
        if (stderr.contains("Permission denied")) {
            return new InvalidRequestException("error streaming out: " + spec.path() + " is not readable by user '"
                    + (spec.user().isEmpty() ? "root" : spec.user()) + "' in container " + container.handle());
        }
        LOG.warn("stream-out of {} from {} failed: tar exited {}: {}", spec.path(), container.handle(), code, stderr.strip());
        return GardenError.internal("error streaming out of " + spec.path() + ": "
                + (code == 0 ? "empty archive" : "tar exited with status " + code + " (the daemon's log has its message)"));
    }

    /** Reads xattrs under the container's root; without one the archive goes out without them, as tar made it. */
    private Optional<RootedXattrs.Reader> xattrReader() {
        try {
            return Optional.of(RootedXattrs.reader(root.path()));
        } catch (IOException | GardenException e) {
            LOG.warn("stream-out of {} without xattrs: {}", container.handle(), e.getMessage());
            return Optional.empty();
        }
    }

    InputStream streamOut(StreamOutSpec spec) {
        status.requireExists();
        ContainerFiles.User user = streamUser(spec.user(), "error streaming out: ");
        String source = OciProcessBuilder.absolute(spec.path(), user);
        List<String> args = new ArrayList<>(List.of(BundleRules.TOOL_PATH, "tar", "-c", "-f", "-", "-C"));
        String base;
        if (source.endsWith("/")) {
            base = source;
            args.addAll(List.of(source, "."));
        } else {
            Path p = Path.of(source);
            Path parent = p.getParent() == null ? Path.of("/") : p.getParent();
            base = parent.toString();
            args.addAll(List.of(parent.toString(), p.getFileName() == null ? "." : p.getFileName().toString()));
        }
        ContainerCommands.Tar tar = commands.startTar(user, args);
        try {
            tar.stdin().close();
        } catch (IOException e) {
            // stdin unused
        }
        BufferedInputStream out = new BufferedInputStream(tar.stdout(), READ_AHEAD);
        try {
            // read ahead: a tar that fails at once (a missing source still yields an end-of-archive marker) or has
            // nothing to send fails the call itself instead of the stream half-way
            out.mark(READ_AHEAD);
            int got = out.readNBytes(new byte[READ_AHEAD], 0, READ_AHEAD);
            if (got < READ_AHEAD) {
                int code = tar.await();
                if (code != 0 || got == 0) {
                    String stderr = tar.stderr();
                    tar.close();
                    throw streamOutFailure(spec, code, stderr);
                }
            }
            out.reset();
        } catch (IOException e) {
            tar.close();
            throw GardenError.internal("error streaming out: " + e.getMessage(), e);
        }
        // busybox tar writes no xattrs: user.* ones are added as PAX headers, read under the container's root
        Optional<RootedXattrs.Reader> attrs = xattrReader();
        InputStream withAttrs = attrs.<InputStream>map(r -> new TarXattrs(out, name -> r.read(base + "/" + name))).orElse(out);
        return new InputStream() {
            @Override
            public int read() throws IOException {
                int b = withAttrs.read();
                if (b < 0) checkExit();
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = withAttrs.read(b, off, len);
                if (n < 0) checkExit();
                return n;
            }

            /** A tar that failed half-way must not look like a complete archive. */
            private void checkExit() throws IOException {
                int code = tar.await();
                if (code != 0) throw new IOException("error streaming out: tar failed: " + tar.stderr());
            }

            @Override
            public void close() throws IOException {
                out.close();
                tar.close();
                attrs.ifPresent(RootedXattrs.Reader::close);
            }
        };
    }
}
