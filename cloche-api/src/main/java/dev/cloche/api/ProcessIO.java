package dev.cloche.api;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;

/**
 * Where a process's stdio goes. Absent streams are not connected: no stdin means the process's stdin is
 * left open until it exits or another attacher closes it; no stdout/stderr means that output is not delivered
 * to this caller (it is still buffered for other attachers).
 */
public record ProcessIO(Optional<InputStream> stdin, Optional<OutputStream> stdout, Optional<OutputStream> stderr) {

    public static final ProcessIO NONE = new ProcessIO(Optional.empty(), Optional.empty(), Optional.empty());

    public ProcessIO {
        java.util.Objects.requireNonNull(stdin, "stdin");
        java.util.Objects.requireNonNull(stdout, "stdout");
        java.util.Objects.requireNonNull(stderr, "stderr");
    }

    public static ProcessIO of(InputStream stdin, OutputStream stdout, OutputStream stderr) {
        return new ProcessIO(Optional.of(stdin), Optional.of(stdout), Optional.of(stderr));
    }

    public static ProcessIO output(OutputStream stdout, OutputStream stderr) {
        return new ProcessIO(Optional.empty(), Optional.of(stdout), Optional.of(stderr));
    }

    public ProcessIO withStdin(InputStream in) {
        return new ProcessIO(Optional.of(in), stdout, stderr);
    }
}
