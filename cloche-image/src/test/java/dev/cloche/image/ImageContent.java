package dev.cloche.image;

import dev.cloche.image.manifest.MediaTypes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Small images made in memory for unit tests: layer tars, configs, manifests and indexes as bytes. */
public final class ImageContent {
    private ImageContent() {}

    /** Bytes with the media type they are served as. */
    public record Blob(String mediaType, byte[] bytes) {
        public Digest digest() {
            return Digest.sha256(bytes);
        }

        public Descriptor descriptor() {
            return new Descriptor(mediaType, digest(), bytes.length, Map.of());
        }

        public String json() {
            return descriptorJson(mediaType, digest(), bytes.length, "");
        }
    }

    /** A built image: its manifest, config and (compressed) layers, and the uncompressed layers' digests. */
    public record Image(Blob manifest, Blob config, List<Blob> layers, List<Digest> diffIds) { }

    public static byte[] tar(Map<String, String> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                byte[] content = f.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setSize(content.length);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** An OCI image of gzip layers made from these tars, with Env, User and WorkingDir in its config. */
    public static Image image(List<byte[]> layerTars, List<String> env, String user, String workingDir) {
        return image(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_CONFIG, MediaTypes.OCI_LAYER_GZIP, layerTars, env, user, workingDir, "amd64");
    }

    public static Image image(String manifestType, String configType, String layerType, List<byte[]> layerTars,
                              List<String> env, String user, String workingDir, String architecture) {
        List<Blob> layers = new ArrayList<>();
        List<Digest> diffIds = new ArrayList<>();
        for (byte[] t : layerTars) {
            layers.add(new Blob(layerType, gzip(t)));
            diffIds.add(Digest.sha256(t));
        }
        String config = "{\"architecture\":\"" + architecture + "\",\"os\":\"linux\",\"config\":{\"Env\":["
                + env.stream().map(e -> "\"" + e + "\"").collect(Collectors.joining(","))
                + "],\"User\":\"" + user + "\",\"WorkingDir\":\"" + workingDir + "\"},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + diffIds.stream().map(d -> "\"" + d + "\"").collect(Collectors.joining(",")) + "]}}";
        Blob configBlob = new Blob(configType, config.getBytes(StandardCharsets.UTF_8));
        return new Image(manifest(manifestType, configBlob, layers), configBlob, layers, diffIds);
    }

    public static Blob manifest(String manifestType, Blob config, List<Blob> layers) {
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + manifestType + "\",\"config\":" + config.json()
                + ",\"layers\":[" + layers.stream().map(Blob::json).collect(Collectors.joining(",")) + "]}";
        return new Blob(manifestType, json.getBytes(StandardCharsets.UTF_8));
    }

    /** An index of manifests, each with its platform {@code os/arch}. */
    public static Blob index(String indexType, Map<Blob, String> platforms) {
        String entries = platforms.entrySet().stream().map(e -> {
            String[] p = e.getValue().split("/");
            return descriptorJson(e.getKey().mediaType(), e.getKey().digest(), e.getKey().bytes().length,
                    ",\"platform\":{\"os\":\"" + p[0] + "\",\"architecture\":\"" + p[1] + "\"}");
        }).collect(Collectors.joining(","));
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + indexType + "\",\"manifests\":[" + entries + "]}";
        return new Blob(indexType, json.getBytes(StandardCharsets.UTF_8));
    }

    public static String descriptorJson(String mediaType, Digest digest, long size, String extra) {
        return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest + "\",\"size\":" + size + extra + "}";
    }
}
