package dev.cloche.daemon.metrics;

import dev.cloche.api.BandwidthLimits;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfo;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import io.micrometer.core.instrument.Counter;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A container of {@link MeteredGardenClient}: counts its destroy, process starts and streamed bytes. */
final class MeteredContainer implements Container {
    private final Container c;
    private final MeteredGardenClient.Meters meters;

    MeteredContainer(Container c, MeteredGardenClient.Meters meters) {
        this.c = c;
        this.meters = meters;
    }

    @Override
    public String handle() {
        return c.handle();
    }

    @Override
    public void stop(boolean kill) {
        c.stop(kill);
    }

    @Override
    public ContainerInfo info() {
        return c.info();
    }

    @Override
    public void streamIn(StreamInSpec spec) {
        try {
            c.streamIn(new StreamInSpec(spec.path(), spec.user(), new Counting(spec.tarStream(), meters.streamedIn())));
        } catch (RuntimeException e) {
            meters.failed("stream_in", e);
            throw e;
        }
    }

    @Override
    public InputStream streamOut(StreamOutSpec spec) {
        try {
            return new Counting(c.streamOut(spec), meters.streamedOut());
        } catch (RuntimeException e) {
            meters.failed("stream_out", e);
            throw e;
        }
    }

    @Override
    public BandwidthLimits currentBandwidthLimits() {
        return c.currentBandwidthLimits();
    }

    @Override
    public CpuLimits currentCpuLimits() {
        return c.currentCpuLimits();
    }

    @Override
    public DiskLimits currentDiskLimits() {
        return c.currentDiskLimits();
    }

    @Override
    public MemoryLimits currentMemoryLimits() {
        return c.currentMemoryLimits();
    }

    @Override
    public PortMapping netIn(int hostPort, int containerPort) {
        return c.netIn(hostPort, containerPort);
    }

    @Override
    public void netOut(NetOutRule rule) {
        c.netOut(rule);
    }

    @Override
    public void bulkNetOut(List<NetOutRule> rules) {
        c.bulkNetOut(rules);
    }

    @Override
    public Process run(ProcessSpec spec, ProcessIO io) {
        Process p;
        try {
            p = c.run(spec, io);
        } catch (RuntimeException e) {
            meters.failed("run", e);
            throw e;
        }
        meters.processesStarted().increment();
        return p;
    }

    @Override
    public Process attach(String processId, ProcessIO io) {
        return c.attach(processId, io);
    }

    @Override
    public ContainerMetrics metrics() {
        return c.metrics();
    }

    @Override
    public void setGraceTime(Duration graceTime) {
        c.setGraceTime(graceTime);
    }

    @Override
    public Map<String, String> properties() {
        return c.properties();
    }

    @Override
    public String property(String name) {
        return c.property(name);
    }

    @Override
    public void setProperty(String name, String value) {
        c.setProperty(name, value);
    }

    @Override
    public void removeProperty(String name) {
        c.removeProperty(name);
    }

    @Override
    public void destroy() {
        try {
            c.destroy();
        } catch (RuntimeException e) {
            meters.failed("destroy", e);
            throw e;
        }
        meters.destroys().increment();
    }

    /** Counts the bytes read through it; closing closes the stream it wraps. */
    private static final class Counting extends FilterInputStream {
        private final Counter bytes;

        Counting(InputStream in, Counter bytes) {
            super(in);
            this.bytes = bytes;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                bytes.increment();
            }
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            int n = super.read(buf, off, len);
            if (n > 0) {
                bytes.increment(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            // skipped bytes were streamed too
            long s = super.skip(n);
            bytes.increment(s);
            return s;
        }
    }
}
