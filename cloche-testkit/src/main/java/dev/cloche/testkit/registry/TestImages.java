package dev.cloche.testkit.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test images built from a rootfs directory with Debian's {@code umoci}, in one OCI layout (tags {@link #BASE},
 * {@link #LAYERED}, {@link #PATH_ENV}, {@link #USER}), and pushed to a {@link LocalRegistry} with {@code skopeo}.
 * The layout is built once, on first use; {@link #close()} deletes it.
 */
public final class TestImages implements AutoCloseable {
    /** The rootfs as one layer. */
    public static final String BASE = "base";
    /**
     * Four layers: the rootfs; {@link #ADDED}, {@link #DELETED} and {@link #HIDDEN_DIR}{@code /a.txt,b.txt}; then
     * {@link #DELETED} removed by a whiteout and {@link #LATER} added; then an opaque whiteout on {@link #HIDDEN_DIR}
     * with only {@link #OPAQUE_KEPT} below it.
     */
    public static final String LAYERED = "layered";
    /** The rootfs plus {@link #PATH_PROGRAM} in {@code /opt/cloche/bin}, which only the image's {@link #IMAGE_PATH} finds. */
    public static final String PATH_ENV = "path-env";
    /** The rootfs plus the user {@link #USER_NAME} ({@link #USER_ID}), the image's {@code User}, with {@link #USER_HOME} as WorkingDir. */
    public static final String USER = "user";

    public static final String ADDED = "/cloche/added.txt";
    public static final String ADDED_CONTENT = "added in layer 2\n";
    public static final String DELETED = "/cloche/doomed.txt";
    public static final String LATER = "/cloche/later.txt";
    public static final String HIDDEN_DIR = "/cloche/dir";
    public static final String OPAQUE_KEPT = "/cloche/dir/c.txt";
    public static final String IMAGE_PATH = "/opt/cloche/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    public static final String PATH_PROGRAM = "cloche-hello";
    public static final String PATH_PROGRAM_OUTPUT = "hello from the image's PATH";
    public static final String IMAGE_ENV = "CLOCHE_IMAGE=path-env";
    public static final String USER_NAME = "app";
    public static final int USER_ID = 1000;
    public static final String USER_HOME = "/home/app";

    /** The manifest format a push writes. */
    public enum Format { OCI, DOCKER_V2S2 }

    /** How a push compresses layers. */
    public enum Compression { GZIP, ZSTD }

    private final Path rootfs;
    private final Path work;
    private Path layout;

    public TestImages(Path rootfs) {
        this.rootfs = rootfs;
        try {
            this.work = Files.createTempDirectory("cloche-images-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot make a directory for test images", e);
        }
    }

    /** From {@code -Dcloche.rootfs} (the build passes make's), else /var/lib/cloche/rootfs. */
    public static TestImages fromDefaultRootfs() {
        return new TestImages(Path.of(System.getProperty("cloche.rootfs", "/var/lib/cloche/rootfs")));
    }

    /** The umoci layout holding every tag, built on first call. */
    public synchronized Path ociLayout() {
        if (layout == null) layout = build();
        return layout;
    }

    /** Every tag of the layout. */
    public static final List<String> TAGS = List.of(BASE, LAYERED, PATH_ENV, USER);

    /**
     * Pushes every tag as {@code cloche/<tag>:<tag>} (OCI, gzip) and returns their Garden image URIs by tag
     * ({@code docker://127.0.0.1:<port>/cloche/<tag>#<tag>}).
     */
    public Map<String, String> pushAll(LocalRegistry registry) {
        Map<String, String> uris = new LinkedHashMap<>();
        for (String tag : TAGS) {
            push(registry, tag, "cloche/" + tag);
            uris.put(tag, "docker://" + registry.address() + "/cloche/" + tag + "#" + tag);
        }
        return uris;
    }

    /** Pushes a tag as {@code <registry>/<repository>:<tag>}, OCI with gzip layers. */
    public void push(LocalRegistry registry, String tag, String repository) {
        push(registry, tag, repository, Format.OCI, Compression.GZIP);
    }

    public void push(LocalRegistry registry, String tag, String repository, Format format, Compression compression) {
        List<String> argv = new ArrayList<>(List.of("skopeo", "--insecure-policy", "copy", "--quiet", "--dest-tls-verify=false",
                "--format", format == Format.OCI ? "oci" : "v2s2"));
        // without --dest-compress skopeo keeps umoci's gzip layers as they are
        if (compression == Compression.ZSTD) argv.addAll(List.of("--dest-compress", "--dest-compress-format", "zstd"));
        registry.credentials().ifPresent(c -> argv.addAll(List.of("--dest-creds", c.username() + ":" + c.password())));
        argv.add("oci:" + ociLayout() + ":" + tag);
        argv.add("docker://" + registry.address() + "/" + repository + ":" + tag);
        Programs.run(argv);
    }

    @Override
    public void close() {
        Programs.deleteTree(work);
    }

    private Path build() {
        Path l = work.resolve("layout");
        try {
            Programs.run("umoci", "init", "--layout", l.toString());
            Programs.run("umoci", "new", "--image", l + ":" + BASE);
            change(l, BASE, root -> Programs.run("cp", "-a", rootfs + "/.", root.toString()));

            Programs.run("umoci", "tag", "--image", l + ":" + BASE, LAYERED);
            change(l, LAYERED, root -> {
                write(root, ADDED, ADDED_CONTENT);
                write(root, DELETED, "deleted in layer 3\n");
                write(root, HIDDEN_DIR + "/a.txt", "hidden by an opaque whiteout\n");
                write(root, HIDDEN_DIR + "/b.txt", "hidden by an opaque whiteout\n");
            });
            change(l, LAYERED, root -> {
                Files.delete(root.resolve(DELETED.substring(1)));
                write(root, LATER, "added in layer 3\n");
            });
            // umoci writes no opaque whiteouts itself, so the fourth layer is a tar made here and added verbatim
            Path staging = work.resolve("opaque");
            write(staging, HIDDEN_DIR + "/.wh..wh..opq", "");
            write(staging, OPAQUE_KEPT, "added in layer 4, over an opaque whiteout\n");
            Path tar = work.resolve("opaque.tar");
            Programs.run("tar", "--numeric-owner", "--owner=0", "--group=0", "-C", staging.toString(), "-cf", tar.toString(), "cloche");
            Programs.run("umoci", "raw", "add-layer", "--image", l + ":" + LAYERED, tar.toString());

            Programs.run("umoci", "tag", "--image", l + ":" + BASE, PATH_ENV);
            change(l, PATH_ENV, root -> {
                Path program = write(root, "/opt/cloche/bin/" + PATH_PROGRAM, "#!/bin/sh\necho \"" + PATH_PROGRAM_OUTPUT + "\"\n");
                Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
            });
            Programs.run("umoci", "config", "--image", l + ":" + PATH_ENV, "--config.env", "PATH=" + IMAGE_PATH,
                    "--config.env", IMAGE_ENV);

            Programs.run("umoci", "tag", "--image", l + ":" + BASE, USER);
            change(l, USER, root -> {
                append(root, "/etc/passwd", USER_NAME + ":x:" + USER_ID + ":" + USER_ID + ":" + USER_NAME + ":" + USER_HOME + ":/bin/sh\n");
                append(root, "/etc/group", USER_NAME + ":x:" + USER_ID + ":\n");
                Path home = root.resolve(USER_HOME.substring(1));
                Files.createDirectories(home);
                Programs.run("chown", USER_ID + ":" + USER_ID, home.toString());
            });
            Programs.run("umoci", "config", "--image", l + ":" + USER, "--config.user", USER_NAME, "--config.workingdir", USER_HOME);
            Programs.run("umoci", "gc", "--layout", l.toString());
            return l;
        } catch (IOException e) {
            throw new IllegalStateException("cannot build the test images: " + e.getMessage(), e);
        }
    }

    private interface RootfsChange {
        void apply(Path root) throws IOException;
    }

    /** One new layer on a tag: unpack, change the rootfs, repack (umoci records the difference, deletions as whiteouts). */
    private void change(Path l, String tag, RootfsChange change) throws IOException {
        Path bundle = work.resolve("bundle");
        Programs.deleteTree(bundle);
        Programs.run("umoci", "unpack", "--image", l + ":" + tag, bundle.toString());
        change.apply(bundle.resolve("rootfs"));
        Programs.run("umoci", "repack", "--image", l + ":" + tag, bundle.toString());
        Programs.deleteTree(bundle);
    }

    private static Path write(Path root, String path, String content) throws IOException {
        Path p = root.resolve(path.substring(1));
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        return p;
    }

    private static void append(Path root, String path, String line) throws IOException {
        Path p = root.resolve(path.substring(1));
        Files.writeString(p, Files.exists(p) ? Files.readString(p) + line : line);
    }
}
