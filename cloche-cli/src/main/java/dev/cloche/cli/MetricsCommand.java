package dev.cloche.cli;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.GardenClient;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "metrics", description = "Show a container's memory, CPU, disk, network and process usage.")
final class MetricsCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Parameters(paramLabel = "HANDLE")
    String handle;

    @Override
    public Integer call() {
        try (GardenClient c = parent.client()) {
            System.out.print(render(c.lookup(handle).metrics()));
        }
        return 0;
    }

    /** One line per figure, units for people; Garden's raw numbers are on the wire (bulk_metrics). */
    static String render(ContainerMetrics m) {
        StringBuilder b = new StringBuilder();
        row(b, "age", Sizes.human(m.age()));
        long limit = m.memory().field("hierarchical_memory_limit");
        row(b, "memory", Sizes.human(m.memory().totalUsageTowardLimit())
                + (limit > 0 && limit < Long.MAX_VALUE / 2 ? " of " + Sizes.human(limit) : "")
                + " (rss " + Sizes.human(m.memory().field("total_rss")) + ", cache " + Sizes.human(m.memory().field("total_cache")) + ")");
        row(b, "cpu", Sizes.human(Duration.ofNanos(m.cpu().usage())) + " (user " + Sizes.human(Duration.ofNanos(m.cpu().user()))
                + ", system " + Sizes.human(Duration.ofNanos(m.cpu().system())) + ")");
        row(b, "disk", Sizes.human(m.disk().exclusiveBytesUsed()) + " written, " + m.disk().exclusiveInodesUsed() + " inodes ("
                + Sizes.human(m.disk().totalBytesUsed()) + ", " + m.disk().totalInodesUsed() + " inodes with the image)");
        row(b, "network", m.network().map(n -> "rx " + Sizes.human(n.rxBytes()) + ", tx " + Sizes.human(n.txBytes())).orElse("-"));
        row(b, "processes", m.pid().current() + (m.pid().max() > 0 ? " of " + m.pid().max() : " (no limit)"));
        return b.toString();
    }

    private static void row(StringBuilder b, String k, String v) {
        b.append(String.format("%-10s %s%n", k + ":", v));
    }
}
