package dev.cloche.spi;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.Limits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import java.io.InputStream;
import java.util.List;
import java.util.Optional;

/**
 * One container of a backend. The core serialises state-changing calls per handle; reads may run concurrently.
 * After {@link #destroy()} every other method may throw {@link dev.cloche.api.ContainerNotFoundException}.
 */
public interface BackendContainer {

    String handle();

    /**
     * Starts a process. {@code spec.id()} is set by the core and unique among this container's live processes.
     * Output is captured from the first byte, so attachers opened later miss nothing.
     *
     * @throws dev.cloche.api.ExecutableNotFoundException when the executable does not exist in the container
     */
    BackendProcess run(ProcessSpec spec);

    /** A process started by {@link #run} that has not been reaped yet (running, or exited and still kept). */
    Optional<BackendProcess> process(String processId);

    /** Ids of the processes {@link #process} would find, in start order. */
    List<String> processIds();

    /** TERM every process, KILL after the grace period (10 s in Garden), or KILL at once; returns when all are gone. */
    void stop(boolean kill);

    /** Facts only the backend knows: run state, events, network addresses, mapped ports. */
    BackendInfo info();

    /** The limits as applied, for the {@code limits/*} GETs. */
    Limits limits();

    /**
     * Changes the memory and CPU limits of the live container (e.g. a cgroup update) and records them, so that
     * {@link #limits()} and a restored container report the new values. Other parts of {@code limits} (bandwidth,
     * disk, pids) cannot change on a live container and must equal the current ones, else
     * {@link dev.cloche.api.InvalidRequestException} and nothing changes. A limit the kernel refuses (memory below
     * what the container uses) fails and leaves the old limits in place.
     */
    void updateLimits(Limits limits);

    ContainerMetrics metrics();

    void streamIn(StreamInSpec spec);

    InputStream streamOut(StreamOutSpec spec);

    PortMapping netIn(int hostPort, int containerPort);

    void netOut(List<NetOutRule> rules);

    /**
     * Removes everything: processes, mounts, cgroups, network, runtime state and the depot entry. Idempotent: parts
     * that are already gone count as removed. Throws only if something could not be removed (and says what).
     */
    void destroy();
}
