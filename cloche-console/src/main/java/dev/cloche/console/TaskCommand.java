package dev.cloche.console;

import dev.cloche.api.Container;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenException;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.console.recording.Recordings;
import dev.cloche.console.recording.SessionRecording;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SSH shell or exec request, run as a Garden process in the task's container: a shell is {@code /bin/sh -l},
 * a command is {@code /bin/sh -c CMD}; either gets a TTY (the client's window size, resizes forwarded) exactly when
 * the client asked for a PTY. stdin/stdout/stderr are streamed; the exit status goes back to the client.
 */
final class TaskCommand implements Command {
    private static final Logger log = LoggerFactory.getLogger(TaskCommand.class);
    static final int NOT_FOUND = 127;
    static final int CANNOT_RUN = 126;

    private final Optional<String> command;
    private final Recordings recordings;
    private final Tasks tasks;
    private volatile Task task;
    /** This session's shell when it may outlive the connection; else empty. */
    private volatile Optional<ReattachableShell> shell = Optional.empty();
    private volatile SessionRecording recording = SessionRecording.NONE;
    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    private ExitCallback exit;
    private volatile Process process;
    private volatile boolean hungUp;

    TaskCommand(Optional<String> command, Recordings recordings, Tasks tasks) {
        this.command = command;
        this.recordings = recordings;
        this.tasks = tasks;
    }

    @Override
    public void setInputStream(InputStream in) {
        this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
        this.out = new Flushing(out);
    }

    @Override
    public void setErrorStream(OutputStream err) {
        this.err = new Flushing(err);
    }

    @Override
    public void setExitCallback(ExitCallback exit) {
        this.exit = exit;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
        SshConsole.Attached attached = channel.getSession().getAttribute(SshConsole.ATTACHED);
        if (attached == null) {
            throw new IllegalStateException("SSH channel without an authenticated task");
        }
        boolean tty = !env.getPtyModes().isEmpty() || env.getEnv().containsKey(Environment.ENV_COLUMNS);
        ProcessSpec spec = spec(command, tty, env);
        Thread.ofVirtual().name("console-" + attached.task().id()).start(() -> run(attached.task(), spec, tty, env));
    }

    static ProcessSpec spec(Optional<String> command, boolean tty, Environment env) {
        ProcessSpec spec = command.map(c -> ProcessSpec.of("/bin/sh", "-c", c)).orElseGet(() -> ProcessSpec.of("/bin/sh", "-l"));
        if (!tty) {
            return spec;
        }
        List<String> vars = new ArrayList<>();
        vars.add("TERM=" + env.getEnv().getOrDefault(Environment.ENV_TERM, "xterm"));
        return spec.withEnv(vars).withTty(Optional.of(size(env)));
    }

    private static TtySpec size(Environment env) {
        int columns = parse(env.getEnv().get(Environment.ENV_COLUMNS), 80);
        int rows = parse(env.getEnv().get(Environment.ENV_LINES), 24);
        return TtySpec.of(columns, rows);
    }

    private static int parse(String s, int fallback) {
        try {
            int n = s == null ? fallback : Integer.parseInt(s);
            return n > 0 ? n : fallback;
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private void run(Task task, ProcessSpec spec, boolean tty, Environment env) {
        this.task = task;
        int code;
        try {
            Container container = task.container();
            SessionRecording rec = record(task, tty, env);
            InputStream input = new RecordedInput(in, rec);
            OutputStream output = new Recorded(out, rec);
            Process p;
            if (tty && command.isEmpty() && tasks.shells().reconnects()) {
                p = runShell(task, container, spec, input, output, env);
            } else {
                p = container.run(spec, new ProcessIO(Optional.of(input), Optional.of(output),
                        tty ? Optional.empty() : Optional.of(new Recorded(err, rec))));
            }
            process = p;
            if (hungUp) {
                destroy(null); // the client left while the process was starting
            }
            if (tty) {
                env.addSignalListener((channel, signal) -> resize(p, env, rec), org.apache.sshd.server.Signal.WINCH);
            }
            code = p.await();
        } catch (ExecutableNotFoundException e) {
            code = fail(e, NOT_FOUND);
        } catch (GardenException | IllegalStateException | java.io.UncheckedIOException e) {
            // a recorded task's session does not run unrecorded: a recording that cannot be opened refuses it
            code = fail(e, CANNOT_RUN);
        }
        recording.close();
        shell.ifPresent(s -> tasks.shells().ended(task, s));
        if (!hungUp) {
            exit.onExit(code);
        }
    }

    /**
     * An interactive shell that may outlive this connection: the task's shell waiting for a reconnect, attached with
     * the output this session's predecessor did not get, or a new one.
     */
    private Process runShell(Task task, Container container, ProcessSpec spec, InputStream input, OutputStream output,
                             Environment env) {
        Optional<ReattachableShell> waiting = tasks.shells().reattach(task);
        if (waiting.isPresent()) {
            ReattachableShell s = waiting.get();
            shell = waiting;
            Process p;
            try {
                p = container.attach(s.processId(), new ProcessIO(Optional.empty(),
                        Optional.of(s.output(output, s.delivered())), Optional.empty()));
            } catch (GardenException e) {
                tasks.shells().ended(task, s); // it ended just now
                throw e;
            }
            s.input.attach(input);
            p.setTty(size(env));
            log.info("console shell reattached task={} skipped_bytes={}", task.id(), s.delivered());
            return p;
        }
        ReattachableShell s = new ReattachableShell();
        Process p = container.run(spec, new ProcessIO(Optional.of(s.input), Optional.of(s.output(output, 0)), Optional.empty()));
        s.started(p);
        s.input.attach(input);
        if (!tasks.shells().add(task, s)) {
            s.kill();
            return p;
        }
        shell = Optional.of(s);
        return p;
    }

    /** The session's recording when its task records (the terminal's size, or 80x24 without one). */
    private SessionRecording record(Task task, boolean tty, Environment env) {
        if (!task.record()) {
            return SessionRecording.NONE;
        }
        int columns = tty ? parse(env.getEnv().get(Environment.ENV_COLUMNS), 80) : 80;
        int rows = tty ? parse(env.getEnv().get(Environment.ENV_LINES), 24) : 24;
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("SHELL", "/bin/sh");
        vars.put("TERM", env.getEnv().getOrDefault(Environment.ENV_TERM, tty ? "xterm" : "dumb"));
        command.ifPresent(c -> vars.put("CLOCHE_COMMAND", c));
        SessionRecording rec = recordings.open(task.id(), columns, rows, vars, task.recordInput());
        recording = rec;
        if (hungUp) {
            rec.close(); // the client left while the recording was opened
        }
        return rec;
    }

    private static void resize(Process p, Environment env, SessionRecording rec) {
        try {
            rec.resize(parse(env.getEnv().get(Environment.ENV_COLUMNS), 80), parse(env.getEnv().get(Environment.ENV_LINES), 24));
            p.setTty(size(env));
        } catch (GardenException e) {
            log.debug("console resize failed (process gone?)", e);
        }
    }

    private int fail(RuntimeException e, int code) {
        try {
            err.write(("cloche console: " + e.getMessage() + "\r\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException ignored) {
            // the client is gone; nobody to tell
        }
        return code;
    }

    /**
     * The client went away (or the channel closed): a hang-up for a process that still runs, except for a shell that
     * waits for a reconnect (the reconnect grace), which is only detached from this session.
     */
    @Override
    public void destroy(ChannelSession channel) {
        hungUp = true;
        recording.close();
        Process p = process;
        if (p == null) {
            return;
        }
        Optional<ReattachableShell> s = shell;
        if (s.isPresent() && !p.onExit().isDone()) {
            p.close(); // this session's output stops; the shell and its stdin run on
            if (!tasks.shells().park(task, s.get())) {
                s.get().kill();
                tasks.shells().ended(task, s.get());
            }
            return;
        }
        if (!p.onExit().isDone()) {
            try {
                p.signal(Signal.KILL);
            } catch (GardenException e) {
                log.debug("console could not kill a hung-up process (already gone?)", e);
            }
        }
        p.close();
    }

    /** Output on its way to the client, also into the session's recording. */
    private static final class Recorded extends FilterOutputStream {
        private final SessionRecording rec;

        Recorded(OutputStream out, SessionRecording rec) {
            super(out);
            this.rec = rec;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            rec.output(b, off, len);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }
    }

    /** The client's input on its way to the process, also into the recording (which drops it unless asked for). */
    private static final class RecordedInput extends FilterInputStream {
        private final SessionRecording rec;

        RecordedInput(InputStream in, SessionRecording rec) {
            super(in);
            this.rec = rec;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                rec.input(b, off, n);
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }
    }

    /** MINA's channel streams buffer until flushed; an interactive process needs every write on the wire at once. */
    private static final class Flushing extends FilterOutputStream {
        Flushing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            out.flush();
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            out.flush();
        }
    }
}
