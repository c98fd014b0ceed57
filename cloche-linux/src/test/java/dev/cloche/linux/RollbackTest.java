package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RollbackTest {
    @Test
    void undoesInReverseOrderAndAttachesLaterFailures() {
        List<String> order = new ArrayList<>();
        Rollback r = new Rollback();
        r.add("a", () -> order.add("a"));
        r.add("b", () -> {
            order.add("b");
            throw new IllegalStateException("b broke");
        });
        r.add("c", () -> order.add("c"));
        RuntimeException cause = r.unwind(new RuntimeException("create failed"));
        assertThat(order).containsExactly("c", "b", "a");
        assertThat(cause.getSuppressed()).hasSize(1);
        assertThat(cause.getSuppressed()[0]).hasMessageContaining("rollback of b failed: b broke");
        assertThat(r.unwind(new RuntimeException()).getSuppressed()).isEmpty();
    }
}
