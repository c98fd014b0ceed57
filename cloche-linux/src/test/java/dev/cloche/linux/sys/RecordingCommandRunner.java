package dev.cloche.linux.sys;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Records every argv and answers with a scripted result; never forks. Callers may run commands concurrently. */
public final class RecordingCommandRunner implements CommandRunner {
    private final List<List<String>> calls = new ArrayList<>();
    private final Function<List<String>, CommandResult> answer;

    public RecordingCommandRunner(Function<List<String>, CommandResult> answer) {
        this.answer = answer;
    }

    /** Answers every command with success and no output, except du, which reports 0 (parsed by the backend). */
    public RecordingCommandRunner() {
        this(argv -> CommandResult.ok(argv.getFirst().equals("du") ? "0\t." : ""));
    }

    public List<List<String>> calls() {
        synchronized (calls) {
            return List.copyOf(calls);
        }
    }

    private void record(List<String> argv) {
        synchronized (calls) {
            calls.add(List.copyOf(argv));
        }
    }

    @Override
    public CommandResult run(List<String> argv) {
        record(argv);
        return answer.apply(argv);
    }

    @Override
    public java.lang.Process start(List<String> argv) {
        record(argv);
        throw new UnsupportedOperationException("the recording runner does not start processes");
    }
}
