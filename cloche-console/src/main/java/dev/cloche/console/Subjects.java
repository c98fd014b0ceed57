package dev.cloche.console;

/**
 * The NATS subjects of the console protocol.
 *
 * <p>Who takes a start: every agent subscribes to {@link #START} in the queue group {@link #QUEUE}, so NATS hands
 * each such message to exactly one agent (any of them); and to {@code task.start.<agent id>}, which only that agent
 * receives. A scheduler that wants the agent with the most available memory reads {@link #ADVERTISE} and publishes
 * to that agent's subject. An agent that cannot fit a task refuses it in its reply (it does not pass it on).
 * {@link #STOP} goes to every agent; only the owner of the task acts and replies.
 */
public final class Subjects {
    public static final String START = "task.start";
    public static final String STOP = "task.stop";
    public static final String ADVERTISE = "task.advertise";
    public static final String QUEUE = "cloche-console-agents";

    private Subjects() {}

    /** The subject that reaches only the given agent. */
    public static String startOn(String agentId) {
        return START + "." + agentId;
    }
}
