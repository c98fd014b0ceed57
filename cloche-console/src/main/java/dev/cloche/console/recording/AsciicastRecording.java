package dev.cloche.console.recording;

import java.io.IOException;
import java.io.Writer;
import java.time.Instant;
import java.util.Map;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * An asciinema v2 file (asciicast): a header line {@code {"version":2,"width":W,"height":H,"timestamp":T,"env":{...}}},
 * then one JSON array per event, {@code [seconds, "o"|"i"|"r", data]}, each written through at once so a crash of
 * the agent loses at most the event being written.
 */
final class AsciicastRecording implements SessionRecording {
    private static final Logger log = LoggerFactory.getLogger(AsciicastRecording.class);
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private final Writer out;
    private final boolean recordInput;
    private final LongSupplier nanos;
    private final long start;
    private final Utf8Chunks outputText = new Utf8Chunks();
    private final Utf8Chunks inputText = new Utf8Chunks();
    private final String name;
    private boolean closed;

    /**
     * @param nanos a monotonic clock ({@link System#nanoTime} outside tests); event times count from this call
     */
    AsciicastRecording(Writer out, String name, int columns, int rows, Instant started, Map<String, String> env,
                       boolean recordInput, LongSupplier nanos) throws IOException {
        this.out = out;
        this.name = name;
        this.recordInput = recordInput;
        this.nanos = nanos;
        this.start = nanos.getAsLong();
        ObjectNode header = JSON.createObjectNode().put("version", 2).put("width", columns).put("height", rows)
                .put("timestamp", started.getEpochSecond());
        ObjectNode e = header.putObject("env");
        env.forEach(e::put);
        line(header.toString());
    }

    @Override
    public synchronized void output(byte[] b, int off, int len) {
        event("o", outputText.decode(b, off, len));
    }

    @Override
    public synchronized void input(byte[] b, int off, int len) {
        if (recordInput) {
            event("i", inputText.decode(b, off, len));
        }
    }

    @Override
    public synchronized void resize(int columns, int rows) {
        event("r", columns + "x" + rows);
    }

    private void event(String type, String data) {
        if (closed || data.isEmpty()) {
            return;
        }
        ArrayNode a = JSON.createArrayNode();
        a.add((nanos.getAsLong() - start) / 1_000L / 1e6).add(type).add(data);
        try {
            line(a.toString());
        } catch (IOException e) {
            log.warn("console recording {} stopped: {}", name, e.toString());
            close();
        }
    }

    private void line(String json) throws IOException {
        out.write(json);
        out.write('\n');
        out.flush();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            log.warn("console recording {} did not close cleanly: {}", name, e.toString());
        }
    }
}
