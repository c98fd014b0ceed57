package dev.cloche.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.PullResponseItem;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container's image as the engine knows it. {@code docker://} references are pulled by the engine (progress
 * logged); a directory or a tarball rootfs is imported as an engine image tagged by the SHA-256 of its archive, so
 * the same rootfs is imported once per engine however many containers or daemons use it.
 */
final class EngineImages {
    private static final Logger LOG = LoggerFactory.getLogger(EngineImages.class);
    static final String IMPORT_REPOSITORY = "cloche-rootfs";

    private final DockerClient docker;
    private final Engine engine;
    private final Path scratch;
    /** A directory's tag by path: tarring it to learn its digest costs more than the import check. */
    private final Map<Path, String> directoryTags = new ConcurrentHashMap<>();

    EngineImages(Engine engine, Path scratch) {
        this.engine = engine;
        this.docker = engine.client();
        this.scratch = scratch;
    }

    /** The engine image for a rootfs URI (empty: the default rootfs), pulled or imported if the engine lacks it. */
    String resolve(String uri, Path defaultRootfs) {
        if (uri.startsWith("docker://")) return pull(uri.substring("docker://".length()).replaceFirst("^/", ""));
        if (uri.contains("://") && !uri.startsWith("raw://")) {
            throw new InvalidRequestException("not supported by the docker backend: image " + uri
                    + " (use docker://, a directory or a tarball)");
        }
        Path path = uri.isEmpty() ? defaultRootfs : Path.of(uri.replaceFirst("^raw://", ""));
        if (Files.isDirectory(path)) return importDirectory(path);
        if (Files.isRegularFile(path)) return importTarball(path);
        throw new InvalidRequestException("rootfs not found: " + path);
    }

    private String pull(String ref) {
        String repository = ref;
        String tag = "latest";
        int at = ref.indexOf('@');
        int colon = ref.lastIndexOf(':');
        if (at < 0 && colon > ref.lastIndexOf('/')) {
            repository = ref.substring(0, colon);
            tag = ref.substring(colon + 1);
        }
        String image = at >= 0 ? ref : repository + ":" + tag;
        if (present(image)) return image;
        LOG.info("pulling {}", image);
        try {
            var pull = at >= 0 ? docker.pullImageCmd(ref) : docker.pullImageCmd(repository).withTag(tag);
            pull.exec(new ResultCallback.Adapter<PullResponseItem>() {
                @Override
                public void onNext(PullResponseItem item) {
                    if (item.getStatus() != null) {
                        LOG.info("pull {}: {} {}", image, item.getId() == null ? "" : item.getId(), item.getStatus());
                    }
                }
            }).awaitCompletion();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw GardenError.internal("interrupted while pulling " + image, e);
        } catch (RuntimeException e) {
            throw new InvalidRequestException("the engine could not pull " + image + ": " + e.getMessage(), e);
        }
        return image;
    }

    private String importDirectory(Path dir) {
        String known = directoryTags.get(dir);
        if (known != null && present(known)) return known;
        try {
            Path tar = Files.createTempFile(scratch, "rootfs-", ".tar");
            try {
                String digest;
                try (DigestOutputStream out = new DigestOutputStream(Files.newOutputStream(tar), sha256())) {
                    writeTree(dir, out);
                    digest = HexFormat.of().formatHex(out.getMessageDigest().digest());
                }
                String image = importArchive(tar, digest);
                directoryTags.put(dir, image);
                return image;
            } finally {
                Files.deleteIfExists(tar);
            }
        } catch (IOException e) {
            throw GardenError.internal("could not archive rootfs " + dir + ": " + e.getMessage(), e);
        }
    }

    private String importTarball(Path tarball) {
        try (DigestOutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), sha256());
             InputStream in = Files.newInputStream(tarball)) {
            in.transferTo(out);
            return importArchive(tarball, HexFormat.of().formatHex(out.getMessageDigest().digest()));
        } catch (IOException e) {
            throw new InvalidRequestException("could not read rootfs tarball " + tarball + ": " + e.getMessage(), e);
        }
    }

    /** Imports the archive under its digest's tag unless the engine already has that tag. */
    private String importArchive(Path archive, String sha256) throws IOException {
        String tag = sha256.substring(0, 32);
        String image = IMPORT_REPOSITORY + ":" + tag;
        if (present(image)) return image;
        LOG.info("importing {} as {}", archive, image);
        try {
            engine.importImage(archive, IMPORT_REPOSITORY, tag);
        } catch (IOException | RuntimeException e) {
            throw GardenError.internal("the engine refused to import " + archive + ": " + e.getMessage(), e);
        }
        if (!present(image)) throw GardenError.internal("the engine did not keep the imported image " + image);
        return image;
    }

    private boolean present(String image) {
        try {
            docker.inspectImageCmd(image).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /** The tree as a tar, entries in name order, owners and modes as on disk (a stable digest for a stable tree). */
    private static void writeTree(Path root, OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out);
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = walk.filter(p -> !p.equals(root)).sorted().toList();
        }
        for (Path p : paths) {
            String name = root.relativize(p).toString();
            PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            TarArchiveEntry e;
            if (a.isSymbolicLink()) {
                e = new TarArchiveEntry(name, TarArchiveEntry.LF_SYMLINK);
                e.setLinkName(Files.readSymbolicLink(p).toString());
            } else if (a.isDirectory()) {
                e = new TarArchiveEntry(name + "/");
            } else if (a.isRegularFile()) {
                e = new TarArchiveEntry(name);
                e.setSize(a.size());
            } else {
                continue; // sockets, FIFOs and devices: the engine makes /dev itself
            }
            e.setMode(mode(a.permissions()) | (int) (Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) instanceof Integer m ? m & 07000 : 0));
            e.setUserId((Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            e.setGroupId((Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS));
            e.setModTime(a.lastModifiedTime().toMillis());
            tar.putArchiveEntry(e);
            if (a.isRegularFile()) {
                try (InputStream in = Files.newInputStream(p)) {
                    in.transferTo(tar);
                }
            }
            tar.closeArchiveEntry();
        }
        tar.close(); // finish() leaves the last block in its buffer
    }

    private static int mode(Set<PosixFilePermission> permissions) {
        int m = 0;
        for (PosixFilePermission p : permissions) m |= 1 << (8 - p.ordinal());
        return m;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new UncheckedIOException(new IOException(e));
        }
    }
}
