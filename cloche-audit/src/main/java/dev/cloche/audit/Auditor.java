package dev.cloche.audit;

import dev.cloche.api.CallContext;
import dev.cloche.api.Caller;
import dev.cloche.api.GardenException;
import java.time.Clock;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Runs one audited call and appends its record once the outcome is known: shared by every decorator, so every edge
 * is audited the same way. Who is the bound {@link CallContext} (taken when the call starts).
 */
public final class Auditor {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final AuditLog log;
    private final Supplier<CallContext> context;
    private final Clock clock;

    Auditor(AuditLog log, Supplier<CallContext> context, Clock clock) {
        this.log = Objects.requireNonNull(log, "log");
        this.context = Objects.requireNonNull(context, "context");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Calls audited under the context the edge bound ({@link CallContext#current()}). */
    public static Auditor of(AuditLog log) {
        return new Auditor(log, CallContext::current, Clock.systemUTC());
    }

    /**
     * Calls made by an in-process front-end ({@code console}, {@code proxy}) that binds no context of its own: each
     * gets a fresh request id and the front-end as caller.
     */
    public static Auditor frontEnd(AuditLog log, String name) {
        Caller caller = Caller.internal(name);
        return new Auditor(log, () -> CallContext.CURRENT.isBound() ? CallContext.CURRENT.get() : CallContext.of(caller),
                Clock.systemUTC());
    }

    /** A call about to be made: its verb, what it names and its (redacted) arguments. */
    static Call call(String verb, String handle) {
        return new Call(verb, Optional.of(handle), Optional.empty(), JSON.createObjectNode());
    }

    static Call call(String verb) {
        return new Call(verb, Optional.empty(), Optional.empty(), JSON.createObjectNode());
    }

    static ObjectNode object() {
        return JSON.createObjectNode();
    }

    /** Runs {@code body}; {@code onOk} may add what only the result tells (a generated handle or process id). */
    <T> T record(Call call, Supplier<T> body, BiFunction<Call, T, Call> onOk) {
        CallContext ctx = context.get();
        T result;
        try {
            result = body.get();
        } catch (RuntimeException | Error e) {
            append(ctx, call, outcome(e));
            throw e;
        }
        Call done = call;
        try {
            done = onOk.apply(call, result);
        } finally {
            append(ctx, done, AuditRecord.Outcome.OK);
        }
        return result;
    }

    void record(Call call, Runnable body) {
        record(call, () -> {
            body.run();
            return null;
        }, (c, nothing) -> c);
    }

    private void append(CallContext ctx, Call c, AuditRecord.Outcome outcome) {
        try {
            log.append(new AuditRecord(clock.instant(), ctx.requestId(), ctx.caller(), c.verb(), c.handle(), c.processId(),
                    c.detail().toString(), outcome));
        } catch (RuntimeException e) {
            // an audit record that cannot even be made must not turn a done call into a failed one
            org.slf4j.LoggerFactory.getLogger(Auditor.class).error("audit record of {} lost: {}", c.verb(), e.toString());
        }
    }

    static AuditRecord.Outcome outcome(Throwable e) {
        if (e instanceof GardenException g) {
            return AuditRecord.Outcome.failed(g.kind().name().toLowerCase(Locale.ROOT), e.getMessage());
        }
        return AuditRecord.Outcome.failed("internal", e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }

    /** What a record says was done; {@code detail} is filled before the call (and after, by {@code onOk}). */
    record Call(String verb, Optional<String> handle, Optional<String> processId, ObjectNode detail) {
        Call withHandle(String h) {
            return new Call(verb, Optional.of(h), processId, detail);
        }

        Call withProcess(String id) {
            return new Call(verb, handle, Optional.of(id), detail);
        }
    }
}
