package dev.cloche.linux.sys;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls a directory's listener whenever an entry in it is created or modified (inotify through the JDK's
 * WatchService), and every {@code tick} regardless, so a lost or coalesced event costs at most one tick of latency.
 * Process directories use it to follow output files written by other processes and to see the exit file appear.
 * Listeners run on the watcher's one thread and must be quick (signal a condition, read a small file).
 */
public final class DirectoryWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryWatcher.class);

    private final WatchService service;
    private final Map<WatchKey, Runnable> listeners = new ConcurrentHashMap<>();
    private final Duration tick;
    private final Thread thread;
    private volatile boolean closed;

    public DirectoryWatcher(Duration tick) {
        this.tick = tick;
        try {
            this.service = FileSystems.getDefault().newWatchService();
        } catch (IOException e) {
            throw new IllegalStateException("cannot create an inotify watch service", e);
        }
        this.thread = Thread.ofPlatform().daemon().name("directory-watcher").start(this::loop);
    }

    /** Starts calling {@code listener} for changes in {@code dir}; closing the result stops it. */
    public AutoCloseable watch(Path dir, Runnable listener) throws IOException {
        WatchKey key = dir.register(service, ENTRY_CREATE, ENTRY_MODIFY);
        listeners.put(key, listener);
        return () -> {
            listeners.remove(key);
            key.cancel();
        };
    }

    private void loop() {
        long tickNanos = tick.toNanos();
        long nextTick = System.nanoTime() + tickNanos;
        while (!closed) {
            try {
                WatchKey key = service.poll(Math.max(1, nextTick - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (key != null) {
                    key.pollEvents();
                    Runnable l = listeners.get(key);
                    key.reset();
                    if (l != null) call(l);
                }
                if (System.nanoTime() >= nextTick) {
                    for (Runnable l : List.copyOf(listeners.values())) call(l);
                    nextTick = System.nanoTime() + tickNanos;
                }
            } catch (ClosedWatchServiceException e) {
                return;
            } catch (InterruptedException e) {
                if (closed) return;
            }
        }
    }

    private static void call(Runnable l) {
        try {
            l.run();
        } catch (RuntimeException e) {
            LOG.warn("directory listener failed", e);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            service.close();
        } catch (IOException e) {
            // nothing left to release
        }
        thread.interrupt();
    }
}
