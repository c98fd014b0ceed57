package dev.cloche.audit;

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
import dev.cloche.wire.GardenJson;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.util.RawValue;

/** A container whose state-changing calls are audited; reads pass straight through. */
final class AuditedContainer implements Container {
    private final Container delegate;
    private final Auditor auditor;

    AuditedContainer(Container delegate, Auditor auditor) {
        this.delegate = delegate;
        this.auditor = auditor;
    }

    private Auditor.Call call(String verb) {
        return Auditor.call(verb, delegate.handle());
    }

    @Override
    public String handle() {
        return delegate.handle();
    }

    @Override
    public void stop(boolean kill) {
        Auditor.Call c = call("stop");
        c.detail().put("kill", kill);
        auditor.record(c, () -> delegate.stop(kill));
    }

    @Override
    public ContainerInfo info() {
        return delegate.info();
    }

    @Override
    public void streamIn(StreamInSpec spec) {
        Auditor.Call c = call("stream-in");
        c.detail().put("path", spec.path()).put("user", spec.user());
        auditor.record(c, () -> delegate.streamIn(spec));
    }

    @Override
    public InputStream streamOut(StreamOutSpec spec) {
        return delegate.streamOut(spec);
    }

    @Override
    public BandwidthLimits currentBandwidthLimits() {
        return delegate.currentBandwidthLimits();
    }

    @Override
    public CpuLimits currentCpuLimits() {
        return delegate.currentCpuLimits();
    }

    @Override
    public DiskLimits currentDiskLimits() {
        return delegate.currentDiskLimits();
    }

    @Override
    public MemoryLimits currentMemoryLimits() {
        return delegate.currentMemoryLimits();
    }

    @Override
    public PortMapping netIn(int hostPort, int containerPort) {
        Auditor.Call c = call("net-in");
        c.detail().put("host_port", hostPort).put("container_port", containerPort);
        return auditor.record(c, () -> delegate.netIn(hostPort, containerPort), (done, m) -> {
            done.detail().putObject("mapped").put("host_port", m.hostPort()).put("container_port", m.containerPort());
            return done;
        });
    }

    @Override
    public void netOut(NetOutRule rule) {
        Auditor.Call c = call("net-out");
        c.detail().putRawValue("rules", new RawValue(GardenJson.encodeNetOutRules(List.of(rule)).strip()));
        auditor.record(c, () -> delegate.netOut(rule));
    }

    @Override
    public void bulkNetOut(List<NetOutRule> rules) {
        Auditor.Call c = call("net-out");
        c.detail().putRawValue("rules", new RawValue(GardenJson.encodeNetOutRules(rules).strip()));
        auditor.record(c, () -> delegate.bulkNetOut(rules));
    }

    @Override
    public Process run(ProcessSpec spec, ProcessIO io) {
        Auditor.Call c = spec.id().isEmpty() ? call("run") : call("run").withProcess(spec.id());
        c.detail().putRawValue("spec", new RawValue(GardenJson.encodeProcessSpec(Redaction.spec(spec)).strip()));
        Process p = auditor.record(c, () -> delegate.run(spec, io), (done, started) -> done.withProcess(started.id()));
        return new AuditedProcess(p, delegate.handle(), auditor);
    }

    @Override
    public Process attach(String processId, ProcessIO io) {
        return new AuditedProcess(delegate.attach(processId, io), delegate.handle(), auditor);
    }

    @Override
    public ContainerMetrics metrics() {
        return delegate.metrics();
    }

    @Override
    public void setGraceTime(Duration graceTime) {
        Auditor.Call c = call("grace-time");
        c.detail().put("grace_time", graceTime.toString());
        auditor.record(c, () -> delegate.setGraceTime(graceTime));
    }

    @Override
    public Map<String, String> properties() {
        return delegate.properties();
    }

    @Override
    public String property(String name) {
        return delegate.property(name);
    }

    @Override
    public void setProperty(String name, String value) {
        Auditor.Call c = call("property-set");
        c.detail().put("name", name).put("value", Redaction.value(name, value));
        auditor.record(c, () -> delegate.setProperty(name, value));
    }

    @Override
    public void removeProperty(String name) {
        Auditor.Call c = call("property-remove");
        c.detail().put("name", name);
        auditor.record(c, () -> delegate.removeProperty(name));
    }

    @Override
    public void destroy() {
        auditor.record(call("destroy"), delegate::destroy);
    }
}
