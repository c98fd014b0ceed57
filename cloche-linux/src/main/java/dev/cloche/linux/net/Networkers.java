package dev.cloche.linux.net;

import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.Sysctl;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Factory for the {@link Networker}s. */
public final class Networkers {
    private Networkers() {}

    /** The Garden-style veth/bridge/nftables networker, or one that gives containers loopback only when switched off. */
    public static Networker of(NetSettings settings, CommandRunner runner) {
        return of(settings, runner, Sysctl.proc());
    }

    public static Networker of(NetSettings settings, CommandRunner runner, Sysctl sysctl) {
        if (!settings.enabled()) return off();
        return new VethNetworker(settings, runner, sysctl, hostNameservers(Path.of("/etc/resolv.conf")));
    }

    static List<String> hostNameservers(Path resolvConf) {
        try {
            return Files.readAllLines(resolvConf).stream().map(String::strip).filter(l -> l.startsWith("nameserver"))
                    .map(l -> l.substring("nameserver".length()).strip()).filter(a -> a.matches("\\d+\\.\\d+\\.\\d+\\.\\d+"))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Networking switched off: containers keep the loopback-only namespace the runtime gives them. */
    public static Networker off() {
        return new Networker() {
            @Override public ContainerNet attach(NetRequest request) { return ContainerNet.none(); }
            @Override public ContainerNet adopt(NetFiles files) { return ContainerNet.none(); }
            @Override public void reconcile(List<ContainerNet> adopted) { }
            @Override public void close() { }
        };
    }
}
