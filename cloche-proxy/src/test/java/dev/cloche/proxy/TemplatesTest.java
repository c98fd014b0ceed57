package dev.cloche.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class TemplatesTest {
    @Test
    void readsTemplatesWithDefaultsAndRejectsBadOnes() {
        List<Template> t = Templates.fromJson("""
                [{"name":"web","command":["/bin/httpd","-f","-p","80"],"port":80,"memory_mb":128,"ttl":"90s","max":3,
                  "cpu_shares":512,"pids":100,"disk_mb":64,
                  "binds":["/srv/data:/data"]},
                 {"name":"api","image":"/srv/img","command":["/app"],"port":9000}]""");
        assertThat(t).hasSize(2);
        assertThat(t.getFirst().limits().memory().limitInBytes()).isEqualTo(128L << 20);
        assertThat(t.getFirst().limits().cpu().weight()).isEqualTo(512);
        assertThat(t.getFirst().limits().pid().max()).isEqualTo(100);
        assertThat(t.getFirst().limits().disk().byteHard()).isEqualTo(64L << 20);
        assertThat(t.getFirst().limits().disk().scope()).isEqualTo(dev.cloche.api.DiskLimits.DiskLimitScope.EXCLUSIVE);
        assertThat(t.get(1).limits()).isEqualTo(dev.cloche.api.Limits.NONE);
        assertThat(t.getFirst().ttl()).isEqualTo(Duration.ofSeconds(90));
        assertThat(t.getFirst().maxLive()).isEqualTo(3);
        assertThat(t.getFirst().bindMounts().getFirst().dstPath()).isEqualTo("/data");
        assertThat(t.get(1).ttl()).isEqualTo(Duration.ofMinutes(30));
        assertThat(t.get(1).image()).isEqualTo("/srv/img");
        assertThatThrownBy(() -> Templates.fromJson("[{\"name\":\"x\",\"command\":[],\"port\":80}]"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no command");
        assertThatThrownBy(() -> Templates.fromJson("[]")).isInstanceOf(IllegalArgumentException.class);
    }
}
