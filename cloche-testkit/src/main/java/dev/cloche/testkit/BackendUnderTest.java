package dev.cloche.testkit;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.Limits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.ContainerBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * What the conformance groups need from a backend's test: the backend, how its processes spell the few programs the
 * suite runs, and hooks that look past the SPI (the kernel's view of limits, the host's view of a container), so a
 * backend cannot pass by echoing what it was told. {@link BackendConformance} implements the tracking; a backend's
 * test extends it and implements the rest.
 */
public interface BackendUnderTest {

    /** The backend under test; after {@link #restart()} the new one. */
    ContainerBackend backend();

    /**
     * What a backend's engine cannot do. Each is a call the backend refuses with an
     * {@link dev.cloche.api.InvalidRequestException} saying "not supported by the ... backend" (checked by
     * {@link UnsupportedConformance}), never a silent no-op; the suite's tests of the capability are skipped.
     */
    enum Limitation {
        /** {@code netIn} on a live container (ports can only be given at create). */
        NET_IN_AFTER_CREATE,
        /** NetOut rules, at create or later (no per-container egress firewall; destinations are not denied). */
        NET_OUT_RULES,
        /** Bandwidth limits. */
        BANDWIDTH_LIMITS,
        /** Disk limits. */
        DISK_LIMITS,
        /** Memory and CPU limit changes on a live container. */
        LIVE_LIMIT_CHANGES,
        /**
         * A process running across a restart of the backend keeps its status, signals and the output captured
         * before the restart, but its stdin is refused and later output is not captured.
         */
        PROCESS_STREAMS_ACROSS_RESTART
    }

    /** What this backend declares it cannot do; nothing by default. */
    default java.util.Set<Limitation> limitations() {
        return java.util.Set.of();
    }

    default boolean supports(Limitation capability) {
        return !limitations().contains(capability);
    }

    /** A process that prints {@code text} and a newline on stdout and exits 0. */
    ProcessSpec echo(String text);

    /** A process that prints {@code out} on stdout, {@code err} on stderr (each with a newline), and exits {@code code}. */
    ProcessSpec emit(String out, String err, int code);

    /** A process that runs until it is signalled. */
    ProcessSpec sleeper();

    // cat, seq and stty by default: POSIX commands a backend's images have and the fake emulates

    /** A process that copies stdin to stdout as it arrives until stdin is closed, then exits 0. */
    default ProcessSpec cat() {
        return ProcessSpec.of("cat");
    }

    /** A process that prints the numbers 1 to {@code n}, one per line, and exits 0. */
    default ProcessSpec countTo(int n) {
        return ProcessSpec.of("seq", "1", Integer.toString(n));
    }

    /** A process that prints its terminal's size as {@code ROWS COLUMNS} and a newline, and exits 0. */
    default ProcessSpec windowSize() {
        return ProcessSpec.of("stty", "size");
    }

    /** A process that keeps a CPU busy and holds some memory until it is signalled. */
    ProcessSpec busy();

    /** A process that serves {@code body} as the answer to {@code GET /} over HTTP on {@code port} until signalled. */
    ProcessSpec serveHttp(int port, String body);

    /** A process that fetches {@code url} over HTTP and exits 0 if it got an answer, non-zero if not within 5 s. */
    ProcessSpec fetch(String url);

    /**
     * The memory, CPU and pid limits of a container as the kernel (or engine) enforces them, read there and never
     * from the backend's own record; 0 where unlimited. A backend that records a limit it never applied fails.
     */
    Limits appliedLimits(BackendContainer c);

    /**
     * What the host holds for a container, one line per resource (mounts, cgroups, processes, depot entries, runtime
     * state, network), given its info from while it lived. Non-empty for a live container; empty once destroy has
     * released it all (the suite allows 10 s for asynchronous releases).
     */
    List<String> resourcesOf(String handle, BackendInfo whileLive);

    /**
     * A daemon restart: closes the backend and opens a new one on the same state, which {@link #backend()} returns
     * from then on; empty (and nothing closed) for a backend that keeps nothing across a restart.
     */
    Optional<ContainerBackend> restart();

    /** Creates a container that is destroyed after the test. */
    BackendContainer create(ContainerSpec spec);

    /** A container restored by a new backend: destroyed after the test instead of the object it replaces. */
    void adopt(BackendContainer restored);

    default String uniqueHandle() {
        return "conf-" + UUID.randomUUID().toString().substring(0, 8);
    }

    default String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Exactly {@code n} bytes of the stream as text (fewer only at its end). */
    default String readN(InputStream in, int n) {
        try {
            return new String(in.readNBytes(n), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    default int exitOf(BackendProcess p) throws Exception {
        return p.exit().get(30, TimeUnit.SECONDS);
    }
}
