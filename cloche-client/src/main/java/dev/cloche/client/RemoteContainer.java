package dev.cloche.client;

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
import dev.cloche.wire.Route;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A handle on a remote container: every method is one wire call. */
final class RemoteContainer implements Container {
    private final RemoteGardenClient client;
    private final String handle;

    RemoteContainer(RemoteGardenClient client, String handle) {
        this.client = client;
        this.handle = handle;
    }

    @Override
    public String handle() {
        return handle;
    }

    private String get(Route r) {
        return client.call(r, handle);
    }

    private String send(Route r, String json, String... params) {
        return client.call(r, Map.of(), Optional.of(json), params);
    }

    @Override
    public void stop(boolean kill) {
        send(Route.STOP, GardenJson.encodeStop(kill), handle);
    }

    @Override
    public ContainerInfo info() {
        return GardenJson.decodeContainerInfo(get(Route.INFO));
    }

    @Override
    public void streamIn(StreamInSpec spec) {
        client.upload(Route.STREAM_IN, Map.of("destination", spec.path(), "user", spec.user()), spec.tarStream(), handle);
    }

    @Override
    public InputStream streamOut(StreamOutSpec spec) {
        return client.openStream(Route.STREAM_OUT, Map.of("source", spec.path(), "user", spec.user()), handle);
    }

    @Override
    public BandwidthLimits currentBandwidthLimits() {
        return GardenJson.decodeBandwidthLimits(get(Route.CURRENT_BANDWIDTH_LIMITS));
    }

    @Override
    public CpuLimits currentCpuLimits() {
        return GardenJson.decodeCpuLimits(get(Route.CURRENT_CPU_LIMITS));
    }

    @Override
    public DiskLimits currentDiskLimits() {
        return GardenJson.decodeDiskLimits(get(Route.CURRENT_DISK_LIMITS));
    }

    @Override
    public MemoryLimits currentMemoryLimits() {
        return GardenJson.decodeMemoryLimits(get(Route.CURRENT_MEMORY_LIMITS));
    }

    @Override
    public PortMapping netIn(int hostPort, int containerPort) {
        return GardenJson.decodeNetIn(send(Route.NET_IN, GardenJson.encodeNetInRequest(handle, hostPort, containerPort), handle));
    }

    @Override
    public void netOut(NetOutRule rule) {
        send(Route.NET_OUT, GardenJson.encodeNetOutRule(rule), handle);
    }

    @Override
    public void bulkNetOut(List<NetOutRule> rules) {
        send(Route.BULK_NET_OUT, GardenJson.encodeNetOutRules(rules), handle);
    }

    @Override
    public Process run(ProcessSpec spec, ProcessIO io) {
        return RemoteProcess.start(client, handle, Route.RUN, Optional.of(GardenJson.encodeProcessSpec(spec)), io, handle);
    }

    @Override
    public Process attach(String processId, ProcessIO io) {
        return RemoteProcess.start(client, handle, Route.ATTACH, Optional.empty(), io, handle, processId);
    }

    @Override
    public ContainerMetrics metrics() {
        return GardenJson.decodeMetrics(get(Route.METRICS));
    }

    @Override
    public void setGraceTime(Duration graceTime) {
        send(Route.SET_GRACE_TIME, GardenJson.encodeGraceTime(graceTime), handle);
    }

    @Override
    public Map<String, String> properties() {
        return GardenJson.decodeProperties(get(Route.PROPERTIES));
    }

    @Override
    public String property(String name) {
        return GardenJson.decodePropertyValue(client.call(Route.PROPERTY, handle, name));
    }

    @Override
    public void setProperty(String name, String value) {
        send(Route.SET_PROPERTY, GardenJson.encodePropertyValue(value), handle, name);
    }

    @Override
    public void removeProperty(String name) {
        client.call(Route.REMOVE_PROPERTY, handle, name);
    }

    @Override
    public void destroy() {
        client.destroy(handle);
    }

    @Override
    public String toString() {
        return "RemoteContainer[" + handle + "]";
    }
}
