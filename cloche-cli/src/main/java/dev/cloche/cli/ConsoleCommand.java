package dev.cloche.cli;

import dev.cloche.console.Subjects;
import dev.cloche.console.TaskCodec;
import dev.cloche.console.TaskReply;
import dev.cloche.console.TaskStart;
import dev.cloche.console.TaskStop;
import dev.cloche.console.recording.AsciicastPlayer;
import dev.cloche.console.recording.Recordings;
import io.nats.client.Connection;
import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code cloche console start|stop}: throwaway consoles through the console agents' NATS protocol. */
@Command(name = "console", description = "Throwaway consoles: start a task (a fresh container you ssh into), stop one, list and replay session recordings.",
        subcommands = {ConsoleCommand.Start.class, ConsoleCommand.Stop.class, ConsoleCommand.RecordingsCommand.class})
final class ConsoleCommand {
    @Option(names = "--nats", paramLabel = "URL", description = "NATS server (default: ${DEFAULT-VALUE}; env CLOCHE_NATS_URL).")
    String nats = System.getenv().getOrDefault("CLOCHE_NATS_URL", "nats://127.0.0.1:4222");

    @Option(names = "--timeout", paramLabel = "SECONDS", description = "How long to wait for an agent's answer (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds = 60;

    /** Seeded on first use only: picocli instantiates every verb at start-up, `cloche ping` needs no randomness. */
    private static final class Random {
        static final SecureRandom INSTANCE = new SecureRandom();
    }

    Connection connect() throws Exception {
        return Nats.connect(Options.builder().server(nats).connectionTimeout(Duration.ofSeconds(5)).maxReconnects(0).build());
    }

    @Command(name = "start", description = "Start a task on a console agent and print how to ssh into it.")
    static final class Start implements Callable<Integer> {
        @ParentCommand
        ConsoleCommand parent;

        @Option(names = "--memory", paramLabel = "MiB", description = "Memory limit (default: unlimited).")
        Long memory;

        @Option(names = "--disk", paramLabel = "MiB", description = "Disk limit (default: unlimited; recorded, not enforced yet by the Linux backend).")
        Long disk;

        @Option(names = "--agent", paramLabel = "ID", description = "Ask this agent (task.start.ID) instead of any (queue group).")
        String agent = "";

        @Option(names = "--task", paramLabel = "ID", description = "Task id (default: a fresh random one).")
        String task = "";

        @Option(names = "--image", paramLabel = "REF", description = "The task container's image, e.g. docker:///busybox#1.36 (default: the agent's rootfs).")
        String image = "";

        @Option(names = "--allow-forwarding", description = "Allow ssh -L to ports of the task's container (docs/console.md).")
        boolean allowForwarding;

        @Option(names = "--record", description = "Record each session (asciinema v2, under the agent's <depot>/console/recordings).")
        boolean record;

        @Option(names = "--record-input", description = "Record what clients type too (implies --record; passwords typed are recorded).")
        boolean recordInput;

        /** The task.start this command publishes. */
        TaskStart taskStart(String id, String token) {
            TaskStart start = new TaskStart(id, token, memory == null ? OptionalLong.empty() : OptionalLong.of(memory),
                    disk == null ? OptionalLong.empty() : OptionalLong.of(disk), image);
            start = allowForwarding ? start.withForwarding() : start;
            return record || recordInput ? start.withRecording(recordInput) : start;
        }

        @Override
        public Integer call() throws Exception {
            String id = task.isEmpty() ? "t-" + HexFormat.of().formatHex(bytes(5)) : task;
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes(24));
            TaskStart start = taskStart(id, token);
            try (Connection nc = parent.connect()) {
                String subject = agent.isEmpty() ? Subjects.START : Subjects.startOn(agent);
                Message m = nc.request(subject, TaskCodec.encode(start), Duration.ofSeconds(parent.timeoutSeconds));
                if (m == null) {
                    System.err.println("cloche: no console agent answered on " + subject + " within " + parent.timeoutSeconds + " s");
                    return 1;
                }
                TaskReply r = TaskCodec.decodeReply(m.getData());
                if (!r.ok()) {
                    System.err.println("cloche: task " + id + " not started by agent " + r.agent() + ": " + r.error().orElse("?"));
                    return 1;
                }
                String host = r.sshHost().orElse("127.0.0.1");
                System.out.println("task " + id + " started on agent " + r.agent());
                System.out.println("password: " + token);
                System.out.println("ssh -p " + r.sshPort() + " " + id + "@" + host);
                return 0;
            }
        }
    }

    @Command(name = "stop", description = "Stop a task: its sessions are disconnected and its container destroyed.")
    static final class Stop implements Callable<Integer> {
        @ParentCommand
        ConsoleCommand parent;

        @Parameters(paramLabel = "TASK")
        String task;

        @Override
        public Integer call() throws Exception {
            try (Connection nc = parent.connect()) {
                Message m = nc.request(Subjects.STOP, TaskCodec.encode(new TaskStop(task)), Duration.ofSeconds(parent.timeoutSeconds));
                if (m == null) {
                    System.err.println("cloche: no console agent has task " + task);
                    return 1;
                }
                TaskReply r = TaskCodec.decodeReply(m.getData());
                if (!r.ok()) {
                    System.err.println("cloche: " + r.error().orElse("task " + task + " not stopped"));
                    return 1;
                }
                System.out.println("task " + task + " stopped on agent " + r.agent());
                return 0;
            }
        }
    }

    @Command(name = "recordings", description = "List the session recordings on this host (a local read of the agent's depot).",
            subcommands = {ConsoleCommand.Play.class})
    static final class RecordingsCommand implements Callable<Integer> {
        @Option(names = "--dir", paramLabel = "DIR", description = "The recordings directory (default: ${DEFAULT-VALUE}; the daemon's <--console-state-dir>/recordings).")
        Path dir = Path.of(System.getenv().getOrDefault("CLOCHE_CONSOLE_RECORDINGS", "/var/lib/cloche/console/recordings"));

        @Option(names = "--task", paramLabel = "ID", description = "Only this task's recordings.")
        String task;

        @Override
        public Integer call() {
            List<Recordings.RecordingFile> all = Recordings.list(dir, Optional.ofNullable(task));
            System.out.printf("%-24s %-26s %10s  %s%n", "TASK", "STARTED", "BYTES", "FILE");
            for (Recordings.RecordingFile f : all) {
                System.out.printf("%-24s %-26s %10d  %s%n", f.task(), f.started(), f.bytes(), f.path());
            }
            return 0;
        }
    }

    @Command(name = "play", description = "Replay a recording in this terminal with its timing (or cat the file: it is asciinema v2).")
    static final class Play implements Callable<Integer> {
        @Parameters(paramLabel = "FILE")
        Path file;

        @Option(names = "--speed", paramLabel = "X", description = "Play X times faster (default: ${DEFAULT-VALUE}).")
        double speed = 1;

        @Option(names = "--max-wait", paramLabel = "SECONDS", description = "Longest pause between two outputs (default: ${DEFAULT-VALUE}).")
        double maxWait = 2;

        @Option(names = "--no-wait", description = "Print all output at once.")
        boolean noWait;

        @Override
        public Integer call() throws Exception {
            AsciicastPlayer.Pace pace = new AsciicastPlayer.Pace(speed,
                    noWait ? Duration.ZERO : Duration.ofNanos((long) (maxWait * 1e9)));
            try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                AsciicastPlayer.play(in, System.out, pace, d -> Thread.sleep(d));
                return 0;
            } catch (IllegalArgumentException e) {
                System.err.println("cloche: " + file + ": " + e.getMessage());
                return 1;
            }
        }
    }

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        Random.INSTANCE.nextBytes(b);
        return b;
    }
}
