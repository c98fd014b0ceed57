package dev.cloche.image;

import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Objects;

/** What Garden's {@code ContainerSpec.image} (or the deprecated {@code rootfs}) names, parsed but not yet looked at. */
public sealed interface ImageReference {

    String FORMS = "\"\" (the default rootfs), /abs/dir, raw:///abs/dir, /abs/rootfs.tar, "
            + "docker://[host[:port]]/repo[#tag], docker:///repo[#tag] and oci:///abs/layout-dir[#tag]";

    /** {@code host[:port]}: a DNS name or IPv4 address, or a bracketed IPv6 address. */
    String REGISTRY = "(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\])(?::[0-9]{1,5})?";
    /** Docker's repository grammar: lowercase path components joined by {@code .}, {@code _}, {@code __} or dashes. */
    String REPOSITORY = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*";

    /** The daemon's default rootfs. */
    record DefaultRootfs() implements ImageReference { }

    /** A path on the host: a directory used as the rootfs as it is, or a rootfs tarball (extracted once, cached). */
    record HostPath(Path path) implements ImageReference {
        public HostPath {
            Objects.requireNonNull(path, "path");
        }
    }

    /**
     * An image in a registry. {@code registry} is {@code host[:port]}; {@code reference} is a tag or a
     * {@code sha256:} digest; empty credentials mean anonymous (or a bearer token the registry hands out).
     */
    record Registry(String registry, String repository, String reference, String username, String password)
            implements ImageReference {
        public Registry {
            Objects.requireNonNull(registry, "registry");
            Objects.requireNonNull(repository, "repository");
            Objects.requireNonNull(reference, "reference");
            Objects.requireNonNull(username, "username");
            Objects.requireNonNull(password, "password");
        }

        /** {@code host[:port]/repo:tag} or {@code host[:port]/repo@sha256:...}, as Docker prints it. */
        public String name() {
            return registry + "/" + repository + (reference.startsWith("sha256:") ? "@" : ":") + reference;
        }

        @Override
        public String toString() {
            return "Registry[" + name() + (username.isEmpty() ? "" : ", user " + username) + "]";
        }
    }

    /** An OCI image layout directory on the host; an empty tag picks the layout's only image. */
    record OciLayout(Path dir, String tag) implements ImageReference {
        public OciLayout {
            Objects.requireNonNull(dir, "dir");
            Objects.requireNonNull(tag, "tag");
        }
    }

    /**
     * Parses Garden's image URI with its credentials. {@code defaultRegistry} serves hostless {@code docker:///}
     * references; on Docker Hub a one-part repository is an official image ({@code library/}).
     */
    static ImageReference parse(ImageRef ref, String defaultRegistry) {
        String uri = ref.uri();
        if (uri.isEmpty()) return new DefaultRootfs();
        if (uri.startsWith("/")) return new HostPath(absolute(uri, uri));
        for (String scheme : new String[] {"raw://", "file://"}) {
            if (uri.startsWith(scheme)) return new HostPath(absolute(uri.substring(scheme.length()), uri));
        }
        if (uri.startsWith("oci://")) {
            URI u = uri(uri);
            if (u.getRawAuthority() != null && !u.getRawAuthority().isEmpty()) {
                throw invalid(uri, "an OCI layout is a host directory: oci:///abs/layout-dir[#tag]");
            }
            return new OciLayout(absolute(u.getPath(), uri), fragment(u));
        }
        if (uri.startsWith("docker://")) {
            URI u = uri(uri);
            if (u.getRawUserInfo() != null) {
                throw invalid(uri, "credentials go in the image's username and password, not in the URI");
            }
            if (u.getRawQuery() != null) throw invalid(uri, "a query is not part of an image reference");
            String host = u.getRawAuthority() == null ? "" : u.getRawAuthority();
            String registry = host.isEmpty() ? defaultRegistry : host;
            if (!registry.matches(REGISTRY)) throw invalid(uri, "'" + registry + "' is not a registry host[:port]");
            String repo = u.getPath() == null ? "" : u.getPath().replaceAll("^/+", "").replaceAll("/+$", "");
            String tag = fragment(u);
            int at = repo.indexOf('@');
            int colon = repo.lastIndexOf(':');
            if (at >= 0) {
                // docker://host/repo@sha256:..., the way Docker writes a digest
                if (!tag.isEmpty()) throw invalid(uri, "give either a digest or a #tag, not both");
                tag = repo.substring(at + 1);
                repo = repo.substring(0, at);
            } else if (colon > repo.lastIndexOf('/')) {
                // docker://host/repo:tag, the way Docker writes it, is accepted too
                if (!tag.isEmpty()) throw invalid(uri, "give the tag either as :tag or as #tag, not both");
                tag = repo.substring(colon + 1);
                repo = repo.substring(0, colon);
            }
            if (repo.isEmpty() || !repo.matches(REPOSITORY)) {
                throw invalid(uri, "'" + repo + "' is not a repository name (lowercase letters, digits, separators)");
            }
            if (isDockerHub(registry) && !repo.contains("/")) repo = "library/" + repo;
            if (tag.isEmpty()) tag = "latest";
            if (tag.contains(":")) {
                try {
                    tag = Digest.parse(tag).toString();
                } catch (InvalidRequestException e) {
                    throw invalid(uri, e.getMessage());
                }
            } else if (!tag.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
                throw invalid(uri, "'" + tag + "' is not a tag");
            }
            return new Registry(registry, repo, tag, ref.username(), ref.password());
        }
        throw invalid(uri, "unknown form");
    }

    static boolean isDockerHub(String registry) {
        return registry.equals("docker.io") || registry.equals("index.docker.io") || registry.equals("registry-1.docker.io");
    }

    private static URI uri(String s) {
        try {
            return new URI(s);
        } catch (URISyntaxException e) {
            // the reason without the input, which may hold a password
            throw invalid(s, e.getReason() + " at index " + e.getIndex());
        }
    }

    private static String fragment(URI u) {
        return u.getFragment() == null ? "" : u.getFragment();
    }

    private static Path absolute(String path, String uri) {
        if (path == null || !path.startsWith("/")) throw invalid(uri, "a host path must be absolute");
        return Path.of(path).normalize();
    }

    private static InvalidRequestException invalid(String uri, String why) {
        // a password someone put in the URI stays out of the message
        String shown = uri.replaceFirst("^([a-z]+://)[^/@]*@", "$1***@");
        return new InvalidRequestException("image '" + shown + "' is not understood (" + why + "); accepted forms: " + FORMS);
    }
}
