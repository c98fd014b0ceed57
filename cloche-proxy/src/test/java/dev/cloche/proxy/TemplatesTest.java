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

    @Test
    void readsReadinessChecksAndLifetimes() {
        List<Template> t = Templates.fromJson("""
                [{"name":"a","command":["/app"],"port":8080,"ready":{"http":"/health"},"ready_timeout":"5s",
                  "idle_ttl":"5m","max_ttl":"2h"},
                 {"name":"b","command":["/app"],"port":8080,"ready":{"http":"/up","port":9000},"idle_ttl":"90s","ttl":"1h"},
                 {"name":"c","command":["/app"],"port":8080,"ready":{"tcp":5432},"ready_timeout":"500ms"},
                 {"name":"d","command":["/app"],"port":8080}]""");
        assertThat(t.get(0).readiness()).isEqualTo(new Readiness.Http(8080, "/health"));
        assertThat(t.get(0).readyTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(t.get(0).lifetime()).isEqualTo(new Lifetime.Idle(Duration.ofMinutes(5), Duration.ofHours(2)));
        assertThat(t.get(1).readiness()).isEqualTo(new Readiness.Http(9000, "/up"));
        assertThat(t.get(1).lifetime()).as("ttl is the maximum").isEqualTo(new Lifetime.Idle(Duration.ofSeconds(90), Duration.ofHours(1)));
        assertThat(t.get(2).readiness()).isEqualTo(new Readiness.Tcp(5432));
        assertThat(t.get(2).readyTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(t.get(3).readiness()).isEqualTo(new Readiness.Tcp(8080));
        assertThat(t.get(3).lifetime()).isEqualTo(new Lifetime.Fixed(Duration.ofMinutes(30)));
        assertThat(t.get(3).readyTimeout()).isEqualTo(Template.READY_TIMEOUT);
        assertThatThrownBy(() -> Templates.fromJson("[{\"name\":\"x\",\"command\":[\"/a\"],\"port\":80,\"ready\":{\"http\":\"health\"}}]"))
                .hasMessageContaining("must start with /");
        assertThatThrownBy(() -> Templates.fromJson("[{\"name\":\"x\",\"command\":[\"/a\"],\"port\":80,\"ready\":{\"udp\":1}}]"))
                .hasMessageContaining("ready must be");
        assertThatThrownBy(() -> Templates.fromJson("[{\"name\":\"x\",\"command\":[\"/a\"],\"port\":80,\"idle_ttl\":\"2h\",\"max_ttl\":\"1h\"}]"))
                .hasMessageContaining("exceeds max_ttl");
        assertThatThrownBy(() -> Templates.fromJson("[{\"name\":\"x\",\"command\":[\"/a\"],\"port\":80,\"max_ttl\":\"1h\"}]"))
                .hasMessageContaining("max_ttl needs idle_ttl");
    }

    @Test
    void readsHowManyContainersToMakeAhead() {
        List<Template> t = Templates.fromJson("""
                [{"name":"a","command":["/app"],"port":8080,"warm":3},{"name":"b","command":["/app"],"port":8080}]""");
        org.assertj.core.api.Assertions.assertThat(t.get(0).warm()).isEqualTo(3);
        org.assertj.core.api.Assertions.assertThat(t.get(1).warm()).isZero();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Templates.fromJson("""
                [{"name":"a","command":["/app"],"port":8080,"warm":65}]""")).hasMessageContaining("warm must be 0 to 64");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Templates.fromJson("""
                [{"name":"a","command":["/app"],"port":8080,"warm":-1}]""")).hasMessageContaining("warm must be 0 to 64");
    }
}
