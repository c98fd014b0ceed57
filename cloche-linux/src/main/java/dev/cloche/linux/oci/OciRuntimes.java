package dev.cloche.linux.oci;

import dev.cloche.linux.sys.CommandRunner;
import java.nio.file.Path;

/** Factory for {@link OciRuntime}s. */
public final class OciRuntimes {
    private OciRuntimes() {}

    /** runc, or crun (which accepts the same command line). */
    public static OciRuntime cli(CommandRunner runner, Path binary, Path root) {
        return new RuncCli(runner, binary, root);
    }
}
