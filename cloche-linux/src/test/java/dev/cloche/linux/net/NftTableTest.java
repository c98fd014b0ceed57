package dev.cloche.linux.net;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.RecordingCommandRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Scripts asked for while nft runs go in together; a failed batch still gives each caller its own outcome. */
class NftTableTest {
    private final CountDownLatch release = new CountDownLatch(1);

    /** The first nft call blocks until released; any script naming "bad" fails, as nft fails a whole transaction. */
    private final RecordingCommandRunner runner = new RecordingCommandRunner(argv -> {
        if (argv.get(1).contains("first")) {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return argv.get(1).contains("bad") ? new CommandResult(1, "", "Error: Could not process rule") : CommandResult.ok("");
    });
    private final NftTable table = new NftTable(runner, new NftRules("cloche-t", List.of(), ""), "cloche-t", List::of);

    @Test
    void scriptsWaitingWhileNftRunsGoInAsOneForkAndAFailedBatchIsAppliedScriptByScript() throws Exception {
        Map<String, RuntimeException> failures = new ConcurrentHashMap<>();
        Thread first = start("add chain inet cloche-t first\n", failures);
        awaitCalls(1);
        List<Thread> queued = new ArrayList<>();
        for (String script : List.of("add chain inet cloche-t a\n", "add chain inet cloche-t b\n", "add chain inet cloche-t bad\n")) {
            queued.add(start(script, failures));
        }
        for (Thread t : queued) {
            while (t.getState() != Thread.State.WAITING) Thread.sleep(1);
        }
        release.countDown();
        first.join();
        for (Thread t : queued) t.join();

        List<String> scripts = runner.calls().stream().map(c -> c.get(1)).toList();
        assertThat(scripts.getFirst()).isEqualTo("add chain inet cloche-t first\n");
        // the three waiting went in as one transaction, which failed on "bad": then each on its own
        assertThat(scripts.get(1)).contains("cloche-t a\n", "cloche-t b\n", "cloche-t bad\n");
        assertThat(scripts.subList(2, scripts.size())).containsExactlyInAnyOrder(
                "add chain inet cloche-t a\n", "add chain inet cloche-t b\n", "add chain inet cloche-t bad\n");
        assertThat(failures).containsOnlyKeys("add chain inet cloche-t bad\n");
        assertThat(failures.get("add chain inet cloche-t bad\n")).hasMessageContaining("Could not process rule");
    }

    @Test
    void aBatchThatGoesInAnswersEveryCallerWithOneFork() throws Exception {
        Map<String, RuntimeException> failures = new ConcurrentHashMap<>();
        Thread first = start("add chain inet cloche-t first\n", failures);
        awaitCalls(1);
        Thread a = start("add chain inet cloche-t a\n", failures);
        Thread b = start("add chain inet cloche-t b", failures);
        while (a.getState() != Thread.State.WAITING || b.getState() != Thread.State.WAITING) Thread.sleep(1);
        release.countDown();
        first.join();
        a.join();
        b.join();
        assertThat(runner.calls()).hasSize(2);
        assertThat(runner.calls().get(1).get(1)).isIn("add chain inet cloche-t a\nadd chain inet cloche-t b\n",
                "add chain inet cloche-t b\nadd chain inet cloche-t a\n");
        assertThat(failures).isEmpty();
    }

    private Thread start(String script, Map<String, RuntimeException> failures) {
        Thread t = new Thread(() -> {
            try {
                table.run(script);
            } catch (RuntimeException e) {
                failures.put(script, e);
            }
        });
        t.start();
        return t;
    }

    private void awaitCalls(int n) throws InterruptedException {
        while (runner.calls().size() < n) Thread.sleep(1);
    }
}
