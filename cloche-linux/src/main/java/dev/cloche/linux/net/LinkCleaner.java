package dev.cloche.linux.net;

import dev.cloche.linux.sys.CommandRunner;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes a released container's host veth and, when it was the subnet's last member, the subnet's bridge, off the
 * destroying call's path and outside the address pool's lock; then frees the address and subnet for reuse.
 *
 * <p>Two threads work a bounded queue. A release that finds the queue full cleans up itself, so a burst of destroys
 * slows to the pace the kernel removes links at instead of leaving a backlog; after close a release cleans up itself
 * too. {@link #close()} waits for the queue.
 */
final class LinkCleaner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LinkCleaner.class);
    private static final Path SYS_NET = Path.of("/sys/class/net");
    static final int THREADS = 2;
    static final int QUEUE = 64;
    /** Long enough for a full queue at the rate a host with thousands of links removes them (a few per second). */
    static final long CLOSE_WAIT_SECONDS = 60;

    private final CommandRunner runner;
    /** Guarded by its own monitor. */
    private final AddressPool pool;
    private final ExecutorService threads = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE), Thread.ofPlatform().daemon().name("cloche-net-cleaner-", 0).factory(),
            (job, executor) -> job.run());

    LinkCleaner(CommandRunner runner, AddressPool pool) {
        this.runner = runner;
        this.pool = pool;
    }

    /** Removes what {@code st} left on the host, given what {@link AddressPool#retire} said of its subnet. */
    void remove(NetState st, AddressPool.Retired retired) {
        threads.execute(() -> cleanUp(st, retired));
    }

    private void cleanUp(NetState st, AddressPool.Retired retired) {
        try {
            // usually gone already: the kernel removes a veth pair with the container's network namespace
            if (Files.exists(SYS_NET.resolve(st.hostVeth()), LinkOption.NOFOLLOW_LINKS)) {
                runner.run(List.of("ip", "link", "del", st.hostVeth()));
            }
        } catch (RuntimeException e) {
            LOG.warn("removing {} failed: {}", st.hostVeth(), e.getMessage());
        }
        if (retired == AddressPool.Retired.BRIDGE_TO_REMOVE) {
            try {
                runner.run(List.of("ip", "link", "del", st.bridge()));
            } catch (RuntimeException e) {
                LOG.warn("removing bridge {} failed: {}", st.bridge(), e.getMessage());
            }
        }
        synchronized (pool) {
            pool.free(st.subnetValue(), st.ip(), retired != AddressPool.Retired.SUBNET_IN_USE);
        }
    }

    /** Waits for the queued removals; what is still queued after the wait is left to the next start's reconcile. */
    @Override
    public void close() {
        threads.shutdown();
        try {
            if (!threads.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("network clean-up still running at close; the next start's reconcile removes what it leaves");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
