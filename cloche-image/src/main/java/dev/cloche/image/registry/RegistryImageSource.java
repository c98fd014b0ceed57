package dev.cloche.image.registry;

import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.image.Descriptor;
import dev.cloche.image.Digest;
import dev.cloche.image.ImageReference;
import dev.cloche.image.ImageSource;
import dev.cloche.image.ResolvedImage;
import dev.cloche.image.manifest.ImageResolver;
import dev.cloche.image.manifest.MediaTypes;
import dev.cloche.image.manifest.VerifyingInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** One image in a registry: its manifests resolved over the distribution API, its blobs streamed and verified. */
final class RegistryImageSource implements ImageSource {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final RegistryHttp http;
    private final ImageReference.Registry ref;

    RegistryImageSource(RegistryHttp http, ImageReference.Registry ref) {
        this.http = http;
        this.ref = ref;
    }

    @Override
    public ResolvedImage resolve() {
        String image = ref.name();
        try {
            ImageResolver.Content top;
            try (Response r = http.get(ref, "manifests/" + ref.reference(), MediaTypes.ACCEPT_MANIFESTS)) {
                if (r.status() != 200) {
                    throw failure(r, (ref.reference().startsWith("sha256:") ? "manifest " : "tag ") + ref.reference());
                }
                byte[] bytes = ImageResolver.readLimited(image, "manifest", r.body(), ImageResolver.MAX_MANIFEST_BYTES);
                Digest digest = Digest.sha256(bytes);
                if (ref.reference().startsWith("sha256:") && !digest.toString().equals(ref.reference())) {
                    throw new InvalidRequestException("image " + image + " cannot be used: registry " + ref.registry()
                            + " sent a manifest whose digest is " + digest);
                }
                String claimed = r.header("Docker-Content-Digest");
                if (claimed.startsWith("sha256:") && !claimed.equals(digest.toString())) {
                    throw new InvalidRequestException("image " + image + " cannot be used: registry " + ref.registry()
                            + " says its manifest is " + claimed + " but the manifest it sent is " + digest);
                }
                top = new ImageResolver.Content(MediaTypes.bare(r.header("Content-Type")), bytes, digest);
            }
            return ImageResolver.resolve(image, top, new ImageResolver.Reader() {
                @Override
                public byte[] manifest(Descriptor d) throws IOException {
                    return fetch("manifests/", d, MediaTypes.ACCEPT_MANIFESTS, ImageResolver.MAX_MANIFEST_BYTES);
                }

                @Override
                public byte[] blob(Descriptor d) throws IOException {
                    return fetch("blobs/", d, "*/*", ImageResolver.MAX_CONFIG_BYTES);
                }
            });
        } catch (IOException e) {
            throw new ServiceUnavailableException("reading " + image + " from registry " + ref.registry() + " failed: "
                    + e.getMessage(), e);
        }
    }

    @Override
    public InputStream openBlob(Descriptor blob) throws IOException {
        Response r = http.get(ref, "blobs/" + blob.digest(), "*/*");
        if (r.status() != 200) throw failure(r, "blob " + blob.digest());
        OptionalLong length = r.headers().firstValueAsLong("Content-Length");
        if (length.isPresent() && length.getAsLong() != blob.size()) {
            r.close();
            throw new BlobVerificationException("blob " + blob.digest() + " of " + ref.name() + " from registry "
                    + ref.registry() + " has " + length.getAsLong() + " bytes, its descriptor says " + blob.size());
        }
        return new VerifyingInputStream(r.body(), blob, "registry " + ref.registry());
    }

    private byte[] fetch(String kind, Descriptor d, String accept, int limit) throws IOException {
        try (Response r = http.get(ref, kind + d.digest(), accept)) {
            if (r.status() != 200) throw failure(r, kind.substring(0, kind.length() - 2) + " " + d.digest());
            byte[] bytes = ImageResolver.readLimited(ref.name(), d.digest().toString(), r.body(), limit);
            return ImageResolver.verified(ref.name(), "registry " + ref.registry(), d, bytes);
        }
    }

    /** The typed error for a status other than 200 (the body is read for the registry's error codes, then closed). */
    private GardenException failure(Response r, String what) {
        List<String> codes = new ArrayList<>();
        String detail = errorDetail(r.errorText(), codes);
        String at = " on registry " + ref.registry();
        return switch (r.status()) {
            case 404 -> codes.contains("NAME_UNKNOWN")
                    ? new InvalidRequestException("image " + ref.name() + " not found: repository " + ref.repository()
                            + " does not exist" + at)
                    : new InvalidRequestException("image " + ref.name() + " not found: no " + what + " in repository "
                            + ref.repository() + at + detail);
            case 403 -> new InvalidRequestException("registry " + ref.registry() + " denied "
                    + (ref.username().isEmpty() ? "anonymous" : "user " + ref.username()) + " access to " + ref.name() + detail);
            default -> r.status() >= 400 && r.status() < 500
                    ? new InvalidRequestException("registry " + ref.registry() + " answered " + r.status() + " for the "
                            + what + " of " + ref.name() + detail)
                    : new ServiceUnavailableException("registry " + ref.registry() + " answered " + r.status() + " for the "
                            + what + " of " + ref.name() + detail);
        };
    }

    /** The distribution API's error document, {@code {"errors":[{"code":..,"message":..}]}}, as short text. */
    private static String errorDetail(String body, List<String> codes) {
        StringBuilder out = new StringBuilder();
        if (body.isBlank()) return "";
        try {
            JsonNode root = JSON.readTree(body);
            if (root == null) return "";
            for (JsonNode e : root.path("errors").values()) {
                String code = e.path("code").asString("");
                codes.add(code);
                out.append(out.isEmpty() ? "" : "; ").append(code);
                String message = e.path("message").asString("");
                if (!message.isEmpty()) out.append(": ").append(message);
            }
        } catch (JacksonException | IllegalArgumentException e) {
            return "";
        }
        String text = out.length() > 200 ? out.substring(0, 200) + "..." : out.toString();
        return text.isEmpty() ? "" : " (" + text + ")";
    }
}
