package dev.cloche.linux.oci;

import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.SealedBinaries;
import java.nio.file.Path;

/** Factory for {@link OciRuntime}s. */
public final class OciRuntimes {
    private OciRuntimes() {}

    /** runc, or crun (which accepts the same command line), run from its file. */
    public static OciRuntime cli(CommandRunner runner, Path binary, Path root) {
        return cli(runner, binary, root, SealedBinaries.none());
    }

    /** As {@link #cli(CommandRunner, Path, Path)}, each call executing what {@code sealed} gives for the binary. */
    public static OciRuntime cli(CommandRunner runner, Path binary, Path root, SealedBinaries sealed) {
        return new RuncCli(runner, binary, root, sealed);
    }
}
