package dev.cloche.console.recording;

/**
 * The recording of one console session. Calls may come from several threads (the output pumps, the input pump);
 * after {@link #close()} every call is ignored. Never throws: a recording that cannot be written is logged and stops,
 * the session goes on.
 */
public interface SessionRecording extends AutoCloseable {

    /** Bytes the session's process wrote to the client. */
    void output(byte[] b, int off, int len);

    /** Bytes the client sent to the process (ignored unless input is recorded). */
    void input(byte[] b, int off, int len);

    /** The client's terminal changed size. */
    void resize(int columns, int rows);

    /** Ends the file; idempotent. */
    @Override
    void close();

    /** Records nothing: the session of a task without {@code record}. */
    SessionRecording NONE = new SessionRecording() {
        @Override
        public void output(byte[] b, int off, int len) {}

        @Override
        public void input(byte[] b, int off, int len) {}

        @Override
        public void resize(int columns, int rows) {}

        @Override
        public void close() {}
    };
}
