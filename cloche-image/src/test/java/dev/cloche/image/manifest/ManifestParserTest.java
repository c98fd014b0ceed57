package dev.cloche.image.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.image.Descriptor;
import dev.cloche.image.Digest;
import dev.cloche.image.ImageConfig;
import dev.cloche.image.ImageContent;
import dev.cloche.image.ResolvedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestParserTest {
    private static final String IMAGE = "127.0.0.1:5000/app:v1";

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void dockerSchema2ManifestWithEveryAcceptedLayerType() {
        ImageContent.Blob config = new ImageContent.Blob(MediaTypes.DOCKER_CONFIG, bytes("{}"));
        List<ImageContent.Blob> layers = List.of(MediaTypes.DOCKER_LAYER_GZIP, MediaTypes.OCI_LAYER, MediaTypes.OCI_LAYER_ZSTD,
                MediaTypes.DOCKER_LAYER_ZSTD).stream().map(t -> new ImageContent.Blob(t, bytes(t))).toList();
        ImageContent.Blob manifest = ImageContent.manifest(MediaTypes.DOCKER_MANIFEST, config, layers);

        Manifest.Image parsed = (Manifest.Image) ManifestParser.parse(IMAGE, "", manifest.bytes());

        assertThat(parsed.mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
        assertThat(parsed.config()).isEqualTo(config.descriptor());
        assertThat(parsed.layers()).containsExactlyElementsOf(layers.stream().map(ImageContent.Blob::descriptor).toList());
        assertThat(parsed.layers()).extracting(d -> MediaTypes.layerCompression(d.mediaType()).orElseThrow())
                .containsExactly(MediaTypes.Compression.GZIP, MediaTypes.Compression.NONE, MediaTypes.Compression.ZSTD,
                        MediaTypes.Compression.ZSTD);
    }

    @Test
    void aManifestWithoutMediaTypeTakesTheDeclaredOneOrItsShape() {
        String json = "{\"schemaVersion\":2,\"config\":" + ImageContent.descriptorJson(MediaTypes.OCI_CONFIG, Digest.sha256(new byte[0]), 0, "")
                + ",\"layers\":[]}";
        assertThat(ManifestParser.parse(IMAGE, MediaTypes.OCI_MANIFEST + "; charset=utf-8", bytes(json))).isInstanceOf(Manifest.Image.class);
        assertThat(ManifestParser.parse(IMAGE, "application/octet-stream", bytes(json))).isInstanceOf(Manifest.Image.class);
        assertThat(ManifestParser.parse(IMAGE, "", bytes("{\"schemaVersion\":2,\"manifests\":[]}"))).isInstanceOf(Manifest.Index.class);
    }

    @Test
    void schema1IsRefused() {
        assertThatThrownBy(() -> ManifestParser.parse(IMAGE, MediaTypes.DOCKER_SCHEMA1_SIGNED,
                bytes("{\"schemaVersion\":1,\"name\":\"app\",\"tag\":\"v1\",\"fsLayers\":[]}")))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining(IMAGE).hasMessageContaining("schema 1");
    }

    @Test
    void foreignAndUnknownLayersAreRefused() {
        ImageContent.Blob config = new ImageContent.Blob(MediaTypes.OCI_CONFIG, bytes("{}"));
        for (String type : List.of("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip")) {
            ImageContent.Blob m = ImageContent.manifest(MediaTypes.OCI_MANIFEST, config, List.of(new ImageContent.Blob(type, bytes("x"))));
            assertThatThrownBy(() -> ManifestParser.parse(IMAGE, "", m.bytes())).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("foreign");
        }
        ImageContent.Blob odd = ImageContent.manifest(MediaTypes.OCI_MANIFEST, config,
                List.of(new ImageContent.Blob("application/vnd.example.layer.v1.tar+lz4", bytes("x"))));
        assertThatThrownBy(() -> ManifestParser.parse(IMAGE, "", odd.bytes())).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("unsupported media type 'application/vnd.example.layer.v1.tar+lz4'");
        String withUrls = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":" + config.json()
                + ",\"layers\":[" + ImageContent.descriptorJson(MediaTypes.OCI_LAYER_GZIP, Digest.sha256(bytes("x")), 1,
                ",\"urls\":[\"https://example.com/layer\"]") + "]}";
        assertThatThrownBy(() -> ManifestParser.parse(IMAGE, "", bytes(withUrls))).hasMessageContaining("foreign");
    }

    @Test
    void anArtifactThatIsNotAnImageIsRefused() {
        ImageContent.Blob config = new ImageContent.Blob("application/vnd.cncf.helm.config.v1+json", bytes("{}"));
        ImageContent.Blob m = ImageContent.manifest(MediaTypes.OCI_MANIFEST, config, List.of());
        assertThatThrownBy(() -> ManifestParser.parse(IMAGE, "", m.bytes())).hasMessageContaining("not a container image");
    }

    @Test
    void malformedDocumentsAreInvalidRequests() {
        assertThatThrownBy(() -> ManifestParser.parse(IMAGE, "", bytes("not json"))).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> ManifestParser.parse(IMAGE, "", bytes("[1]"))).hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> ManifestParser.parse(IMAGE, MediaTypes.OCI_MANIFEST, bytes("{\"config\":{},\"layers\":[]}")))
                .hasMessageContaining("descriptor");
        assertThatThrownBy(() -> ManifestParser.parse(IMAGE, MediaTypes.OCI_INDEX, bytes("{\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:12\",\"size\":1}]}")))
                .hasMessageContaining("malformed digest");
        assertThatThrownBy(() -> ManifestParser.parse(IMAGE, MediaTypes.OCI_INDEX, bytes("{\"manifests\":[" + ImageContent.descriptorJson("x",
                Digest.sha256(new byte[0]), -1, "") + "]}"))).hasMessageContaining("no valid size");
        assertThatThrownBy(() -> ManifestParser.parse(IMAGE, "", bytes("{\"schemaVersion\":2}"))).hasMessageContaining("unsupported media type");
    }

    @Test
    void indexPicksLinuxAmd64OrListsWhatItHas() {
        ImageContent.Blob arm = new ImageContent.Blob(MediaTypes.OCI_MANIFEST, bytes("arm"));
        ImageContent.Blob amd = new ImageContent.Blob(MediaTypes.OCI_MANIFEST, bytes("amd"));
        Map<ImageContent.Blob, String> both = new LinkedHashMap<>();
        both.put(arm, "linux/arm64");
        both.put(amd, "linux/amd64");
        Manifest.Index index = (Manifest.Index) ManifestParser.parse(IMAGE, "", ImageContent.index(MediaTypes.OCI_INDEX, both).bytes());
        assertThat(ManifestParser.pickPlatform(IMAGE, index)).isEqualTo(amd.descriptor());

        Map<ImageContent.Blob, String> armOnly = new HashMap<>(Map.of(arm, "linux/arm64"));
        Manifest.Index noAmd = (Manifest.Index) ManifestParser.parse(IMAGE, "", ImageContent.index(MediaTypes.DOCKER_MANIFEST_LIST, armOnly).bytes());
        assertThatThrownBy(() -> ManifestParser.pickPlatform(IMAGE, noAmd)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("no linux/amd64 image").hasMessageContaining("linux/arm64");
    }

    @Test
    void configGivesDiffIdsEnvUserAndWorkingDir() {
        ImageContent.Image image = ImageContent.image(List.of(ImageContent.tar(Map.of("a", "1"))), List.of("PATH=/opt/bin:/bin"), "1000:1000", "/srv");
        ImageConfigBlob config = ManifestParser.parseConfig(IMAGE, image.config().bytes());
        assertThat(config.diffIds()).isEqualTo(image.diffIds());
        assertThat(config.config()).isEqualTo(new ImageConfig(List.of("PATH=/opt/bin:/bin"), "1000:1000", "/srv"));
        assertThat(ManifestParser.parseConfig(IMAGE, bytes("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{\"Env\":null}}")).config())
                .isEqualTo(ImageConfig.EMPTY);
    }

    @Test
    void configOfAnotherPlatformIsRefused() {
        ImageContent.Image arm = ImageContent.image(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_CONFIG, MediaTypes.OCI_LAYER_GZIP,
                List.of(), List.of(), "", "", "arm64");
        assertThatThrownBy(() -> ManifestParser.parseConfig(IMAGE, arm.config().bytes())).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("linux/arm64 image");
        assertThatThrownBy(() -> ManifestParser.parseConfig(IMAGE, bytes("{\"config\":{}}"))).hasMessageContaining("diff_ids");
        assertThatThrownBy(() -> ManifestParser.parseConfig(IMAGE, bytes("{\"rootfs\":{\"diff_ids\":[]},\"config\":{\"User\":7}}")))
                .hasMessageContaining("User");
    }

    @Test
    void resolverWalksAnIndexToTheConfigAndChecksTheLayerCount() throws IOException {
        ImageContent.Image image = ImageContent.image(List.of(ImageContent.tar(Map.of("a", "1")), ImageContent.tar(Map.of("b", "2"))),
                List.of("A=1"), "root", "/");
        ImageContent.Blob index = ImageContent.index(MediaTypes.OCI_INDEX, Map.of(image.manifest(), "linux/amd64"));
        Map<Digest, byte[]> store = new HashMap<>();
        store.put(image.manifest().digest(), image.manifest().bytes());
        store.put(image.config().digest(), image.config().bytes());
        ImageResolver.Reader reader = new ImageResolver.Reader() {
            @Override
            public byte[] manifest(Descriptor d) {
                return ImageResolver.verified(IMAGE, "test", d, store.get(d.digest()));
            }

            @Override
            public byte[] blob(Descriptor d) {
                return ImageResolver.verified(IMAGE, "test", d, store.get(d.digest()));
            }
        };
        ResolvedImage resolved = ImageResolver.resolve(IMAGE, new ImageResolver.Content(index.mediaType(), index.bytes(), index.digest()), reader);
        assertThat(resolved.manifestDigest()).isEqualTo(image.manifest().digest());
        assertThat(resolved.layers()).containsExactlyElementsOf(image.layers().stream().map(ImageContent.Blob::descriptor).toList());
        assertThat(resolved.diffIds()).isEqualTo(image.diffIds());
        assertThat(resolved.config().env()).containsExactly("A=1");

        ImageContent.Blob oneLayerTooMany = ImageContent.manifest(MediaTypes.OCI_MANIFEST, image.config(),
                List.of(image.layers().get(0), image.layers().get(1), image.layers().get(0)));
        assertThatThrownBy(() -> ImageResolver.resolve(IMAGE, new ImageResolver.Content("", oneLayerTooMany.bytes(), oneLayerTooMany.digest()), reader))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("3 layers but its config 2 diff ids");

        store.put(image.config().digest(), bytes("tampered"));
        assertThatThrownBy(() -> ImageResolver.resolve(IMAGE, new ImageResolver.Content("", image.manifest().bytes(), image.manifest().digest()), reader))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining(image.config().digest().toString());
    }
}
