package dev.cloche.image;

import java.util.List;
import java.util.Objects;

/**
 * What an image's config says about the processes run from it: {@code Env} (under the container spec's env, so
 * {@code PATH} comes from the image), and the default {@code User} and {@code WorkingDir}. Empty strings mean unset.
 */
public record ImageConfig(List<String> env, String user, String workingDir) {
    public static final ImageConfig EMPTY = new ImageConfig(List.of(), "", "");

    public ImageConfig {
        env = List.copyOf(env);
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(workingDir, "workingDir");
    }
}
