package io.gatewayd.server;

/** Why a connection attempt was refused, with the HTTP status a WebSocket client gets for it. */
public enum Rejection {
    TOO_MANY_CONNECTIONS(503, "too many connections (limits.max-connections)"),
    TOO_MANY_FROM_ADDRESS(429, "too many connections from your address (limits.max-connections-per-ip)"),
    CONNECT_RATE(429, "too many new connections from your address (limits.connect-rate-per-ip)"),
    HANDSHAKE_TIMEOUT(408, "handshake not completed in time (limits.handshake-timeout)"),
    BAD_HANDSHAKE(400, "not a valid WebSocket handshake"),
    ORIGIN(403, "origin not allowed (auth.allowed-origins)"),
    TOKEN(401, "missing, invalid or expired token"),
    BACKEND(403, "refused by the backend (connect webhook)"),
    BACKEND_UNAVAILABLE(503, "the backend could not be asked (connect webhook failed)");

    private final int status;
    private final String message;

    Rejection(int status, String message) {
        this.status = status;
        this.message = message;
    }

    public int status() {
        return status;
    }

    public String message() {
        return message;
    }

    /** The name used in status counters. */
    public String key() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
