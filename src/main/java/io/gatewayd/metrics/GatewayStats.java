package io.gatewayd.metrics;

import java.util.concurrent.atomic.LongAdder;

/** Process-wide counters shown by /api/status and `gatewayctl status`. Cheap to bump from any thread. */
public final class GatewayStats {
    private final long startedAtMillis = System.currentTimeMillis();
    public final LongAdder connectionsAccepted = new LongAdder();
    public final LongAdder messagesIn = new LongAdder();
    public final LongAdder bytesIn = new LongAdder();
    public final LongAdder messagesOut = new LongAdder();
    public final LongAdder bytesOut = new LongAdder();
    public final LongAdder apiRequests = new LongAdder();
    public final LongAdder apiPushes = new LongAdder();
    public final LongAdder apiErrors = new LongAdder();
    public final LongAdder slowClientsDropped = new LongAdder();
    public final LongAdder heartbeatDropped = new LongAdder();
    public final LongAdder oversizeClosed = new LongAdder();
    public final LongAdder pushesRejected = new LongAdder();
    /** Pushes not delivered because their msg_id was delivered within control.dedup-window. */
    public final LongAdder duplicatesDropped = new LongAdder();
    /** accept() on a listening socket failed, mostly for want of file descriptors. */
    public final LongAdder acceptFailures = new LongAdder();

    public long startedAtMillis() {
        return startedAtMillis;
    }
}
