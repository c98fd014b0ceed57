package dev.cloche.image.layout;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.image.Descriptor;
import dev.cloche.image.ImageReference;
import dev.cloche.image.ImageSource;
import dev.cloche.image.ResolvedImage;
import dev.cloche.image.manifest.ImageResolver;
import dev.cloche.image.manifest.Manifest;
import dev.cloche.image.manifest.ManifestParser;
import dev.cloche.image.manifest.MediaTypes;
import dev.cloche.image.manifest.VerifyingInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An image in an OCI image layout on the host: {@code oci-layout} checked, the {@code index.json} entry whose
 * {@code org.opencontainers.image.ref.name} is the tag (or the only entry, for no tag), blobs from
 * {@code blobs/<alg>/<hex>}, verified as they are read.
 */
public final class OciLayoutSource implements ImageSource {
    public static final String REF_NAME = "org.opencontainers.image.ref.name";

    private final ImageReference.OciLayout ref;
    private final String image;

    public OciLayoutSource(ImageReference.OciLayout ref) {
        this.ref = ref;
        this.image = "oci://" + ref.dir() + (ref.tag().isEmpty() ? "" : "#" + ref.tag());
    }

    @Override
    public ResolvedImage resolve() {
        try {
            checkLayout();
            byte[] indexBytes = read(ref.dir().resolve("index.json"), "index.json", ImageResolver.MAX_MANIFEST_BYTES);
            Manifest parsed = ManifestParser.parse(image, MediaTypes.OCI_INDEX, indexBytes);
            if (!(parsed instanceof Manifest.Index index)) {
                throw invalid("its index.json is not an image index");
            }
            Descriptor chosen = choose(index.manifests().stream().map(Manifest.Entry::descriptor).toList());
            byte[] top = manifest(chosen);
            return ImageResolver.resolve(image, new ImageResolver.Content(chosen.mediaType(), top, chosen.digest()),
                    new ImageResolver.Reader() {
                        @Override
                        public byte[] manifest(Descriptor d) throws IOException {
                            return OciLayoutSource.this.manifest(d);
                        }

                        @Override
                        public byte[] blob(Descriptor d) throws IOException {
                            return ImageResolver.verified(image, "the layout", d,
                                    read(blobPath(d), "blob " + d.digest(), ImageResolver.MAX_CONFIG_BYTES));
                        }
                    });
        } catch (IOException e) {
            throw invalid("reading it failed: " + e.getMessage());
        }
    }

    @Override
    public InputStream openBlob(Descriptor blob) throws IOException {
        Path path = blobPath(blob);
        try {
            return new VerifyingInputStream(Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS), blob, "OCI layout " + ref.dir());
        } catch (NoSuchFileException e) {
            throw invalid("blob " + blob.digest() + " is missing from the layout");
        }
    }

    private byte[] manifest(Descriptor d) throws IOException {
        return ImageResolver.verified(image, "the layout", d,
                read(blobPath(d), "manifest " + d.digest(), ImageResolver.MAX_MANIFEST_BYTES));
    }

    private void checkLayout() throws IOException {
        if (!Files.isDirectory(ref.dir())) throw invalid("it is not a directory");
        Path marker = ref.dir().resolve("oci-layout");
        if (!Files.isRegularFile(marker)) throw invalid("it has no oci-layout file, so it is not an OCI image layout");
        String version = ManifestParser.tree(image, "oci-layout file", read(marker, "oci-layout", 4096))
                .path("imageLayoutVersion").asString("");
        if (!version.startsWith("1.")) throw invalid("its oci-layout has the unsupported imageLayoutVersion '" + version + "'");
    }

    /** The entry named by the tag; for no tag, the only entry. */
    private Descriptor choose(List<Descriptor> entries) {
        String names = entries.stream().map(d -> d.annotations().getOrDefault(REF_NAME, "(unnamed " + d.digest() + ")"))
                .collect(Collectors.joining(", "));
        if (ref.tag().isEmpty()) {
            if (entries.size() == 1) return entries.getFirst();
            throw invalid("name one of its " + entries.size() + " images with #tag: " + (entries.isEmpty() ? "none" : names));
        }
        return entries.stream().filter(d -> ref.tag().equals(d.annotations().get(REF_NAME))).findFirst()
                .orElseThrow(() -> invalid("it has no image named '" + ref.tag() + "' (it has: "
                        + (entries.isEmpty() ? "none" : names) + ")"));
    }

    private Path blobPath(Descriptor d) {
        // the digest is validated hex, so the path cannot leave blobs/
        return ref.dir().resolve("blobs").resolve(d.digest().algorithm()).resolve(d.digest().hex());
    }

    private byte[] read(Path path, String what, int limit) throws IOException {
        try (InputStream in = Files.newInputStream(path, LinkOption.NOFOLLOW_LINKS)) {
            return ImageResolver.readLimited(image, what, in, limit);
        } catch (NoSuchFileException e) {
            throw invalid("its " + what + " is missing");
        }
    }

    private InvalidRequestException invalid(String why) {
        return new InvalidRequestException("image " + image + " cannot be used: " + why);
    }
}
