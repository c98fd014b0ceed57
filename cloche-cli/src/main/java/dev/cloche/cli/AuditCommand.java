package dev.cloche.cli;

import dev.cloche.api.Caller;
import dev.cloche.audit.AuditFilter;
import dev.cloche.audit.AuditReader;
import dev.cloche.audit.AuditRecord;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code cloche audit}: the daemon's audit log, read from its file on this host (root-only, 0600), filtered and
 * optionally followed. Not a call on the daemon: the log is the record of those calls.
 */
@Command(name = "audit", description = "Show the audit log (every state-changing call): filter it, or follow it with -f. Reads the file on this host, so it needs root.")
final class AuditCommand implements Callable<Integer> {
    static final Path DEFAULT_FILE = Path.of("/var/lib/cloche/audit/audit.log");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    @ParentCommand
    Cloche parent;

    @Option(names = {"-f", "--follow"}, description = "Keep printing records as they are appended (across rotations) until interrupted.")
    boolean follow;

    @Option(names = "--handle", paramLabel = "HANDLE", description = "Only records of this container.")
    String handle;

    @Option(names = "--verb", paramLabel = "VERB", description = "Only records of this verb (create, destroy, run, signal, stream-in, net-in, net-out, property-set, property-remove, grace-time, stop, commit, image-pull, image-prune).")
    String verb;

    @Option(names = "--since", paramLabel = "DURATION", description = "Only records of the last DURATION (e.g. 90s, 10m, 2h, 1d) or since an instant (2026-12-05T10:00:00Z).")
    String since;

    @Option(names = "--file", paramLabel = "PATH", description = "The audit log (default: ${DEFAULT-VALUE}; the daemon's --audit-log).")
    Path file = DEFAULT_FILE;

    @Option(names = "--json", description = "Print the records' JSON lines as they are in the file.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        AuditFilter filter;
        try {
            filter = new AuditFilter(Optional.ofNullable(handle), Optional.ofNullable(verb),
                    Optional.ofNullable(since).map(s -> since(s, Instant.now())));
        } catch (IllegalArgumentException e) {
            System.err.println("cloche audit: " + e.getMessage());
            return 2;
        }
        // notExists, not !exists: a file in root's 0700 directory cannot even be seen by others, and that is a refusal
        if (!follow && Files.notExists(file)) {
            System.err.println("cloche audit: no audit log at " + file + " (the daemon's --audit-log; --file names another)");
            return 1;
        }
        AuditReader reader = new AuditReader(file, filter, e -> {
            System.out.println(json ? e.line() : line(e.record()));
            System.out.flush();
        });
        try {
            if (follow) {
                reader.follow(() -> false);
            } else {
                reader.readAll();
            }
            return 0;
        } catch (AccessDeniedException e) {
            System.err.println("cloche audit: cannot read " + e.getFile() + ": permission denied (the audit log is root's only)");
            return 1;
        } catch (NoSuchFileException e) {
            System.err.println("cloche audit: no audit log at " + e.getFile());
            return 1;
        } catch (IOException e) {
            System.err.println("cloche audit: reading " + file + ": " + e.getMessage());
            return 1;
        }
    }

    /** {@code 10m} before {@code now}, or an ISO instant. */
    static Instant since(String s, Instant now) {
        Matcher m = DURATION.matcher(s.trim().toLowerCase(Locale.ROOT));
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            Duration d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return now.minus(d);
        }
        try {
            return Instant.parse(s);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--since must be a duration (90s, 10m, 2h, 1d) or an instant "
                    + "(2026-12-05T10:00:00Z), got " + s);
        }
    }

    /** One record as a line for people: when, request, who, what, outcome. */
    static String line(AuditRecord r) {
        StringBuilder b = new StringBuilder();
        b.append(r.time()).append(" request=").append(r.requestId()).append(' ').append(who(r.caller())).append(' ')
                .append(r.verb());
        r.handle().ifPresent(h -> b.append(" handle=").append(h));
        r.processId().ifPresent(p -> b.append(" process=").append(p));
        if (r.outcome().ok()) {
            b.append(" ok");
        } else {
            b.append(" error=").append(r.outcome().error().orElseThrow());
            r.outcome().message().ifPresent(m -> b.append(" message=\"").append(m.replace("\"", "\\\"")).append('"'));
        }
        if (!r.detail().equals("{}")) {
            b.append(' ').append(r.detail());
        }
        return b.toString();
    }

    private static String who(Caller c) {
        StringBuilder b = new StringBuilder(c.transport()).append(':').append(c.address());
        c.uid().ifPresent(u -> b.append(" uid=").append(u));
        c.pid().ifPresent(p -> b.append(" pid=").append(p));
        c.subject().ifPresent(s -> b.append(" subject=\"").append(s).append('"'));
        return b.toString();
    }
}
