package dev.cloche.soak;

import dev.cloche.testkit.HostCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The daemon's own resources, read from outside: RSS, threads and open fds from /proc, and its heap after a full
 * collection (jcmd GC.run, then the heap pools' {@code jvm_memory_used_bytes} on the debug listener's /metrics).
 */
final class DaemonProbe {
    private static final Pattern HEAP_USED =
            Pattern.compile("(?m)^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*\\} (\\S+)$");

    private final long pid;
    private final Path jcmd;
    private final URI metrics;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    DaemonProbe(long pid, Path javaHome, URI debug) {
        this.pid = pid;
        this.jcmd = javaHome.resolve("bin/jcmd");
        this.metrics = debug.resolve("/metrics");
    }

    long pid() {
        return pid;
    }

    /** One sample of every series, in bytes or counts. */
    Map<String, Double> sample() {
        Map<String, Double> s = new LinkedHashMap<>();
        String status = read(Path.of("/proc", Long.toString(pid), "status"));
        s.put("rss_bytes", statusField(status, "VmRSS") * 1024);
        s.put("heap_after_gc_bytes", heapAfterGc());
        s.put("open_fds", (double) openFds());
        s.put("threads", statusField(status, "Threads"));
        return s;
    }

    long openFds() {
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new UncheckedIOException("the daemon (pid " + pid + ") is gone", e);
        }
    }

    long threads() {
        return (long) statusField(read(Path.of("/proc", Long.toString(pid), "status")), "Threads");
    }

    long rssBytes() {
        return (long) statusField(read(Path.of("/proc", Long.toString(pid), "status")), "VmRSS") * 1024;
    }

    double heapAfterGc() {
        HostCommand.Result gc = HostCommand.run(jcmd.toString(), Long.toString(pid), "GC.run");
        if (!gc.ok()) throw new IllegalStateException("jcmd " + pid + " GC.run failed: " + gc.stdout() + gc.stderr());
        try {
            String text = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return heapUsed(text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + metrics, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The sum of the heap pools' used bytes in a Prometheus text page. */
    static double heapUsed(String prometheusText) {
        Matcher m = HEAP_USED.matcher(prometheusText);
        double sum = 0;
        boolean any = false;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
            any = true;
        }
        if (!any) throw new IllegalStateException("no jvm_memory_used_bytes{area=\"heap\"} in /metrics");
        return sum;
    }

    /** A {@code Name:   123 kB} field of /proc/PID/status, as its number. */
    static double statusField(String status, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + ":\\s+(\\d+)").matcher(status);
        if (!m.find()) throw new IllegalStateException("no " + name + " in /proc/" + "PID/status");
        return Double.parseDouble(m.group(1));
    }

    private String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException("the daemon (pid " + pid + ") is gone", e);
        }
    }
}
