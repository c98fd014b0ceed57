package dev.cloche.linux.net;

import dev.cloche.api.GardenError;
import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.CommandRunner;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's nftables table. Scripts asked for at the same time go in as one: {@code nft} reads the table's chains
 * and sets before it changes anything (a cost that grows with the containers held: about 0.1 s at 10,000), and
 * starts that read again whenever another change lands meanwhile, so concurrent forks slowed each other down without
 * bound. One fork at a time applies every script waiting (one transaction); should it fail, each is applied alone, so
 * each caller gets its own error. Should the table have vanished (an admin's flush, another backend on this depot
 * closing last), it is rebuilt with every live container's rules and the script is tried again once.
 */
final class NftTable {
    private static final Logger LOG = LoggerFactory.getLogger(NftTable.class);

    private final CommandRunner runner;
    private final NftRules rules;
    private final String name;
    /** The networks attached or adopted and not released: what a rebuilt table must contain. */
    private final Supplier<Collection<NetState>> live;
    private final Queue<Pending> waiting = new ConcurrentLinkedQueue<>();
    private final ReentrantLock applying = new ReentrantLock();

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
        Pending mine = new Pending(script);
        waiting.add(mine);
        applying.lock();
        try {
            if (!mine.done) applyWaiting();
        } finally {
            applying.unlock();
        }
        if (mine.failure != null) throw mine.failure;
    }

    /** A script asked for and, once {@code done}, its outcome; both are written under {@link #applying}. */
    private static final class Pending {
        final String script;
        volatile boolean done;
        volatile RuntimeException failure;

        Pending(String script) {
            this.script = script;
        }
    }

    /** Under {@link #applying}: every script waiting, in one fork when they all go in. */
    private void applyWaiting() {
        List<Pending> batch = new ArrayList<>();
        for (Pending p; (p = waiting.poll()) != null; ) batch.add(p);
        if (batch.size() > 1) {
            StringBuilder all = new StringBuilder();
            batch.forEach(p -> all.append(p.script).append(p.script.endsWith("\n") ? "" : "\n"));
            if (runner.run(List.of("nft", all.toString())).exitCode() == 0) {
                batch.forEach(p -> p.done = true);
                return;
            }
        }
        for (Pending p : batch) {
            try {
                applyAlone(p.script);
            } catch (RuntimeException e) {
                p.failure = e;
            }
            p.done = true;
        }
    }

    private void applyAlone(String script) {
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
