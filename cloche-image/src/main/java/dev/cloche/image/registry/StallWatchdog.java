package dev.cloche.image.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The read timeout of response bodies, which {@code java.net.http} lacks: a read blocked longer than the timeout
 * closes the body, which wakes the reader with a {@link HttpTimeoutException}. Time the caller spends between reads
 * (extracting, writing) does not count.
 */
final class StallWatchdog implements AutoCloseable {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("registry-read-timeout").factory());
    private final long timeoutNanos;
    private final long periodMillis;

    StallWatchdog(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
        this.periodMillis = Math.clamp(timeout.toMillis() / 4, 10, 1000);
    }

    InputStream guard(InputStream in, String what) {
        return new Guarded(in, what);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    private final class Guarded extends FilterInputStream {
        private final String what;
        private final ScheduledFuture<?> check;
        private volatile long readingSince;
        private volatile boolean timedOut;

        Guarded(InputStream in, String what) {
            super(in);
            this.what = what;
            this.check = timer.scheduleAtFixedRate(this::check, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        }

        private void check() {
            long since = readingSince;
            if (since != 0 && System.nanoTime() - since > timeoutNanos) {
                timedOut = true;
                try {
                    in.close();
                } catch (IOException ignored) {
                    // the reader gets the timeout either way
                }
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (timedOut) throw timeout();
            readingSince = System.nanoTime() | 1;
            try {
                return in.read(b, off, len);
            } catch (IOException e) {
                if (timedOut) throw timeout();
                throw e;
            } finally {
                readingSince = 0;
            }
        }

        private HttpTimeoutException timeout() {
            return new HttpTimeoutException(what + " sent nothing for " + Duration.ofNanos(timeoutNanos).toMillis() + " ms");
        }

        @Override
        public void close() throws IOException {
            check.cancel(false);
            in.close();
        }
    }
}
