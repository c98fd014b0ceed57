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
 * One container of a backend.
 *
 * <p><b>Concurrency</b>: the core does <em>not</em> serialise calls on a container, except these:
 * <ul>
 *   <li>{@link #destroy()} runs alone: when it starts no other call on this container is in progress, none starts
 *       before it returns, and two destroys never overlap. After a successful destroy the core makes no further
 *       call on the container; after a failed one the container is used as before and may be destroyed again.</li>
 *   <li>{@link #updateLimits} is called only inside a configuration commit, and commits on one container are
 *       serialised, so two updateLimits never overlap (each may overlap any call but destroy, {@link #limits()}
 *       included).</li>
 *   <li>{@link #run} is never called twice at once with the same process id.</li>
 * </ul>
 * Every other pair may run at the same time on one container, including a call with itself: two runs (different
 * ids), run and streamIn, run and stop (a run may start while a stop is in progress), streamIn and streamOut, info
 * and any call but destroy. The core's lock covers a call only until it returns: the {@link BackendProcess}es and
 * the stream from {@link #streamOut} it handed out are used afterwards, concurrently with every call here,
 * {@link #destroy()} included (and may fail once the container is destroyed).
 */
public interface BackendContainer {

    String handle();

    /**
     * Starts a process. Output is captured from the first byte, so attachers opened later miss nothing.
     *
     * <p>The core has checked the spec, and the backend does not check it again: {@code spec.id()} is set (never
     * empty), no live process of this container has it ({@link #process} finds none, or one that has exited, which
     * this run replaces) and no other run with it is in progress; {@code spec.path()} is not empty; the spec has no
     * image and no bind mounts (the core refuses both until processes can run in their own image).
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
