package dev.cloche.api;

/** Garden's signals. Wire values: 0 = TERMINATE (SIGTERM), 1 = KILL (SIGKILL). */
public enum Signal {
    TERMINATE(15), KILL(9);

    private final int signo;

    Signal(int signo) { this.signo = signo; }

    /** The Linux signal number. */
    public int signo() { return signo; }
}
