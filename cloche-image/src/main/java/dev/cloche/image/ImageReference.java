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
            String host = u.getRawAuthority() == null ? "" : u.getRawAuthority();
            String registry = host.isEmpty() ? defaultRegistry : host;
            String repo = u.getPath() == null ? "" : u.getPath().replaceAll("^/+", "").replaceAll("/+$", "");
            int colon = repo.lastIndexOf(':');
            String tag = fragment(u);
            if (tag.isEmpty() && colon > 0) {
                // docker://host/repo:tag, the way Docker writes it, is accepted too
                tag = repo.substring(colon + 1);
                repo = repo.substring(0, colon);
            }
            if (repo.isEmpty() || !repo.matches("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")) {
                throw invalid(uri, "'" + repo + "' is not a repository name (lowercase letters, digits, separators)");
            }
            if (isDockerHub(registry) && !repo.contains("/")) repo = "library/" + repo;
            if (tag.isEmpty()) tag = "latest";
            if (!tag.startsWith("sha256:") && !tag.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")) {
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
            throw invalid(s, e.getMessage());
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
        return new InvalidRequestException("image '" + uri + "' is not understood (" + why + "); accepted forms: " + FORMS);
    }
}
