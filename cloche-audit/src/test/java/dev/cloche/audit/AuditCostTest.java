package dev.cloche.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.CallContext;
import dev.cloche.api.Caller;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a record costs a call: a create and destroy through the decorator against the same pair without it, on the
 * fake backend (where a create costs microseconds, so the audit's share shows; on the Linux backend a create costs
 * tens of milliseconds). The figures go to docs/security.md; the bound here only catches an order-of-magnitude slip.
 */
class AuditCostTest {
    @TempDir
    Path dir;

    private static long pairsNanos(GardenClient garden, int n, String prefix) {
        ContainerSpec base = ContainerSpec.empty().withEnv(List.of("DB_PASSWORD=x", "PATH=/bin:/usr/bin", "HOME=/root"))
                .withProperties(Map.of("app", "web", "owner", "team-a"));
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String h = prefix + i;
            garden.create(base.withHandleValue(h));
            garden.destroy(h);
        }
        return System.nanoTime() - t0;
    }

    @Test
    void aRecordCostsMicrosecondsNotMilliseconds() {
        Caller caller = new Caller("unix", "/run/cloche/garden.sock", OptionalInt.of(0), OptionalLong.of(1), Optional.empty());
        int n = 3000;
        try (ContainerManager core = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS);
             JsonLinesAuditLog log = JsonLinesAuditLog.open(dir.resolve("audit.log"), 100L << 20, 2)) {
            GardenClient audited = new AuditedGardenClient(core, Auditor.of(log));
            long[] plain = new long[3];
            long[] withAudit = new long[3];
            CallContext.of(caller).run(() -> {
                pairsNanos(core, n, "warm-plain-");
                pairsNanos(audited, n, "warm-audit-");
                for (int round = 0; round < 3; round++) {
                    plain[round] = pairsNanos(core, n, "p" + round + "-");
                    withAudit[round] = pairsNanos(audited, n, "a" + round + "-");
                }
            });
            double plainUs = java.util.Arrays.stream(plain).min().orElseThrow() / 1000.0 / n;
            double auditUs = java.util.Arrays.stream(withAudit).min().orElseThrow() / 1000.0 / n;
            System.out.printf("create+destroy on the fake backend: %.1f us plain, %.1f us audited (2 records): +%.1f us per pair%n",
                    plainUs, auditUs, auditUs - plainUs);
            assertThat(auditUs - plainUs).isLessThan(1000);
        }
    }
}
