package io.gatewayd.routing;

/**
 * The gateway cannot take more work now: its delivery queues are full, or (cluster mode) it is
 * already waiting for as many answers from other nodes as it keeps. Callers should retry later
 * (HTTP 503 overloaded).
 */
public final class OverloadedException extends RuntimeException {
    private final long deliveredLocal;

    public OverloadedException() {
        this("the gateway is overloaded: delivery queues are full; retry later", -1);
    }

    /**
     * @param deliveredLocal connections on this node that already got the push before the rest
     *                       was refused (a retry reaches them again), or -1 when nothing applies
     */
    public OverloadedException(String message, long deliveredLocal) {
        super(message, null, false, false);
        this.deliveredLocal = deliveredLocal;
    }

    /** Connections on this node that got the push before it was refused; -1 when not a push, or single-node. */
    public long deliveredLocal() {
        return deliveredLocal;
    }
}
