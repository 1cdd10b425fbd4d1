package io.gatewayd.routing;

/** The delivery queues are full; the push was not queued. Callers should retry later (HTTP 503). */
public final class OverloadedException extends RuntimeException {
    public OverloadedException() {
        super("the gateway is overloaded: delivery queues are full; retry later", null, false, false);
    }
}
