package dev.cloche.console.files;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The NIO mapping over an in-memory {@link ContainerFiles} (the real one runs shell tools in a container: ConsoleFilesIT). */
class ContainerFileSystemTest {

    /** Files as a map from absolute path to bytes (null = a directory). */
    static final class MemoryFiles implements ContainerFiles {
        final Map<String, byte[]> tree = new TreeMap<>(Map.of("/", new byte[0]));
        final AtomicInteger stats = new AtomicInteger();

        MemoryFiles() {
            tree.put("/", null);
        }

        private static String parent(String p) {
            int i = p.lastIndexOf('/');
            return i <= 0 ? "/" : p.substring(0, i);
        }

        private FileStat statOf(String p) {
            byte[] b = tree.get(p);
            return b == null ? new FileStat(0040755, 0, 0, 0, 1, 2) : new FileStat(0100644, b.length, 1000, 1000, 1, 2);
        }

        @Override
        public Optional<FileStat> stat(String path, boolean follow) {
            stats.incrementAndGet();
            return tree.containsKey(path) ? Optional.of(statOf(path)) : Optional.empty();
        }

        @Override
        public List<Entry> list(String directory) throws IOException {
            if (!tree.containsKey(directory)) throw new NoSuchFileException(directory);
            List<Entry> out = new ArrayList<>();
            for (String p : tree.keySet()) {
                if (!p.equals("/") && parent(p).equals(directory)) out.add(new Entry(p.substring(p.lastIndexOf('/') + 1), statOf(p)));
            }
            return out;
        }

        @Override
        public void read(String path, OutputStream to) throws IOException {
            if (!tree.containsKey(path)) throw new NoSuchFileException(path);
            to.write(tree.get(path));
        }

        @Override
        public void write(String path, InputStream from) throws IOException {
            if (!tree.containsKey(parent(path))) throw new NoSuchFileException(path);
            tree.put(path, from.readAllBytes());
        }

        @Override
        public void createDirectory(String path) throws IOException {
            if (tree.containsKey(path)) throw new FileAlreadyExistsException(path);
            tree.put(path, null);
        }

        @Override
        public void delete(String path) throws IOException {
            if (!tree.containsKey(path)) throw new NoSuchFileException(path);
            if (tree.keySet().stream().anyMatch(p -> p.startsWith(path + "/"))) throw new DirectoryNotEmptyException(path);
            tree.remove(path);
        }

        @Override
        public void rename(String from, String to, boolean replace) throws IOException {
            if (!tree.containsKey(from)) throw new NoSuchFileException(from);
            if (!replace && tree.containsKey(to)) throw new FileAlreadyExistsException(to);
            tree.put(to, tree.remove(from));
        }

        @Override
        public void chmod(String path, int mode) {}

        @Override
        public void setModifiedTime(String path, long epochSeconds) {}
    }

    private final MemoryFiles files = new MemoryFiles();
    private final ContainerFileSystem fs = new ContainerFileSystemProvider().newFileSystem(files);

    @Test
    void writesLandInTheContainerOnCloseAndReadBackAtAnyOffset() throws IOException {
        Path f = fs.getPath("/a.txt");
        try (SeekableByteChannel c = Files.newByteChannel(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap("hello world".getBytes(StandardCharsets.UTF_8)));
            assertThat(files.tree).doesNotContainKey("/a.txt");
        }
        assertThat(files.tree.get("/a.txt")).asString(StandardCharsets.UTF_8).isEqualTo("hello world");
        try (SeekableByteChannel c = Files.newByteChannel(f)) {
            ByteBuffer b = ByteBuffer.allocate(5);
            c.position(6).read(b);
            assertThat(new String(b.array(), StandardCharsets.UTF_8)).isEqualTo("world");
        }
        // writing without truncation keeps the bytes not overwritten
        try (SeekableByteChannel c = Files.newByteChannel(f, StandardOpenOption.WRITE)) {
            c.write(ByteBuffer.wrap("J".getBytes(StandardCharsets.UTF_8)));
        }
        assertThat(files.tree.get("/a.txt")).asString(StandardCharsets.UTF_8).isEqualTo("Jello world");
        assertThatThrownBy(() -> Files.newByteChannel(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> Files.newByteChannel(fs.getPath("/missing"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aListingAnswersTheAttributeReadsThatFollowIt() throws IOException {
        files.tree.put("/d", null);
        files.tree.put("/d/x", new byte[3]);
        files.tree.put("/d/y", new byte[4]);
        int before = files.stats.get();
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(fs.getPath("/d"))) {
            for (Path p : s) {
                names.add(p.getFileName() + ":" + Files.readAttributes(p, PosixFileAttributes.class).size());
            }
        }
        assertThat(names).containsExactly("x:3", "y:4");
        assertThat(files.stats.get()).as("no stat per entry").isEqualTo(before);
        Map<String, Object> posix = Files.readAttributes(fs.getPath("/d/x"), "posix:*");
        assertThat(posix.get("permissions")).isEqualTo(PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(Files.readAttributes(fs.getPath("/d/x"), "unix:uid,gid")).containsEntry("uid", 1000).containsEntry("gid", 1000);
        // a change forgets the listing: the new size is read from the container
        Files.write(fs.getPath("/d/x"), new byte[10]);
        assertThat(Files.size(fs.getPath("/d/x"))).isEqualTo(10);
    }

    @Test
    void directoriesAndRenamesMapToTheContainersOperations() throws IOException {
        Files.createDirectory(fs.getPath("/d"));
        Files.write(fs.getPath("/d/f"), new byte[1]);
        assertThatThrownBy(() -> Files.delete(fs.getPath("/d"))).isInstanceOf(DirectoryNotEmptyException.class);
        Files.write(fs.getPath("/g"), new byte[2]);
        assertThatThrownBy(() -> Files.move(fs.getPath("/d/f"), fs.getPath("/g"))).isInstanceOf(FileAlreadyExistsException.class);
        Files.move(fs.getPath("/d/f"), fs.getPath("/g"), StandardCopyOption.REPLACE_EXISTING);
        assertThat(files.tree.get("/g")).hasSize(1);
        Files.delete(fs.getPath("/d"));
        assertThat(files.tree).doesNotContainKey("/d");
        assertThat(fs.getPath("/g").toRealPath().toString()).isEqualTo("/g");
        assertThat(fs.getPath("/d/../g").toRealPath().toString()).isEqualTo("/g");
        assertThatThrownBy(() -> fs.getPath("/g").toFile()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aPathClimbingAboveTheContainersRootIsRefused() throws IOException {
        for (String bad : List.of("..", "/..", "/../etc/passwd", "/tmp/../../etc", "a/../../b", "/./../x")) {
            assertThatThrownBy(() -> ContainerSftpAccessor.refuseClimb(bad)).as(bad).isInstanceOf(AccessDeniedException.class);
        }
        for (String ok : List.of("/", ".", "/tmp/..", "/a/b/../../c", "a/..", "/x/./y/..", "")) {
            ContainerSftpAccessor.refuseClimb(ok);
        }
    }

    @Test
    void theStatLineOfBusyboxIsParsed() {
        FileStat s = FileStat.parse("81a4 12 1000 100 1700000000 1700000001\n");
        assertThat(s).isEqualTo(new FileStat(0100644, 12, 1000, 100, 1_700_000_000L, 1_700_000_001L));
        assertThat(s.isRegularFile()).isTrue();
        assertThat(FileStat.parse("41ed 4096 0 0 1 2").isDirectory()).isTrue();
        assertThat(FileStat.parse("a1ff 7 0 0 1 2").isSymbolicLink()).isTrue();
        assertThat(ContainerFileAttributes.mode(PosixFilePermissions.fromString("rwxr-x--x"))).isEqualTo(0751);
    }
}
