package dev.cloche.linux.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.api.ServiceUnavailableException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AddressPoolTest {
    private final AddressPool pool = new AddressPool(NetSettings.from(Map.of("networkPool", "10.9.0.0/29",
            "portPool", "5000-5001", "externalIp", "192.0.2.9")));

    @Test
    void theDefaultPoolHandsOutA30PerContainerRoundRobinAndNeedsABridgeForEach() {
        AddressPool.Allocation a = pool.allocate("");
        assertThat(a.subnet()).isEqualTo(Ipv4.Subnet.parse("10.9.0.0/30"));
        assertThat(a.ip()).isEqualTo(Ipv4.parse("10.9.0.1"));
        assertThat(a.newBridge()).isTrue();
        pool.bridgeMade(a.subnet());
        assertThat(a.bridge()).isCompleted();
        AddressPool.Allocation b = pool.allocate("");
        assertThat(b.subnet()).isEqualTo(Ipv4.Subnet.parse("10.9.0.4/30"));
        assertThat(b.newBridge()).isTrue();
        assertThatThrownBy(() -> pool.allocate("")).isInstanceOf(ResourceExhaustedException.class);
        assertThat(pool.retire(a.subnet())).isEqualTo(AddressPool.Retired.BRIDGE_TO_REMOVE);
        assertThatThrownBy(() -> pool.allocate("")).as("not before the bridge is gone").isInstanceOf(ResourceExhaustedException.class);
        pool.free(a.subnet(), a.ip(), true);
        assertThat(pool.allocate("").subnet()).isEqualTo(a.subnet());
    }

    @Test
    void anExactAddressIsTakenOnceAndAnAddressInUseIsPendingUntilFreed() {
        AddressPool.Allocation a = pool.allocate("10.8.0.1/30");
        assertThat(a.ip()).isEqualTo(Ipv4.parse("10.8.0.1"));
        assertThatThrownBy(() -> pool.allocate("10.8.0.1/30")).isInstanceOf(AlreadyExistsException.class);
        assertThat(pool.busy("10.8.0.1/30")).isPresent();
        var freed = pool.pending(a.ip()).orElseThrow();
        pool.bridgeMade(a.subnet());
        pool.retire(a.subnet());
        pool.free(a.subnet(), a.ip(), true);
        assertThat(freed).isDone();
        assertThat(pool.busy("10.8.0.1/30")).isEmpty();
        assertThatThrownBy(() -> pool.allocate("10.9.0.1/30")).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("overlaps the default network pool");
    }

    @Test
    void laterMembersOfASubnetWaitForTheBridgeItsFirstMemberMakes() {
        AddressPool.Allocation first = pool.allocate("10.8.0.0/24");
        AddressPool.Allocation second = pool.allocate("10.8.0.0/24");
        assertThat(first.newBridge()).isTrue();
        assertThat(second.newBridge()).isFalse();
        assertThat(second.ip()).isEqualTo(Ipv4.parse("10.8.0.2"));
        assertThat(second.bridge()).isNotDone();
        pool.bridgeFailed(first.subnet(), new IllegalStateException("no bridge"));
        assertThat(second.bridge()).isCompletedExceptionally();
        // the failed maker leaves; the next member makes the bridge again
        assertThat(pool.retire(first.subnet())).isEqualTo(AddressPool.Retired.SUBNET_IN_USE);
        pool.free(first.subnet(), first.ip(), false);
        AddressPool.Allocation third = pool.allocate("10.8.0.0/24");
        assertThat(third.newBridge()).isTrue();
        pool.bridgeMade(third.subnet());
        assertThat(pool.retire(second.subnet())).isEqualTo(AddressPool.Retired.SUBNET_IN_USE);
        pool.free(second.subnet(), second.ip(), false);
        assertThat(pool.retire(third.subnet())).isEqualTo(AddressPool.Retired.BRIDGE_TO_REMOVE);
    }

    @Test
    void aSubnetWhoseBridgeIsBeingRemovedIsClosedUntilItIsGone() {
        AddressPool.Allocation a = pool.allocate("10.8.0.1/24");
        pool.bridgeMade(a.subnet());
        assertThat(pool.retire(a.subnet())).isEqualTo(AddressPool.Retired.BRIDGE_TO_REMOVE);
        var removal = pool.busy("10.8.0.5/24").orElseThrow();
        assertThatThrownBy(() -> pool.allocate("10.8.0.5/24")).isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("still being removed");
        pool.free(a.subnet(), a.ip(), true);
        assertThat(removal).isDone();
        AddressPool.Allocation b = pool.allocate("10.8.0.5/24");
        assertThat(b.newBridge()).as("a new bridge for the reopened subnet").isTrue();
    }

    @Test
    void aSubnetWhoseBridgeWasNeverMadeHasNoBridgeToRemove() {
        AddressPool.Allocation a = pool.allocate("");
        pool.bridgeFailed(a.subnet(), new IllegalStateException("no bridge"));
        assertThat(pool.retire(a.subnet())).isEqualTo(AddressPool.Retired.SUBNET_EMPTY);
        pool.free(a.subnet(), a.ip(), true);
        assertThat(pool.allocate("").subnet()).as("round robin goes on").isEqualTo(Ipv4.Subnet.parse("10.9.0.4/30"));
        assertThat(pool.allocate("").subnet()).as("and comes back to the freed subnet").isEqualTo(a.subnet());
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
