package dev.cloche.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdInputStream;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.image.manifest.MediaTypes;
import dev.cloche.testkit.registry.LocalRegistry;
import dev.cloche.testkit.registry.TestImages;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The registry client and the OCI layout source against Debian's real docker-registry and images built by umoci. */
class RegistryIT {
    private static TestImages images;
    private static LocalRegistry registry;
    private static ImageSources sources;

    @BeforeAll
    static void start() {
        images = TestImages.fromDefaultRootfs();
        registry = LocalRegistry.start();
        images.pushAll(registry);
        // the same image as Docker schema 2 (Docker's media types) in a repository of its own
        images.push(registry, TestImages.PATH_ENV, "docker/path-env", TestImages.Format.DOCKER_V2S2, TestImages.Compression.GZIP);
        sources = new ImageSources(RegistryPolicy.DEFAULT);
    }

    @AfterAll
    static void stop() {
        if (sources != null) sources.close();
        if (registry != null) registry.close();
        if (images != null) images.close();
    }

    private static ImageSource source(String uri, String user, String password) {
        return sources.open(ImageReference.parse(new ImageRef(uri, user, password), RegistryPolicy.DOCKER_HUB));
    }

    private static ImageSource source(String uri) {
        return source(uri, "", "");
    }

    /** A layer read through the source (so verified) and decompressed: its diff id and its tar entries' names. */
    private record Layer(Digest diffId, List<String> entries) { }

    private static Layer read(ImageSource source, Descriptor d) throws IOException {
        MessageDigest sha = Digest.newSha256();
        List<String> entries = new ArrayList<>();
        try (InputStream blob = source.openBlob(d)) {
            InputStream plain = switch (MediaTypes.layerCompression(d.mediaType()).orElseThrow()) {
                case NONE -> blob;
                case GZIP -> new GZIPInputStream(blob);
                case ZSTD -> new ZstdInputStream(blob);
            };
            DigestInputStream hashed = new DigestInputStream(plain, sha);
            TarArchiveInputStream tar = new TarArchiveInputStream(hashed);
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) entries.add(e.getName());
            hashed.transferTo(OutputStream.nullOutputStream());
            // the rest of the blob, so the source verifies its digest at the end
            blob.transferTo(OutputStream.nullOutputStream());
        }
        return new Layer(new Digest("sha256", HexFormat.of().formatHex(sha.digest())), entries);
    }

    private static List<Layer> readAll(ImageSource source, ResolvedImage image) throws IOException {
        List<Layer> layers = new ArrayList<>();
        for (Descriptor d : image.layers()) layers.add(read(source, d));
        assertThat(layers).extracting(Layer::diffId).containsExactlyElementsOf(image.diffIds());
        return layers;
    }

    private static void assertLayered(List<Layer> layers) {
        assertThat(layers).hasSize(4);
        assertThat(layers.get(1).entries()).anyMatch(n -> n.endsWith("cloche/added.txt")).anyMatch(n -> n.endsWith("cloche/dir/a.txt"));
        assertThat(layers.get(2).entries()).anyMatch(n -> n.endsWith("cloche/.wh.doomed.txt")).anyMatch(n -> n.endsWith("cloche/later.txt"));
        assertThat(layers.get(3).entries()).anyMatch(n -> n.endsWith("cloche/dir/.wh..wh..opq")).anyMatch(n -> n.endsWith("cloche/dir/c.txt"));
    }

    @Test
    void aMultiLayerImageResolvesAndEveryLayerMatchesItsDiffId() throws IOException {
        ImageSource source = source("docker://" + registry.address() + "/cloche/layered#" + TestImages.LAYERED);
        ResolvedImage image = source.resolve();

        assertThat(image.layers()).extracting(Descriptor::mediaType).containsOnly(MediaTypes.OCI_LAYER_GZIP);
        assertLayered(readAll(source, image));

        ResolvedImage byDigest = source("docker://" + registry.address() + "/cloche/layered@" + image.manifestDigest()).resolve();
        assertThat(byDigest.manifestDigest()).isEqualTo(image.manifestDigest());
        assertThat(byDigest.layers()).isEqualTo(image.layers());
    }

    @Test
    void zstdLayersMatchTheirDiffIds() throws IOException {
        // a registry of its own: skopeo reuses gzip blobs a registry already has instead of recompressing them
        try (LocalRegistry own = LocalRegistry.start()) {
            images.push(own, TestImages.LAYERED, "cloche/zstd", TestImages.Format.OCI, TestImages.Compression.ZSTD);
            ImageSource source = source("docker://" + own.address() + "/cloche/zstd#" + TestImages.LAYERED);
            ResolvedImage image = source.resolve();

            assertThat(image.layers()).extracting(Descriptor::mediaType).containsOnly(MediaTypes.OCI_LAYER_ZSTD);
            assertLayered(readAll(source, image));
        }
    }

    @Test
    void aDockerSchema2ImageWithAnEnvThatSetsPath() throws IOException {
        ImageSource source = source("docker://" + registry.address() + "/docker/path-env:" + TestImages.PATH_ENV);
        ResolvedImage image = source.resolve();

        assertThat(image.layers()).extracting(Descriptor::mediaType).containsOnly(MediaTypes.DOCKER_LAYER_GZIP);
        assertThat(image.config().env()).contains("PATH=" + TestImages.IMAGE_PATH, TestImages.IMAGE_ENV);
        assertThat(readAll(source, image).getLast().entries()).anyMatch(n -> n.endsWith("opt/cloche/bin/" + TestImages.PATH_PROGRAM));
    }

    @Test
    void anImageWithAUserAndWorkingDir() {
        ResolvedImage image = source("docker://" + registry.address() + "/cloche/user#" + TestImages.USER).resolve();
        assertThat(image.config().user()).isEqualTo(TestImages.USER_NAME);
        assertThat(image.config().workingDir()).isEqualTo(TestImages.USER_HOME);
    }

    @Test
    void aMissingTagOrRepositoryIsAClearError() {
        assertThatThrownBy(() -> source("docker://" + registry.address() + "/cloche/layered#nope").resolve())
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("image " + registry.address() + "/cloche/layered:nope not found: no tag nope")
                .hasMessageContaining("on registry " + registry.address());
        // docker-registry 2.8 answers MANIFEST_UNKNOWN, not NAME_UNKNOWN, for a repository it never had
        assertThatThrownBy(() -> source("docker://" + registry.address() + "/cloche/absent#v1").resolve())
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("image " + registry.address() + "/cloche/absent:v1 not found: no tag v1 in repository cloche/absent"
                        + " on registry " + registry.address());
    }

    @Test
    void htpasswdAuthTakesTheRightPasswordAndRefusesAWrongOneClearly() throws IOException {
        try (LocalRegistry secured = LocalRegistry.startWithAuth("alice", "right-pw")) {
            images.push(secured, TestImages.USER, "private/user");
            String uri = "docker://" + secured.address() + "/private/user#" + TestImages.USER;

            ImageSource source = source(uri, "alice", "right-pw");
            ResolvedImage image = source.resolve();
            assertThat(image.config().user()).isEqualTo(TestImages.USER_NAME);
            readAll(source, image);

            assertThatThrownBy(() -> source(uri, "alice", "wrong-pw").resolve()).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("registry " + secured.address() + " refused the credentials for user alice")
                    .hasMessageNotContaining("wrong-pw");
            assertThatThrownBy(() -> source(uri).resolve()).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("needs credentials");
        }
    }

    @Test
    void bearerTokenAuthWithARealTokenServer() throws IOException {
        try (LocalRegistry secured = LocalRegistry.startWithTokenAuth("bob", "token-pw")) {
            images.push(secured, TestImages.USER, "tokens/user");
            String uri = "docker://" + secured.address() + "/tokens/user#" + TestImages.USER;
            int before = secured.tokenServer().orElseThrow().issued();

            ImageSource source = source(uri, "bob", "token-pw");
            ResolvedImage image = source.resolve();
            readAll(source, image);
            // one token serves the manifest, the config and every layer
            assertThat(secured.tokenServer().orElseThrow().issued() - before).isEqualTo(1);

            assertThatThrownBy(() -> source(uri, "bob", "not-it").resolve()).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("refused the credentials for user bob").hasMessageNotContaining("not-it");
            assertThatThrownBy(() -> source(uri).resolve()).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("needs credentials");
        }
    }

    @Test
    void anOciLayoutMadeByUmoci() throws IOException {
        for (String tag : TestImages.TAGS) {
            ImageSource source = source("oci://" + images.ociLayout() + "#" + tag);
            ResolvedImage image = source.resolve();
            List<Layer> layers = readAll(source, image);
            if (tag.equals(TestImages.LAYERED)) assertLayered(layers);
        }
        assertThat(source("oci://" + images.ociLayout() + "#" + TestImages.PATH_ENV).resolve().config().env())
                .contains("PATH=" + TestImages.IMAGE_PATH);
        assertThatThrownBy(() -> source("oci://" + images.ociLayout()).resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(TestImages.LAYERED).hasMessageContaining(TestImages.USER);
    }

    @Test
    void aCorruptedBlobInTheRegistryFailsVerification() throws IOException {
        try (LocalRegistry own = LocalRegistry.start()) {
            images.push(own, TestImages.BASE, "corrupt/base");
            ImageSource source = source("docker://" + own.address() + "/corrupt/base#" + TestImages.BASE);
            Descriptor layer = source.resolve().layers().getFirst();
            try (FileChannel data = FileChannel.open(own.blobFile(layer.digest().toString()), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                ByteBuffer one = ByteBuffer.allocate(1);
                data.read(one, layer.size() / 2);
                one.put(0, (byte) (one.get(0) ^ 0xff)).rewind();
                data.write(one, layer.size() / 2);
            }
            try (InputStream in = source.openBlob(layer)) {
                assertThatThrownBy(() -> in.transferTo(OutputStream.nullOutputStream()))
                        .isInstanceOf(ImageSource.BlobVerificationException.class)
                        .hasMessageContaining(layer.digest().toString()).hasMessageContaining("does not match its digest");
            }
        }
    }
}
