package dev.cloche.console.files;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The NIO provider of {@link ContainerFileSystem}s: each operation becomes one {@link ContainerFiles} call on the
 * path's container. Its file systems are made by {@link #newFileSystem(ContainerFiles)}, never from a URI.
 */
public final class ContainerFileSystemProvider extends FileSystemProvider {

    public ContainerFileSystem newFileSystem(ContainerFiles files) {
        return new ContainerFileSystem(this, files);
    }

    @Override
    public String getScheme() {
        return "cloche-container";
    }

    @Override
    public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
        throw new UnsupportedOperationException("container file systems are made per SSH session, not from a URI");
    }

    @Override
    public FileSystem getFileSystem(URI uri) {
        throw new UnsupportedOperationException("container file systems are made per SSH session, not from a URI");
    }

    @Override
    public Path getPath(URI uri) {
        throw new UnsupportedOperationException("container file systems are made per SSH session, not from a URI");
    }

    /** The path as the container names it: absolute and normalized. */
    private static String containerName(Path p) {
        if (!(p instanceof ContainerPath cp)) {
            throw new ProviderMismatchException("not a container path: " + p);
        }
        return cp.toAbsolutePath().normalize().toString();
    }

    private static ContainerFileSystem fs(Path p) {
        if (!(p instanceof ContainerPath cp)) {
            throw new ProviderMismatchException("not a container path: " + p);
        }
        return cp.getFileSystem();
    }

    private static boolean follow(LinkOption... options) {
        return !Arrays.asList(options).contains(LinkOption.NOFOLLOW_LINKS);
    }

    private static FileStat stat(Path p, boolean follow) throws IOException {
        String name = containerName(p);
        ContainerFileSystem fs = fs(p);
        Optional<FileStat> cached = fs.stats().get(name).filter(s -> !follow || !s.isSymbolicLink());
        if (cached.isPresent()) {
            return cached.get();
        }
        return fs.files().stat(name, follow).orElseThrow(() -> new NoSuchFileException(name));
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
            throws IOException {
        String name = containerName(path);
        ContainerFileSystem fs = fs(path);
        boolean write = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
        boolean append = options.contains(StandardOpenOption.APPEND);
        Optional<FileStat> existing = fs.files().stat(name, true);
        if (existing.isPresent() && existing.get().isDirectory()) {
            throw new java.nio.file.FileSystemException(name, null, "is a directory");
        }
        if (write && options.contains(StandardOpenOption.CREATE_NEW) && existing.isPresent()) {
            throw new FileAlreadyExistsException(name);
        }
        boolean create = options.contains(StandardOpenOption.CREATE) || options.contains(StandardOpenOption.CREATE_NEW);
        if (existing.isEmpty() && !(write && create)) {
            throw new NoSuchFileException(name);
        }
        boolean load = existing.isPresent() && !(write && options.contains(StandardOpenOption.TRUNCATE_EXISTING));
        SeekableByteChannel channel = SpooledFileChannel.open(fs.files(), name, load, write, append, fs.stats()::clear);
        if (write) {
            fs.stats().clear();
        }
        return channel;
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
            throws IOException {
        String name = containerName(dir);
        ContainerFileSystem fs = fs(dir);
        List<Path> entries = new ArrayList<>();
        ContainerPath base = (ContainerPath) dir;
        for (ContainerFiles.Entry e : fs.files().list(name)) {
            ContainerPath child = base.resolve(e.name());
            fs.stats().put(containerName(child), e.stat());
            if (filter.accept(child)) {
                entries.add(child);
            }
        }
        return new DirectoryStream<>() {
            private boolean iterated;

            @Override
            public Iterator<Path> iterator() {
                if (iterated) {
                    throw new IllegalStateException("a directory stream iterates once");
                }
                iterated = true;
                return entries.iterator();
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
        fs(dir).stats().clear();
        fs(dir).files().createDirectory(containerName(dir));
    }

    @Override
    public void delete(Path path) throws IOException {
        fs(path).stats().clear();
        fs(path).files().delete(containerName(path));
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) {
        throw new UnsupportedOperationException("copying inside the container is not offered: download and upload");
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
        fs(source).stats().clear();
        fs(source).files().rename(containerName(source), containerName(target), Arrays.asList(options).contains(StandardCopyOption.REPLACE_EXISTING));
    }

    @Override
    public boolean isSameFile(Path path, Path path2) {
        return containerName(path).equals(containerName(path2)) && fs(path) == fs(path2);
    }

    @Override
    public boolean isHidden(Path path) {
        return path.getFileName() != null && path.getFileName().toString().startsWith(".");
    }

    @Override
    public FileStore getFileStore(Path path) {
        throw new UnsupportedOperationException("no file store information for container files");
    }

    /** Only existence is checked: the container's own permission checks apply when the operation runs. */
    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
        stat(path, true);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
        if (type == BasicFileAttributeView.class || type == PosixFileAttributeView.class) {
            return (V) new View(path, follow(options));
        }
        return null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options)
            throws IOException {
        if (type == BasicFileAttributes.class || type == PosixFileAttributes.class) {
            return (A) new ContainerFileAttributes(stat(path, follow(options)));
        }
        throw new UnsupportedOperationException("no attributes of type " + type.getName() + " on container files");
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) throws IOException {
        int colon = attributes.indexOf(':');
        String view = colon < 0 ? "basic" : attributes.substring(0, colon);
        String names = colon < 0 ? attributes : attributes.substring(colon + 1);
        Map<String, Object> all = new ContainerFileAttributes(stat(path, follow(options))).view(view);
        if (names.equals("*")) {
            return all;
        }
        Map<String, Object> some = new LinkedHashMap<>();
        for (String n : names.split(",")) {
            if (!all.containsKey(n)) {
                throw new IllegalArgumentException("no attribute '" + n + "' in view '" + view + "'");
            }
            some.put(n, all.get(n));
        }
        return some;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
        String name = attribute.contains(":") ? attribute.substring(attribute.indexOf(':') + 1) : attribute;
        View view = new View(path, follow(options));
        switch (name) {
            case "permissions" -> view.setPermissions((Set<PosixFilePermission>) value);
            case "lastModifiedTime" -> view.setTimes((FileTime) value, null, null);
            case "lastAccessTime", "creationTime" -> { } // the container keeps its own; SFTP sends them with mtime
            default -> throw new UnsupportedOperationException("attribute '" + attribute + "' cannot be set on container files");
        }
    }

    /** The attribute view: reads by stat, sets permissions by chmod and the modification time by touch. */
    private final class View implements PosixFileAttributeView {
        private final Path path;
        private final boolean follow;

        View(Path path, boolean follow) {
            this.path = path;
            this.follow = follow;
        }

        @Override
        public String name() {
            return "posix";
        }

        @Override
        public PosixFileAttributes readAttributes() throws IOException {
            return new ContainerFileAttributes(stat(path, follow));
        }

        @Override
        public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime) throws IOException {
            if (lastModifiedTime != null) {
                fs(path).stats().clear();
                fs(path).files().setModifiedTime(containerName(path), lastModifiedTime.toMillis() / 1000);
            }
        }

        @Override
        public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
            fs(path).stats().clear();
            fs(path).files().chmod(containerName(path), ContainerFileAttributes.mode(perms));
        }

        @Override
        public UserPrincipal getOwner() throws IOException {
            return readAttributes().owner();
        }

        @Override
        public void setOwner(UserPrincipal owner) {
            throw new UnsupportedOperationException("changing owners of container files is not offered");
        }

        @Override
        public void setGroup(GroupPrincipal group) {
            throw new UnsupportedOperationException("changing groups of container files is not offered");
        }
    }
}
