package dev.cloche.linux.sys;

import java.nio.file.Path;

/**
 * Where the backend executes a host binary from. The OCI runtimes protect themselves against a container
 * overwriting their binary (CVE-2019-5736) by copying themselves into a sealed memfd and re-executing that copy on
 * every call, unless they already run from one: for crun that copy and its second dynamic link are about 4 ms of
 * each call on this VM (docs/benchmarks.md). A daemon that keeps one sealed copy per binary and executes the runtime
 * from it gives the runtime the same protection once, for all its calls, as the runtimes' own sources suggest an
 * administrator may do.
 */
public interface SealedBinaries extends AutoCloseable {

    /**
     * The path to execute {@code binary} through: a sealed in-memory copy of its current content, or {@code binary}
     * itself where no copy can be made (then logged once). A binary that changed on disk gets a fresh copy.
     */
    Path executable(Path binary);

    /** Releases the copies; calls already started keep theirs. */
    @Override
    void close();

    /** Each binary executed as it is, from its file (unit tests, and hosts that forbid executing memfds). */
    static SealedBinaries none() {
        return new SealedBinaries() {
            @Override
            public Path executable(Path binary) {
                return binary;
            }

            @Override
            public void close() {}
        };
    }

    /** Copies in sealed memfds, each checked once by running it with {@code --version} through {@code runner}. */
    static SealedBinaries memfd(CommandRunner runner) {
        return new MemfdSealedBinaries(runner);
    }
}
