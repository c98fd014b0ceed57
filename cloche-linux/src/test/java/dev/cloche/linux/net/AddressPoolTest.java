package dev.cloche.linux.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ResourceExhaustedException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AddressPoolTest {
    private final AddressPool pool = new AddressPool(NetSettings.from(Map.of("networkPool", "10.9.0.0/29",
            "portPool", "5000-5001", "externalIp", "192.0.2.9")));

    @Test
    void theDefaultPoolHandsOutA30PerContainerRoundRobinAndNeedsABridgeForEach() {
        AddressPool.Allocation a = pool.allocate("");
        assertThat(a).isEqualTo(new AddressPool.Allocation(Ipv4.Subnet.parse("10.9.0.0/30"), Ipv4.parse("10.9.0.1"), true));
        pool.bridgeUp(a.subnet());
        assertThat(pool.allocate("").subnet()).isEqualTo(Ipv4.Subnet.parse("10.9.0.4/30"));
        assertThatThrownBy(() -> pool.allocate("")).isInstanceOf(ResourceExhaustedException.class);
        pool.unregister(a.subnet(), a.ip());
        assertThat(pool.bridgeUnused(a.subnet())).as("its bridge is to be removed").isTrue();
        assertThatThrownBy(() -> pool.allocate("")).as("not before the bridge is gone").isInstanceOf(ResourceExhaustedException.class);
        pool.forget(a.subnet());
        assertThat(pool.allocate("").subnet()).isEqualTo(a.subnet());
    }

    @Test
    void anExactAddressIsTakenOnceAndAnAddressInUseIsPendingUntilFreed() {
        AddressPool.Allocation a = pool.allocate("10.8.0.1/30");
        assertThat(a.ip()).isEqualTo(Ipv4.parse("10.8.0.1"));
        assertThatThrownBy(() -> pool.allocate("10.8.0.1/30")).isInstanceOf(AlreadyExistsException.class);
        assertThat(pool.pending(a.ip())).isPresent();
        var freed = pool.pending(a.ip()).orElseThrow();
        pool.unregister(a.subnet(), a.ip());
        assertThat(freed).isDone();
        assertThat(pool.pending(a.ip())).isEmpty();
        assertThatThrownBy(() -> pool.allocate("10.9.0.1/30")).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("overlaps the default network pool");
    }

    @Test
    void portsComeFromThePoolOrAreTakenAsAsked() {
        assertThat(pool.allocatePort(0)).isEqualTo(5000);
        assertThat(pool.allocatePort(8080)).isEqualTo(8080);
        assertThatThrownBy(() -> pool.allocatePort(8080)).isInstanceOf(AlreadyExistsException.class);
        assertThat(pool.allocatePort(0)).isEqualTo(5001);
        assertThatThrownBy(() -> pool.allocatePort(0)).isInstanceOf(ResourceExhaustedException.class);
        pool.releasePort(5000);
        assertThat(pool.allocatePort(0)).isEqualTo(5000);
    }
}
