package dev.cloche.proxy;

import io.netty.channel.ChannelConfig;

/**
 * Whether a client connection reads: on unless some {@link Reason} holds it off. The channel's auto-read changes only
 * when the set of reasons becomes empty or non-empty: each change is an {@code epoll_ctl} at the next select, which
 * a request that needs no back-pressure (the common case) never pays.
 */
final class ReadGate {
    enum Reason {
        /** Pipelined requests wait behind the current one, as many as the backlog takes. */
        BACKLOG,
        /** The current request's body cannot go on now: its upstream connection is not up, or not writable. */
        BODY,
        /** The current request asks for a protocol switch and its body is in: what follows is not HTTP if it switches. */
        SWITCH
    }

    private final ChannelConfig config;
    private int held;

    ReadGate(ChannelConfig config) {
        this.config = config;
    }

    void hold(Reason r) {
        boolean open = held == 0;
        held |= 1 << r.ordinal();
        if (open) config.setAutoRead(false);
    }

    void release(Reason r) {
        if (held == 0) return;
        held &= ~(1 << r.ordinal());
        if (held == 0) config.setAutoRead(true);
    }

    boolean holds(Reason r) {
        return (held & 1 << r.ordinal()) != 0;
    }
}
