package dev.cloche.api;

import java.util.Objects;

/** Garden's {@code ImageRef}: a rootfs URI (for the Linux backend, a host directory path) and optional credentials. */
public record ImageRef(String uri, String username, String password) {
    public static final ImageRef NONE = new ImageRef("", "", "");

    public ImageRef {
        Objects.requireNonNull(uri, "uri");
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
    }

    public static ImageRef of(String uri) {
        return new ImageRef(uri, "", "");
    }

    @Override
    public String toString() {
        return "ImageRef[uri=" + uri + ", username=" + username + ", password=" + (password.isEmpty() ? "" : "***") + "]";
    }
}
