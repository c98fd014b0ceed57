package dev.cloche.linux;

import dev.cloche.linux.oci.OciProcess;
import dev.cloche.spi.BackendProcess;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The Garden processes of one container: starts them, finds them again after a restart, and lets them go when the
 * container does.
 */
interface ProcessSupervisor {

    /**
     * Starts {@code process} as Garden process {@code id} and returns once it runs. An exited process with the same
     * id is forgotten; a running one makes the start fail.
     */
    BackendProcess start(String id, OciProcess process);

    /**
     * Starts a pea (docs/peas.md): {@code process}, which is also the process of the bundle in {@code bundleDir}, as
     * runtime container {@code peaId}, whose cgroup is {@code group}. Its exit is reported once the pea is removed.
     */
    BackendProcess startPea(String id, OciProcess process, String peaId, java.nio.file.Path bundleDir, String group);

    Optional<BackendProcess> find(String id);

    /** Process ids in start order. */
    List<String> ids();

    /**
     * After a restart, rebuilds the processes from what they left (docs/process-monitor.md §5): running ones are
     * followed again, exited ones report their recorded status, one whose monitor was killed reports
     * {@link ProcessState#LOST_EXIT} and is killed; what never started is removed.
     */
    void restore();

    /** Waits (bounded, per process) for every process's exit; one not seen in time is let go of, reported lost. */
    void awaitExits(Duration timeout);

    /**
     * Lets go of every process and removes what they left, once their monitors have exited (bounded by
     * {@code timeout} each); what could not be done.
     */
    List<RuntimeException> release(Duration timeout);
}
