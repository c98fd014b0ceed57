package dev.cloche.docker;

import dev.cloche.api.GardenError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live half of an exec: starts it on its own hijacked connection, copies what the engine sends into the
 * process's output files (demultiplexing stdout and stderr unless it has a TTY), and, once the stream ends, asks
 * the engine for the exit code and records it in the process directory ({@code exit}) for a restarted daemon.
 */
final class ExecSession {
    private static final Logger LOG = LoggerFactory.getLogger(ExecSession.class);

    private ExecSession() {}

    /** The exec's stdin, its output pump started, its exit completing {@code exit}. */
    static OutputStream start(Engine engine, String execId, boolean tty, Path dir, OutputFile stdout, OutputFile stderr,
                              CompletableFuture<Integer> exit, LongSupplier exitCode) {
        EngineConnection conn;
        try {
            conn = engine.connect();
            StringBuilder refusal = new StringBuilder();
            int status = conn.upgrade(Engine.API + "/exec/" + execId + "/start",
                    "{\"Detach\":false,\"Tty\":" + tty + "}", refusal);
            if (status >= 300) {
                conn.close();
                throw GardenError.internal("the engine refused to start exec " + execId + " (" + status + "): " + refusal);
            }
        } catch (IOException e) {
            throw GardenError.internal("could not start exec " + execId + ": " + e.getMessage(), e);
        }
        Thread.ofVirtual().name("exec-" + execId.substring(0, Math.min(12, execId.length()))).start(() -> {
            try (conn) {
                pump(conn.input(), tty, stdout, stderr);
            } catch (IOException e) {
                LOG.warn("output of exec {} ended early: {}", execId, e.toString());
            } finally {
                stdout.end();
                stderr.end();
                // once the backend closed, a restarted one follows the exec from its files
                if (!engine.closed()) {
                    int code = (int) exitCode.getAsLong();
                    try {
                        Files.writeString(dir.resolve("exit"), Integer.toString(code));
                    } catch (IOException e) {
                        LOG.warn("could not record the exit status of exec {}: {}", execId, e.toString());
                    }
                    exit.complete(code);
                }
            }
        });
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                try {
                    conn.output().write(b, off, len);
                } catch (IOException e) {
                    if (!exit.isDone()) throw e; // after the exit, writes are discarded
                }
            }

            @Override
            public void close() {
                try {
                    conn.shutdownOutput();
                } catch (IOException e) {
                    // the connection is already gone: the process has its EOF
                }
            }
        };
    }

    /** Docker's stream format: raw under a TTY, else frames of [type, 0, 0, 0, length (4 bytes)] and the payload. */
    static void pump(InputStream in, boolean tty, OutputFile stdout, OutputFile stderr) throws IOException {
        byte[] buffer = new byte[65536];
        if (tty) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) stdout.append(buffer, 0, n);
            return;
        }
        byte[] header = new byte[8];
        while (true) {
            int got = in.readNBytes(header, 0, 8);
            if (got == 0) return;
            if (got < 8) throw new IOException("truncated frame header");
            long length = ((header[4] & 0xffL) << 24) | ((header[5] & 0xff) << 16) | ((header[6] & 0xff) << 8) | (header[7] & 0xff);
            OutputFile target = header[0] == 2 ? stderr : stdout;
            while (length > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, length));
                if (n < 0) throw new IOException("truncated frame");
                if (header[0] != 0) target.append(buffer, 0, n); // type 0 is the (unused) stdin echo
                length -= n;
            }
        }
    }
}
