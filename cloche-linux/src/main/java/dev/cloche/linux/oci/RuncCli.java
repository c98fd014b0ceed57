package dev.cloche.linux.oci;

import dev.cloche.api.GardenError;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.linux.sys.CommandTimedOut;
import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.SealedBinaries;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** Drives runc (or crun) through its command line. */
final class RuncCli implements OciRuntime {
    private static final Pattern STATUS = Pattern.compile("\"status\"\\s*:\\s*\"([a-z]+)\"");
    private static final Pattern PID = Pattern.compile("\"pid\"\\s*:\\s*(\\d+)");
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private final CommandRunner runner;
    private final Path binary;
    private final Path root;
    private final SealedBinaries sealed;

    RuncCli(CommandRunner runner, Path binary, Path root, SealedBinaries sealed) {
        this.runner = runner;
        this.binary = binary;
        this.root = root;
        this.sealed = sealed;
    }

    /** What each call executes: the binary, or its sealed copy; messages name the binary. */
    private String executable() {
        return sealed.executable(binary).toString();
    }

    private List<String> argv(String... args) {
        List<String> a = new ArrayList<>(List.of(executable(), "--root", root.toString()));
        a.addAll(List.of(args));
        return a;
    }

    /** The runtime's options for a new container's keyring (both runtimes spell it the same). */
    private static List<String> keyringOptions(SessionKeyring keyring) {
        return keyring == SessionKeyring.INHERITED ? List.of("--no-new-keyring") : List.of();
    }

    private List<String> newContainerArgv(String command, SessionKeyring keyring, String... args) {
        List<String> a = argv(command);
        a.addAll(keyringOptions(keyring));
        a.addAll(List.of(args));
        return a;
    }

    @Override
    public void create(String id, Path bundleDir, Path pidFile, SessionKeyring keyring) {
        checkNew("create", id, newContainerArgv("create", keyring, "--bundle", bundleDir.toString(), "--pid-file", pidFile.toString(), id));
    }

    /** Runs a call that makes a container; a host limit it met is a typed error naming the limit. */
    private void checkNew(String verb, String id, List<String> argv) {
        CommandResult r = call(verb, id, argv);
        if (r.exitCode() != 0) {
            throw RuntimeFailures.of("the OCI runtime " + binary + " failed to " + verb + " container " + id
                    + " (exit " + r.exitCode() + ")", r.stderr());
        }
    }

    /**
     * One runtime call, bounded by the runner: a call that hangs has been killed with everything it started, and
     * is reported as the runtime being unavailable, naming the verb and the bound (the backend's runtimeTimeout).
     */
    private CommandResult call(String verb, String id, List<String> argv) {
        try {
            return runner.run(argv);
        } catch (CommandTimedOut e) {
            throw new ServiceUnavailableException("the OCI runtime " + binary + " did not finish " + verb + " of container "
                    + id + " within " + e.bound().toSeconds() + " s (backend setting runtimeTimeout); it was killed", e);
        }
    }

    @Override
    public void start(String id) {
        CommandResult r = call("start", id, argv("start", id));
        if (r.exitCode() != 0) {
            throw GardenError.internal("the OCI runtime " + binary + " failed to start container " + id + " (exit "
                    + r.exitCode() + "): " + r.stderr().strip());
        }
    }

    @Override
    public void runDetached(String id, Path bundleDir, Path pidFile, SessionKeyring keyring) {
        checkNew("run", id, newContainerArgv("run", keyring, "--detach", "--bundle", bundleDir.toString(), "--pid-file", pidFile.toString(), id));
    }

    @Override
    public boolean kill(String id, String signal, boolean all) {
        List<String> a = all ? argv("kill", "--all", id, signal) : argv("kill", id, signal);
        return call("kill", id, a).exitCode() == 0;
    }

    @Override
    public void delete(String id) {
        CommandResult r = call("delete", id, argv("delete", id));
        if (r.exitCode() != 0 && state(id).isPresent()) {
            throw GardenError.internal("the OCI runtime " + binary + " failed to delete container " + id + " (exit "
                    + r.exitCode() + "): " + r.stderr().strip());
        }
    }

    @Override
    public void forget(String id) {
        if (!id.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) throw new IllegalArgumentException("not a runtime id: " + id);
        Path dir = root.resolve(id);
        try (var walk = java.nio.file.Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) java.nio.file.Files.delete(p);
        } catch (java.nio.file.NoSuchFileException e) {
            // nothing recorded
        } catch (java.io.IOException e) {
            throw GardenError.internal("cannot remove the runtime state " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<State> state(String id) {
        CommandResult r = call("state", id, argv("state", id));
        if (r.exitCode() != 0) {
            return Optional.empty();
        }
        Matcher s = STATUS.matcher(r.stdout());
        Matcher p = PID.matcher(r.stdout());
        return Optional.of(new State(s.find() ? s.group(1) : "unknown", p.find() ? Long.parseLong(p.group(1)) : 0));
    }

    @Override
    public Map<String, State> list() {
        CommandResult r = call("list", "(all)", argv("list", "--format", "json"));
        if (r.exitCode() != 0) {
            throw GardenError.internal("the OCI runtime " + binary + " failed to list its containers (exit "
                    + r.exitCode() + "): " + r.stderr().strip());
        }
        Map<String, State> out = new HashMap<>();
        try {
            // runc prints null for none, crun an empty array
            for (JsonNode c : JSON.readTree(r.stdout())) {
                out.put(c.path("id").asString(), new State(c.path("status").asString("unknown"), c.path("pid").asLong(0)));
            }
        } catch (JacksonException e) {
            throw GardenError.internal("the OCI runtime " + binary + " listed its containers as unreadable JSON: "
                    + e.getOriginalMessage(), e);
        }
        return out;
    }

    @Override
    public java.lang.Process exec(String id, Path processJson, Path pidFile) {
        return runner.start(argv("exec", "--process", processJson.toString(), "--pid-file", pidFile.toString(), id));
    }

    @Override
    public java.lang.Process run(String id, Path bundleDir, SessionKeyring keyring) {
        return runner.start(newContainerArgv("run", keyring, "--bundle", bundleDir.toString(), id));
    }

    @Override
    public List<String> execDetachedArgv(String id, Path processJson, Path pidFile, Path log, boolean tty) {
        // runc and crun both take --log and --log-format before the command; the "=" form parses in both
        List<String> a = new ArrayList<>(List.of(executable(), "--root", root.toString(), "--log=" + log,
                "--log-format=json", "exec", "--detach", "--pid-file", pidFile.toString(), "--process", processJson.toString()));
        if (tty) a.addAll(List.of("--console-socket", "@CONSOLE@"));
        a.add(id);
        return a;
    }

    @Override
    public List<String> runDetachedArgv(String id, Path bundleDir, Path pidFile, Path log, boolean tty,
                                        SessionKeyring keyring) {
        List<String> a = new ArrayList<>(List.of(executable(), "--root", root.toString(), "--log=" + log,
                "--log-format=json", "run"));
        a.addAll(keyringOptions(keyring));
        a.addAll(List.of("--detach", "--pid-file", pidFile.toString(), "--bundle", bundleDir.toString()));
        if (tty) a.addAll(List.of("--console-socket", "@CONSOLE@"));
        a.add(id);
        return a;
    }
}
