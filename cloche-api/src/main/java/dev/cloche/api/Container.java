package dev.cloche.api;

import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One container, as Garden's {@code Container} interface: a reference to a container that lives in Cloche, not a
 * resource of the caller's. It has no {@code close()} and is not {@link AutoCloseable}: a container ends only by an
 * explicit {@link #destroy()} (or {@link GardenClient#destroy}, or its grace time running out), so leaving a
 * try-with-resources block never throws a container and its data away. Dropping the reference changes nothing.
 */
public interface Container {

    String handle();

    /** Stops every process: TERM, then KILL after 10 s; {@code kill} sends KILL at once. State becomes "stopped". */
    void stop(boolean kill);

    ContainerInfo info();

    /** Extracts an uncompressed tar stream into {@code spec.path()} as {@code spec.user()}. */
    void streamIn(StreamInSpec spec);

    /** A tar stream of {@code spec.path()}; the caller closes it. */
    InputStream streamOut(StreamOutSpec spec);

    BandwidthLimits currentBandwidthLimits();

    CpuLimits currentCpuLimits();

    DiskLimits currentDiskLimits();

    MemoryLimits currentMemoryLimits();

    /** Maps a host port to a container port (0 = allocate / same as host); returns the actual pair. */
    PortMapping netIn(int hostPort, int containerPort);

    void netOut(NetOutRule rule);

    void bulkNetOut(List<NetOutRule> rules);

    /** Starts a process; its output is buffered from the start, so a late reader loses nothing. */
    Process run(ProcessSpec spec, ProcessIO io);

    /** Attaches to a running or exited-but-unreaped process, or throws {@link ProcessNotFoundException}. */
    Process attach(String processId, ProcessIO io);

    ContainerMetrics metrics();

    void setGraceTime(Duration graceTime);

    Map<String, String> properties();

    /** The value of a property; a missing key is a {@link GardenError} {@code property does not exist: <k>}. */
    String property(String name);

    void setProperty(String name, String value);

    /** Removes a property; removing a missing key is not an error (as in Guardian). */
    void removeProperty(String name);

    /**
     * Destroys this container and everything it owns, through its client ({@link GardenClient#destroy}): a container
     * that is already gone throws {@link ContainerNotFoundException}.
     */
    void destroy();
}
