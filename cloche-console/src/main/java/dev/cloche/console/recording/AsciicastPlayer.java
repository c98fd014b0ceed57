package dev.cloche.console.recording;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Replays an asciinema v2 recording: writes each output event's text, waiting between events as the recording did
 * (divided by the speed, each wait capped), or at once. Input and resize events are not replayed.
 */
public final class AsciicastPlayer {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    /** Waits; a boundary so tests need not sleep. */
    public interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    /**
     * @param speed how many times faster than recorded (1 = as recorded)
     * @param maxWait the longest pause between two events (zero: no waiting at all)
     */
    public record Pace(double speed, Duration maxWait) {
        public Pace {
            if (!(speed > 0) || maxWait.isNegative()) {
                throw new IllegalArgumentException("speed must be positive and the longest wait not negative");
            }
        }
    }

    private AsciicastPlayer() {}

    /** Plays {@code in} onto {@code out}; returns the number of output events. */
    public static int play(BufferedReader in, OutputStream out, Pace pace, Sleeper sleeper)
            throws IOException, InterruptedException {
        JsonNode header = parse(in.readLine(), 1);
        if (header == null || !header.isObject() || header.path("version").asInt(0) != 2) {
            throw new IllegalArgumentException("not an asciinema v2 recording: the first line must be a header with \"version\":2");
        }
        double last = 0;
        int events = 0;
        String line;
        for (int n = 2; (line = in.readLine()) != null; n++) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode e = parse(line, n);
            if (!e.isArray() || e.size() != 3 || !e.get(0).isNumber() || !e.get(1).isString() || !e.get(2).isString()) {
                throw new IllegalArgumentException("line " + n + ": not an event [time, type, data]");
            }
            if (!e.get(1).asString().equals("o")) {
                continue;
            }
            double t = e.get(0).asDouble();
            long waitNanos = (long) Math.max(0, (t - last) * 1e9 / pace.speed());
            Duration wait = Duration.ofNanos(Math.min(waitNanos, pace.maxWait().toNanos()));
            if (!wait.isZero()) {
                out.flush();
                sleeper.sleep(wait);
            }
            last = t;
            out.write(e.get(2).asString().getBytes(StandardCharsets.UTF_8));
            events++;
        }
        out.flush();
        return events;
    }

    private static JsonNode parse(String line, int n) {
        if (line == null) {
            throw new IllegalArgumentException("empty file: not an asciinema recording");
        }
        try {
            return JSON.readTree(line);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("line " + n + " is not JSON");
        }
    }
}
