package dev.cloche.linux;

import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.GardenException;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.image.Digest;
import dev.cloche.image.ImageReference;
import dev.cloche.image.ImageSources;
import dev.cloche.image.RegistryPolicy;
import dev.cloche.image.ResolvedImage;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.sys.TestShell;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.testkit.RootBackendExtension;
import dev.cloche.testkit.registry.LocalRegistry;
import dev.cloche.testkit.registry.TestImages;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Images for real: a Debian docker-registry on loopback seeded with images umoci and skopeo built from the test
 * rootfs, pulled, extracted and stacked by the Linux backend; OCI layouts and tarballs from the host; hostile layers.
 */
class LinuxBackendImagesIT {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-images")
            .withoutNetwork().build();

    private static LocalRegistry registry;
    private static TestImages images;

    @BeforeAll
    static void seed() {
        registry = LocalRegistry.start();
        images = TestImages.fromDefaultRootfs();
        for (String tag : List.of(TestImages.LAYERED, TestImages.PATH_ENV, TestImages.USER)) {
            images.push(registry, tag, "it/" + tag);
        }
        images.push(registry, TestImages.BASE, "it/zstd", TestImages.Format.DOCKER_V2S2, TestImages.Compression.ZSTD);
    }

    @AfterAll
    static void stop() {
        if (registry != null) registry.close();
        if (images != null) images.close();
    }

    private static String ref(String repo, String tag) {
        return "docker://" + registry.address() + "/" + repo + "#" + tag;
    }

    private static BackendContainer create(String prefix, String image, boolean privileged) {
        return ROOT.create(ContainerSpec.withHandle(ROOT.handle(prefix)).withImage(ImageRef.of(image)).withPrivileged(privileged));
    }

    /**
     * What the host holds of any container of this class (the class's own process tmpfs and cgroup parent aside),
     * once destroyed containers' last processes have been reaped (a few seconds at most).
     */
    private static List<String> containerLeftovers() throws IOException {
        long deadline = System.currentTimeMillis() + 5_000;
        List<String> found = leftoversNow();
        while (!found.isEmpty() && System.currentTimeMillis() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            found = leftoversNow();
        }
        return found;
    }

    private static List<String> leftoversNow() throws IOException {
        List<String> out = new ArrayList<>(ROOT.leftovers().stream()
                .filter(l -> !l.endsWith("/" + ROOT.cgroupParent()) && !l.equals("mount " + ROOT.depot().resolve("processes")))
                .toList());
        try (var tmp = Files.list(ROOT.depot().resolve("images/tmp"))) {
            tmp.forEach(t -> out.add("image store temp " + t));
        }
        return out;
    }

    private static String out(BackendContainer c, String script) throws Exception {
        Runs.Result r = run(c, ProcessSpec.of("sh", "-c", script));
        assertThat(r.exit()).as(script + ": " + r.stderr()).isZero();
        return r.stdout();
    }

    @Test
    void aLayeredImageWithWhiteoutsIsStackedForUnprivilegedAndPrivilegedContainers() throws Exception {
        for (boolean privileged : List.of(false, true)) {
            BackendContainer c = create("layered", ref("it/layered", TestImages.LAYERED), privileged);
            assertThat(out(c, "cat " + TestImages.ADDED)).isEqualTo(TestImages.ADDED_CONTENT);
            assertThat(out(c, "test -e " + TestImages.DELETED + " && echo there || echo gone")).isEqualTo("gone\n");
            assertThat(out(c, "test -e " + TestImages.LATER + " && echo there")).isEqualTo("there\n");
            assertThat(out(c, "ls " + TestImages.HIDDEN_DIR)).as("an opaque dir hides what lower layers had")
                    .isEqualTo("c.txt\n");
            assertThat(out(c, "stat -c %u /bin/busybox")).as("root's files belong to container root").isEqualTo("0\n");
            assertThat(out(c, "echo new > /cloche/added.txt && cat /cloche/added.txt")).isEqualTo("new\n");
            ROOT.destroy(c);
        }
        BackendContainer again = create("layered", ref("it/layered", TestImages.LAYERED), false);
        assertThat(out(again, "cat " + TestImages.ADDED)).as("a container's writes never reach the shared layers")
                .isEqualTo(TestImages.ADDED_CONTENT);
        ROOT.destroy(again);
    }

    @Test
    void theImagesEnvUserAndWorkingDirAreProcessDefaults() throws Exception {
        BackendContainer env = create("env", ref("it/path-env", TestImages.PATH_ENV), false);
        assertThat(out(env, TestImages.PATH_PROGRAM)).isEqualTo(TestImages.PATH_PROGRAM_OUTPUT + "\n");
        assertThat(run(env, ProcessSpec.of(TestImages.PATH_PROGRAM)).stdout()).as("found through the image's PATH")
                .isEqualTo(TestImages.PATH_PROGRAM_OUTPUT + "\n");
        assertThat(out(env, "echo $CLOCHE_IMAGE")).isEqualTo("path-env\n");
        ROOT.destroy(env);
        BackendContainer overridden = ROOT.create(ContainerSpec.withHandle(ROOT.handle("env")).withImage(
                ImageRef.of(ref("it/path-env", TestImages.PATH_ENV))).withEnv(List.of("CLOCHE_IMAGE=spec")));
        assertThat(out(overridden, "echo $CLOCHE_IMAGE")).as("the spec's env over the image's").isEqualTo("spec\n");
        ROOT.destroy(overridden);

        BackendContainer user = create("user", ref("it/user", TestImages.USER), false);
        assertThat(out(user, "id -u; pwd")).isEqualTo(TestImages.USER_ID + "\n" + TestImages.USER_HOME + "\n");
        assertThat(run(user, ProcessSpec.of("id", "-u").withUser("root")).stdout()).isEqualTo("0\n");
        ROOT.destroy(user);
    }

    @Test
    void diskLimitsOfScopeTotalCountTheImageAndMetricsReportBoth() throws Exception {
        String image = ref("it/layered", TestImages.LAYERED);
        ContainerSpec tiny = ContainerSpec.withHandle(ROOT.handle("disk")).withImage(ImageRef.of(image))
                .withLimits(Limits.NONE.withDisk(new DiskLimits(0, 0, 0, 1 << 20, DiskLimits.DiskLimitScope.TOTAL)));
        assertThatThrownBy(() -> ROOT.create(tiny)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("smaller than the image");
        BackendContainer c = create("disk", image, false);
        out(c, "dd if=/dev/zero of=/written bs=1M count=2 2>/dev/null");
        var disk = c.metrics().disk();
        assertThat(disk.exclusiveBytesUsed()).isBetween(2L << 20, 3L << 20);
        assertThat(disk.totalBytesUsed() - disk.exclusiveBytesUsed()).as("the image's own size").isGreaterThan(1L << 20);
        ROOT.destroy(c);
    }

    @Test
    void zstdLayersDockerManifestsOciLayoutsAndTarballsWork() throws Exception {
        BackendContainer zstd = create("zstd", ref("it/zstd", TestImages.BASE), false);
        assertThat(out(zstd, "echo ok")).isEqualTo("ok\n");
        ROOT.destroy(zstd);

        BackendContainer oci = create("oci", "oci://" + images.ociLayout() + "#" + TestImages.LAYERED, false);
        assertThat(out(oci, "cat " + TestImages.ADDED)).isEqualTo(TestImages.ADDED_CONTENT);
        ROOT.destroy(oci);

        Path tarball = Files.createTempFile("cloche-rootfs-", ".tar");
        try {
            TestShell.check(List.of("tar", "-C", System.getProperty("cloche.rootfs", "/var/lib/cloche/rootfs"), "-cf",
                    tarball.toString(), "."));
            BackendContainer tar = create("tar", tarball.toString(), false);
            assertThat(out(tar, "echo from a tarball")).isEqualTo("from a tarball\n");
            ROOT.destroy(tar);
        } finally {
            Files.deleteIfExists(tarball);
        }
    }

    @Test
    void missingTagsWrongPasswordsAndUnknownFormsAreClearErrorsThatLeaveNothing() throws IOException {
        assertThatThrownBy(() -> create("missing", ref("it/layered", "no-such-tag"), false))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("no-such-tag");
        assertThatThrownBy(() -> create("form", "ftp://example/x", false))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("docker://");
        try (LocalRegistry locked = LocalRegistry.startWithAuth("alice", "right-password")) {
            images.push(locked, TestImages.BASE, "private/base");
            String image = "docker://" + locked.address() + "/private/base#" + TestImages.BASE;
            ContainerSpec wrong = ContainerSpec.withHandle(ROOT.handle("auth"))
                    .withImage(new ImageRef(image, "alice", "wrong-password"));
            assertThatThrownBy(() -> ROOT.create(wrong)).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("alice").satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-password"));
            assertThatThrownBy(() -> ROOT.create(ContainerSpec.withHandle(ROOT.handle("auth")).withImage(ImageRef.of(image))))
                    .isInstanceOf(InvalidRequestException.class);
            BackendContainer ok = ROOT.create(ContainerSpec.withHandle(ROOT.handle("auth"))
                    .withImage(new ImageRef(image, "alice", "right-password")));
            ROOT.destroy(ok);
        }
        assertThat(containerLeftovers()).isEmpty();
    }

    @Test
    void concurrentCreatesOfOneImageAllSucceed() throws Exception {
        images.push(registry, TestImages.LAYERED, "it/concurrent");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<BackendContainer>> made = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                boolean privileged = i % 2 == 0;
                Callable<BackendContainer> c = () -> create("conc", ref("it/concurrent", TestImages.LAYERED), privileged);
                made.add(pool.submit(c));
            }
            for (Future<BackendContainer> f : made) {
                BackendContainer c = f.get();
                assertThat(out(c, "cat " + TestImages.ADDED)).isEqualTo(TestImages.ADDED_CONTENT);
                ROOT.destroy(c);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theStoreSurvivesARestartAndPruneNeverTakesAnImageInUse() throws Exception {
        images.push(registry, TestImages.LAYERED, "it/held");
        String image = ref("it/held", TestImages.LAYERED);
        String listed = registry.address() + "/it/held:" + TestImages.LAYERED;
        BackendContainer c = create("held", image, false);
        ContainerBackend restarted = ROOT.reopen();
        // the daemon restores before it serves: the restored container holds its image again
        BackendContainer back = restarted.restore().stream().filter(r -> r.handle().equals(c.handle())).findFirst()
                .orElseThrow().container().orElseThrow();
        assertThat(restarted.images()).anySatisfy(i -> {
            assertThat(i.reference()).isEqualTo(listed);
            assertThat(i.holders()).containsExactly(c.handle());
            assertThat(i.layers()).isEqualTo(4);
        });
        restarted.pruneImages();
        assertThat(out(back, "cat " + TestImages.ADDED)).isEqualTo(TestImages.ADDED_CONTENT);
        assertThat(restarted.images()).as("a held image survives prune").anyMatch(i -> i.reference().equals(listed));
        ROOT.destroy(back);
        assertThat(restarted.images()).filteredOn(i -> i.reference().equals(listed)).allMatch(i -> i.holders().isEmpty());
        assertThat(restarted.pruneImages().images()).isPositive();
        assertThat(restarted.images()).isEmpty();
        BackendContainer pulledAgain = create("held", image, false);
        assertThat(out(pulledAgain, "cat " + TestImages.LATER + " >/dev/null && echo ok")).isEqualTo("ok\n");
        ROOT.destroy(pulledAgain);
    }

    @Test
    void aCorruptedBlobIsADigestErrorThatCachesNothingAndTheNextCreateRetries() throws Exception {
        try (LocalRegistry own = LocalRegistry.start(); ImageSources sources = new ImageSources(
                new RegistryPolicy(RegistryPolicy.DOCKER_HUB, Set.of()))) {
            images.push(own, TestImages.LAYERED, "it/corrupt");
            String image = "docker://" + own.address() + "/it/corrupt#" + TestImages.LAYERED;
            ResolvedImage resolved = sources.open(ImageReference.parse(ImageRef.of(image), RegistryPolicy.DOCKER_HUB)).resolve();
            Path blob = own.blobFile(resolved.layers().getLast().digest().toString());
            byte[] good = Files.readAllBytes(blob);
            byte[] bad = good.clone();
            bad[bad.length / 2] ^= 0x5a;
            Files.write(blob, bad);
            // layers are stored by content: what earlier tests pulled would be found without reading the bad blob
            ROOT.backend().pruneImages();
            long before = ROOT.backend().images().size();
            assertThatThrownBy(() -> create("corrupt", image, false)).isInstanceOf(GardenException.class)
                    .hasMessageContaining("sha256:");
            assertThat(ROOT.backend().images()).hasSize((int) before);
            Files.write(blob, good);
            BackendContainer c = create("corrupt", image, false);
            assertThat(out(c, "cat " + TestImages.ADDED)).isEqualTo(TestImages.ADDED_CONTENT);
            ROOT.destroy(c);
        }
    }

    @Test
    void hostileLayersAreRefusedAndLeaveNothingOnTheHost() throws Exception {
        Path marker = Path.of("/tmp/cloche-hostile-" + ProcessHandle.current().pid());
        Path layout = Files.createTempDirectory("cloche-hostile-layout-");
        try {
            for (List<LayerEntry> entries : List.of(
                    List.of(LayerEntry.file("../../../../.." + marker)),
                    List.of(LayerEntry.file(marker.toString())),
                    List.of(LayerEntry.symlink("escape", marker.getParent().toString()),
                            LayerEntry.file("escape/" + marker.getFileName())),
                    List.of(LayerEntry.hardLink("h", "../../../../.." + marker)))) {
                writeLayout(layout, entries);
                assertThatThrownBy(() -> create("hostile", "oci://" + layout + "#hostile", false))
                        .isInstanceOf(GardenException.class).isNotInstanceOf(dev.cloche.api.UnrecoverableException.class);
                assertThat(marker).doesNotExist();
            }
            assertThat(containerLeftovers()).isEmpty();
        } finally {
            Trees.deleteRecursively(layout);
            Files.deleteIfExists(marker);
        }
    }

    /** A tar entry written as it is: absolute names and ".." kept. */
    private record LayerEntry(String name, byte type, String link) {
        static LayerEntry file(String name) {
            return new LayerEntry(name, org.apache.commons.compress.archivers.tar.TarConstants.LF_NORMAL, "");
        }

        static LayerEntry symlink(String name, String target) {
            return new LayerEntry(name, org.apache.commons.compress.archivers.tar.TarConstants.LF_SYMLINK, target);
        }

        static LayerEntry hardLink(String name, String target) {
            return new LayerEntry(name, org.apache.commons.compress.archivers.tar.TarConstants.LF_LINK, target);
        }
    }

    /** An OCI layout with one image, tagged "hostile", whose only layer holds {@code entries}. */
    private static void writeLayout(Path layout, List<LayerEntry> entries) throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            byte[] content = "pwned\n".getBytes(StandardCharsets.UTF_8);
            for (LayerEntry e : entries) {
                TarArchiveEntry t = new TarArchiveEntry(e.name(), e.type(), true);
                if (!e.link().isEmpty()) t.setLinkName(e.link());
                if (e.type() == org.apache.commons.compress.archivers.tar.TarConstants.LF_NORMAL) t.setSize(content.length);
                out.putArchiveEntry(t);
                if (e.type() == org.apache.commons.compress.archivers.tar.TarConstants.LF_NORMAL) out.write(content);
                out.closeArchiveEntry();
            }
        }
        byte[] layer = tar.toByteArray();
        Trees.deleteRecursively(layout);
        Files.createDirectories(layout.resolve("blobs/sha256"));
        Digest layerDigest = blob(layout, layer);
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\","
                + "\"diff_ids\":[\"" + layerDigest + "\"]}}").getBytes(StandardCharsets.UTF_8);
        Digest configDigest = blob(layout, config);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest
                + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                + "\"digest\":\"" + layerDigest + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
        Digest manifestDigest = blob(layout, manifest);
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                + "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" + manifestDigest + "\",\"size\":"
                + manifest.length + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"hostile\"}}]}");
    }

    private static Digest blob(Path layout, byte[] content) throws IOException {
        Digest d = Digest.sha256(content);
        Files.write(layout.resolve("blobs/sha256/" + d.hex()), content);
        return d;
    }
}
