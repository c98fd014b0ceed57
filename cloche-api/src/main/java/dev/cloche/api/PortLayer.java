package dev.cloche.api;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The port layer of vSphere Integrated Containers, rebuilt on Cloche's versioned container configuration:
 * configuration is staged on a {@link Handle} and applied all-or-nothing by {@link #commit}, which fails with a
 * {@link ConflictException} if the container's configuration changed since the handle was taken.
 *
 * <p>A port-layer container is a Garden container (same handle = same id): Garden clients see it, and Garden
 * containers are port-layer containers. Its <em>main process</em> is the process with id {@link #MAIN_PROCESS};
 * the container is {@link RunState#RUNNING} while that process runs.
 */
public interface PortLayer {

    /** The Garden process id of a container's main process. */
    String MAIN_PROCESS = "main";

    /** A handle for a container that does not exist yet; {@link #commit} creates it. An empty name generates an id. */
    Handle createContainer(String name);

    /** A handle on an existing container at its current version. */
    Handle getHandle(String id);

    /**
     * Applies every staged change or none. A handle from {@link #createContainer} creates the container (an
     * {@link AlreadyExistsException} if the id is taken).
     *
     * @return the container's id and its new version
     * @throws ConflictException if the container's version is no longer the handle's
     */
    Committed commit(Handle handle);

    /** Destroys a stopped container; a running one is a {@link ConflictException}. */
    void destroyContainer(String id);

    /** Ids of the containers in this run state (all containers if empty). */
    List<String> containers(Optional<RunState> state);

    Config config(String id);

    State state(String id);

    /** A file's mode and content, read from the container. */
    FileContent copyOut(String id, String path);

    /** Starts a process beside the main process (the container must be running); returns its process id. */
    String execProcess(String id, String dir, String path, List<String> args);

    /** Signals a process by its id; a container id signals the container's main process. */
    void signal(String processId, Signal signal);

    enum RunState { RUNNING, STOPPED }

    /** What a process runs: working directory (empty = the user's home), executable and arguments. */
    record EntryPoint(String dir, String path, List<String> args) {
        public EntryPoint {
            Objects.requireNonNull(dir, "dir");
            Objects.requireNonNull(path, "path");
            args = List.copyOf(args);
            if (path.isEmpty()) {
                throw new InvalidRequestException("entry point has no path");
            }
        }
    }

    /** A file to copy into a container: absolute path, permission bits, content. */
    record FileCopy(String path, int mode, byte[] content) {
        public FileCopy {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(content, "content");
            if (!path.startsWith("/") || path.endsWith("/") || path.contains("\0")
                    || List.of(path.split("/")).contains("..")) {
                throw new InvalidRequestException("file path must be absolute, name a file and not contain '..': " + path);
            }
            if (mode < 0 || mode > 07777) {
                throw new InvalidRequestException("file mode out of range: " + Integer.toOctalString(mode));
            }
            content = content.clone();
        }

        @Override
        public byte[] content() {
            return content.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FileCopy f && f.path.equals(path) && f.mode == mode && java.util.Arrays.equals(f.content, content);
        }

        @Override
        public int hashCode() {
            return Objects.hash(path, mode, java.util.Arrays.hashCode(content));
        }

        @Override
        public String toString() {
            return "FileCopy[" + path + ", " + Integer.toOctalString(mode) + ", " + content.length + " bytes]";
        }
    }

    /** A file read out of a container. */
    record FileContent(String path, int mode, byte[] content) {
        public FileContent {
            Objects.requireNonNull(path, "path");
            content = content.clone();
        }

        @Override
        public byte[] content() {
            return content.clone();
        }
    }

    /**
     * Staged configuration for one container: a value, changed with the {@code with*} methods. {@code version} is the
     * configuration version the handle was taken at; 0 means the container does not exist yet.
     */
    record Handle(String id, long version, Optional<EntryPoint> entryPoint, OptionalLong memoryLimit,
                  OptionalLong cpuShares, List<FileCopy> files, Map<String, String> setProperties,
                  Set<String> removeProperties, Optional<RunState> runState) {
        public Handle {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(entryPoint, "entryPoint");
            Objects.requireNonNull(memoryLimit, "memoryLimit");
            Objects.requireNonNull(cpuShares, "cpuShares");
            Objects.requireNonNull(runState, "runState");
            if (version < 0) {
                throw new InvalidRequestException("version must not be negative: " + version);
            }
            memoryLimit.ifPresent(m -> Uint64.require(m, "memory limit"));
            cpuShares.ifPresent(c -> Uint64.require(c, "cpu shares"));
            files = List.copyOf(files);
            setProperties = Map.copyOf(setProperties);
            removeProperties = Set.copyOf(removeProperties);
        }

        public static Handle of(String id, long version) {
            return new Handle(id, version, Optional.empty(), OptionalLong.empty(), OptionalLong.empty(), List.of(),
                    Map.of(), Set.of(), Optional.empty());
        }

        public boolean isNew() {
            return version == 0;
        }

        public Handle withEntryPoint(String dir, String path, List<String> args) {
            return new Handle(id, version, Optional.of(new EntryPoint(dir, path, args)), memoryLimit, cpuShares, files,
                    setProperties, removeProperties, runState);
        }

        /** Memory limit in bytes (0 = unlimited). */
        public Handle withMemoryLimit(long bytes) {
            return new Handle(id, version, entryPoint, OptionalLong.of(bytes), cpuShares, files, setProperties,
                    removeProperties, runState);
        }

        /** CPU shares (relative weight; 0 = the default). */
        public Handle withCpuShares(long shares) {
            return new Handle(id, version, entryPoint, memoryLimit, OptionalLong.of(shares), files, setProperties,
                    removeProperties, runState);
        }

        public Handle withFile(String path, int mode, byte[] content) {
            List<FileCopy> f = new ArrayList<>(files);
            f.add(new FileCopy(path, mode, content));
            return new Handle(id, version, entryPoint, memoryLimit, cpuShares, f, setProperties, removeProperties, runState);
        }

        public Handle withProperty(String name, String value) {
            Map<String, String> s = new LinkedHashMap<>(setProperties);
            s.put(name, value);
            Set<String> r = new LinkedHashSet<>(removeProperties);
            r.remove(name);
            return new Handle(id, version, entryPoint, memoryLimit, cpuShares, files, s, r, runState);
        }

        public Handle withoutProperty(String name) {
            Map<String, String> s = new LinkedHashMap<>(setProperties);
            s.remove(name);
            Set<String> r = new LinkedHashSet<>(removeProperties);
            r.add(name);
            return new Handle(id, version, entryPoint, memoryLimit, cpuShares, files, s, r, runState);
        }

        public Handle withRunState(RunState state) {
            return new Handle(id, version, entryPoint, memoryLimit, cpuShares, files, setProperties, removeProperties,
                    Optional.of(state));
        }
    }

    record Committed(String id, long version) {
        public Committed {
            Objects.requireNonNull(id, "id");
        }
    }

    /** The configuration of an exec'd process (the main process's is the container's entry point). */
    record ExecConfig(String id, EntryPoint entryPoint) {
        public ExecConfig {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(entryPoint, "entryPoint");
        }
    }

    /**
     * A container's configuration at one version. Constant part: id and path on the host. Variable part: entry
     * point, limits, properties (every property outside the {@code portlayer.} namespace, Garden-set ones
     * included), files waiting for the next start, exec'd processes.
     */
    record Config(String id, long version, String containerPath, Optional<EntryPoint> entryPoint, long memoryLimit,
                  long cpuShares, Map<String, String> properties, List<String> pendingFiles, List<ExecConfig> execs) {
        public Config {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(containerPath, "containerPath");
            Objects.requireNonNull(entryPoint, "entryPoint");
            properties = Map.copyOf(properties);
            pendingFiles = List.copyOf(pendingFiles);
            execs = List.copyOf(execs);
        }
    }

    enum ProcessStatus { NOT_STARTED, RUNNING, EXITED }

    /** One process's state. Times are those this daemon saw; pid is the host pid when the backend reports it. */
    record ProcessState(String id, ProcessStatus status, OptionalLong pid, OptionalInt exitCode,
                        Optional<Instant> started, Optional<Instant> finished) {
        public ProcessState {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(status, "status");
            Objects.requireNonNull(pid, "pid");
            Objects.requireNonNull(exitCode, "exitCode");
            Objects.requireNonNull(started, "started");
            Objects.requireNonNull(finished, "finished");
        }
    }

    record State(String id, RunState runState, ProcessState main, List<ProcessState> execs) {
        public State {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(runState, "runState");
            Objects.requireNonNull(main, "main");
            execs = List.copyOf(execs);
        }
    }
}
