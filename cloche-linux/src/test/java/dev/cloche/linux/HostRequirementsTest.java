package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.linux.sys.HostProgram;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HostRequirementsTest {
    private static final Settings NETWORKED = Settings.from(Map.of("depot", "/d", "runtimePath", "/usr/sbin/runc"));
    private static final Settings OFFLINE = Settings.from(Map.of("depot", "/d", "runtimePath", "/usr/sbin/runc",
            "networkPool", "none"));

    private static HostRequirements hostWithout(Set<HostProgram> absent, Set<Path> absentFiles) {
        return new HostRequirements(p -> absent.contains(p) ? Optional.empty() : Optional.of(Path.of("/usr/bin", p.command())),
                p -> !absentFiles.contains(p));
    }

    @Test
    void aCompleteHostPasses() {
        assertThat(hostWithout(Set.of(), Set.of()).missing(NETWORKED)).isEmpty();
    }

    @Test
    void aMissingProgramIsNamedWithItsPackageBeforeAnyCreate() {
        HostRequirements host = hostWithout(Set.of(HostProgram.NFT, HostProgram.MKFS_EXT4), Set.of());
        assertThat(host.missing(NETWORKED)).containsExactlyInAnyOrder(
                "mkfs.ext4 (Debian package e2fsprogs)",
                "nft (Debian package nftables): networking; or turn it off with --backend-setting networkPool=none");
        assertThatThrownBy(() -> host.check(NETWORKED)).isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("nft (Debian package nftables)").hasMessageContaining("make deps");
    }

    @Test
    void networkingProgramsAreNeededOnlyWithNetworking() {
        HostRequirements host = hostWithout(Set.of(HostProgram.NFT, HostProgram.IP, HostProgram.TC), Set.of());
        assertThat(host.missing(OFFLINE)).isEmpty();
        assertThat(host.missing(NETWORKED)).hasSize(3);
    }

    @Test
    void theRuntimeAndTheNativeBinariesAreChecked() {
        HostRequirements host = hostWithout(Set.of(), Set.of(Path.of("/usr/sbin/runc"), Path.of("/d/bin/cloche-init"),
                Path.of("/d/bin/cloche-monitor")));
        assertThat(host.missing(NETWORKED)).containsExactly(
                "/usr/sbin/runc (Debian package runc): the OCI runtime (--runtime runc)",
                "/d/bin/cloche-init: every container's init, built by `make native`",
                "/d/bin/cloche-monitor: the process monitor, built by `make native`");
    }
}
