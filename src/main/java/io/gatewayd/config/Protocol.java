package io.gatewayd.config;

import java.util.Locale;

/** The wire protocols a client listener speaks. */
public enum Protocol {
    /** WebSocket (RFC 6455), text and binary frames. */
    WEBSOCKET("websocket"),
    /** One message per newline-terminated line. */
    TEXT("text"),
    /** A 4-byte big-endian length, then the payload (Workerman's Frame protocol). */
    FRAME("frame");

    private final String scheme;

    Protocol(String scheme) {
        this.scheme = scheme;
    }

    public String scheme() {
        return scheme;
    }

    /** Reads a listener URL scheme; "ws" is accepted as an alias of "websocket". */
    public static Protocol ofScheme(String scheme) {
        return switch (scheme.toLowerCase(Locale.ROOT)) {
            case "websocket", "ws" -> WEBSOCKET;
            case "text" -> TEXT;
            case "frame" -> FRAME;
            default -> null;
        };
    }
}
