package io.gatewayd.delivery;

/** WebSocket close codes the gateway sends, with the reason text that goes with them. */
public enum CloseCodes {
    NORMAL(1000, "closed by server"),
    GOING_AWAY(1001, "server shutting down"),
    HEARTBEAT_TIMEOUT(1001, "heartbeat timeout"),
    PROTOCOL_ERROR(1002, "protocol error"),
    INVALID_DATA(1007, "invalid data"),
    SLOW_CONSUMER(1008, "slow consumer: too much data pending"),
    POLICY(1008, "policy violation"),
    TOO_MANY_MESSAGES(1008, "too many messages (limits.client-messages-per-second)"),
    UID_LIMIT(1008, "too many connections for this uid (limits.max-connections-per-uid)"),
    MESSAGE_TOO_BIG(1009, "message too big"),
    /** Never sent (destroy sends no close frame): what close events report for a destroyed client. */
    DESTROYED(1006, "destroyed"),
    /**
     * Never sent: what close events report for a client that ended its side of the connection
     * (FIN) without a close frame, as they did when the gateway closed such a client at once.
     */
    INPUT_ENDED(1006, "");

    private final int code;
    private final String reason;

    CloseCodes(int code, String reason) {
        this.code = code;
        this.reason = reason;
    }

    public int code() {
        return code;
    }

    public String reason() {
        return reason;
    }
}
