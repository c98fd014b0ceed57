package dev.cloche.wire;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** One recorded TCP connection (the proxy may log a response before its request) from the golden captures (src/test/resources/garden-wire, a copy of shared/garden-wire): the byte segments in each direction. */
public record Capture(Path file, List<Segment> segments) {

    public static final Path ROOT = Path.of(System.getProperty("garden.wire.dir", "src/test/resources/garden-wire"));

    public record Segment(boolean fromClient, byte[] bytes) {
        public String text() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    /** An HTTP message head (request or response) plus whatever bytes followed it in the same segment. */
    public record Http(String startLine, Map<String, String> headers, byte[] rest) {
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }

        public String restUtf8() {
            return new String(rest, StandardCharsets.UTF_8);
        }

        /** The body as framed by Content-Length (or everything for chunked/unframed). */
        public String body() {
            return header("Content-Length").map(l -> new String(rest, 0, Integer.parseInt(l), StandardCharsets.UTF_8)).orElse(restUtf8());
        }

        public static Http parse(byte[] b) {
            String s = new String(b, StandardCharsets.ISO_8859_1);
            int end = s.indexOf("\r\n\r\n");
            String[] lines = s.substring(0, end).split("\r\n");
            Map<String, String> h = new LinkedHashMap<>();
            for (int i = 1; i < lines.length; i++) {
                int c = lines[i].indexOf(':');
                h.put(lines[i].substring(0, c).toLowerCase(Locale.ROOT), lines[i].substring(c + 1).strip());
            }
            byte[] rest = java.util.Arrays.copyOfRange(b, end + 4, b.length);
            return new Http(lines[0], h, rest);
        }
    }

    private static final Pattern MARK = Pattern.compile("---- (C->S|S->C) (\\d+) bytes ----\n");

    public static Capture load(Path file) {
        try {
            byte[] all = Files.readAllBytes(file);
            String s = new String(all, StandardCharsets.ISO_8859_1);
            List<Segment> segs = new ArrayList<>();
            Matcher m = MARK.matcher(s);
            int pos = 0;
            while (m.find(pos)) {
                int n = Integer.parseInt(m.group(2));
                byte[] seg = java.util.Arrays.copyOfRange(all, m.end(), m.end() + n);
                segs.add(new Segment(m.group(1).equals("C->S"), seg));
                pos = m.end() + n;
            }
            return new Capture(file, segs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<Capture> all() {
        try (Stream<Path> dirs = Files.list(ROOT)) {
            List<Capture> out = new ArrayList<>();
            for (Path d : dirs.filter(Files::isDirectory).sorted().toList()) {
                try (Stream<Path> files = Files.list(d)) {
                    files.filter(f -> f.getFileName().toString().startsWith("conn-")).sorted().forEach(f -> out.add(load(f)));
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Http request() {
        return Http.parse(segments.stream().filter(Segment::fromClient).findFirst().orElseThrow().bytes());
    }

    public Http response() {
        return Http.parse(segments.stream().filter(s -> !s.fromClient()).findFirst().orElseThrow().bytes());
    }

    /** All server-to-client bytes after the response head, concatenated. */
    public String serverRaw() {
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        for (Segment s : segments) {
            if (!s.fromClient()) {
                sb.append(first ? new String(Http.parse(s.bytes()).rest(), StandardCharsets.ISO_8859_1) : s.text());
                first = false;
            }
        }
        return sb.toString();
    }

    /** All client-to-server bytes after the request's head and Content-Length body. */
    public String clientRaw() {
        StringBuilder sb = new StringBuilder();
        Http req = request();
        byte[] rest = req.rest();
        int bodyLen = req.header("Content-Length").map(Integer::parseInt).orElse(0);
        sb.append(new String(rest, bodyLen, rest.length - bodyLen, StandardCharsets.ISO_8859_1));
        segments.stream().filter(Segment::fromClient).skip(1).forEach(s -> sb.append(s.text()));
        return sb.toString();
    }

    public String requestPath() {
        String target = request().startLine().split(" ")[1];
        int q = target.indexOf('?');
        return q < 0 ? target : target.substring(0, q);
    }

    public String requestQuery() {
        String target = request().startLine().split(" ")[1];
        int q = target.indexOf('?');
        return q < 0 ? "" : target.substring(q + 1);
    }

    public String method() {
        return request().startLine().split(" ")[0];
    }

    public int status() {
        return Integer.parseInt(response().startLine().split(" ")[1]);
    }

    @Override
    public String toString() {
        return ROOT.relativize(file).toString();
    }
}
