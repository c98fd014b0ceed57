package dev.cloche.cli;

import dev.cloche.api.ImageInfo;
import dev.cloche.client.RemoteGardenClient;
import dev.cloche.wire.ImageJson;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code cloche images}: the daemon's cached images; {@code cloche images prune} removes the unused ones. */
@Command(name = "images", description = "List the images the daemon has cached, with the containers that use them.",
        subcommands = {ImagesPruneCommand.class, CommandLine.HelpCommand.class})
final class ImagesCommand implements Callable<Integer> {
    static final String[] COLUMNS = {"REFERENCE", "ID", "LAYERS", "SIZE", "CONTAINERS", "LAST USED"};
    /** A row names at most this many containers, then counts the rest. */
    static final int HOLDERS_SHOWN = 3;

    @ParentCommand
    Cloche parent;

    @Option(names = "--json", description = "Print the images as JSON (the daemon's own format).")
    boolean json;

    @Override
    public Integer call() {
        try (RemoteGardenClient c = parent.client()) {
            List<ImageInfo> images = c.images();
            System.out.print(json ? ImageJson.encodeImages(images) : table(images, Instant.now()));
        }
        return 0;
    }

    /** The images as an aligned table with a header row, for people; {@code now} dates LAST USED. */
    static String table(List<ImageInfo> images, Instant now) {
        List<String[]> rows = new ArrayList<>();
        rows.add(COLUMNS);
        for (ImageInfo i : images) {
            rows.add(new String[] {i.reference(), shortId(i.id()), Integer.toString(i.layers()), Sizes.human(i.bytes()),
                    holders(i.holders()), ago(i.lastUsed(), now)});
        }
        int[] width = new int[COLUMNS.length];
        for (String[] r : rows) {
            for (int k = 0; k < r.length; k++) {
                width[k] = Math.max(width[k], r[k].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int k = 0; k < r.length; k++) {
                line.append(k == r.length - 1 ? r[k] : String.format("%-" + width[k] + "s   ", r[k]));
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        return b.toString();
    }

    /** An image id as people read it: the first 12 hex digits of its digest. */
    static String shortId(String id) {
        String hex = id.substring(id.indexOf(':') + 1);
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }

    /** {@code -}, {@code web}, {@code a,b,c +2}. */
    static String holders(List<String> handles) {
        if (handles.isEmpty()) {
            return "-";
        }
        String shown = String.join(",", handles.subList(0, Math.min(HOLDERS_SHOWN, handles.size())));
        return handles.size() > HOLDERS_SHOWN ? shown + " +" + (handles.size() - HOLDERS_SHOWN) : shown;
    }

    /** {@code just now}, {@code 5 minutes ago}, {@code 3 hours ago}, {@code 2 days ago}; {@code never} for the epoch. */
    static String ago(Instant then, Instant now) {
        if (then.equals(Instant.EPOCH)) {
            return "never";
        }
        Duration d = Duration.between(then, now);
        if (d.toSeconds() < 60) {
            return "just now";
        }
        if (d.toMinutes() < 60) {
            return plural(d.toMinutes(), "minute") + " ago";
        }
        if (d.toHours() < 48) {
            return plural(d.toHours(), "hour") + " ago";
        }
        return plural(d.toDays(), "day") + " ago";
    }

    static String plural(long n, String what) {
        return n + " " + what + (n == 1 ? "" : "s");
    }
}
