package dev.cloche.linux.net;

import dev.cloche.api.GardenError;
import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.CommandRunner;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's nftables table: scripts applied with one {@code nft} fork each. Should the table have vanished (an
 * admin's flush, another backend on this depot closing last), it is rebuilt with every live container's rules and
 * the script is tried again once.
 */
final class NftTable {
    private static final Logger LOG = LoggerFactory.getLogger(NftTable.class);

    private final CommandRunner runner;
    private final NftRules rules;
    private final String name;
    /** The networks attached or adopted and not released: what a rebuilt table must contain. */
    private final Supplier<Collection<NetState>> live;

    NftTable(CommandRunner runner, NftRules rules, String name, Supplier<Collection<NetState>> live) {
        this.runner = runner;
        this.rules = rules;
        this.name = name;
        this.live = live;
    }

    void run(List<String> commands) {
        run(String.join("\n", commands) + "\n");
    }

    void run(String script) {
        CommandResult r = runner.run(List.of("nft", script));
        if (r.exitCode() != 0 && r.stderr().contains("No such file or directory") && missing()) {
            Collection<NetState> states = live.get();
            LOG.warn("nftables table {} is gone; rebuilding it for {} live containers", name, states.size());
            List<String> rebuild = new ArrayList<>(List.of(rules.skeleton()));
            Set<String> bridges = new HashSet<>();
            for (NetState st : states) {
                if (bridges.add(st.bridge())) rebuild.add(rules.addBridge(st.bridge()));
                rebuild.addAll(rules.apply(st));
            }
            runner.check(List.of("nft", String.join("\n", rebuild) + "\n"));
            r = runner.run(List.of("nft", script));
        }
        if (r.exitCode() != 0) {
            throw GardenError.internal("nft " + script + " failed (exit " + r.exitCode() + "): " + r.stderr().strip());
        }
    }

    private boolean missing() {
        return runner.run(List.of("nft", "list", "table", "inet", name)).exitCode() != 0;
    }

    /**
     * Starts applying a container's rules on a thread of their own, or returns null when they must wait for its
     * links. The rules name interfaces as strings, so they need no link yet and go in while the links are made (nft is
     * a create's longest fork; this puts it on the other core); a bandwidth limit's ingress chain needs the host veth.
     */
    CompletableFuture<Void> applyBeside(NetState st) {
        return st.rate() > 0 ? null : CompletableFuture.runAsync(() -> run(rules.apply(st)), Thread::startVirtualThread);
    }

    /** Waits for rules applied beside the links; their failure is thrown if {@code rethrow}, else left to the caller's. */
    static void await(CompletableFuture<Void> applied, boolean rethrow) {
        try {
            applied.join();
        } catch (CompletionException | CancellationException e) {
            if (rethrow) throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }
}
