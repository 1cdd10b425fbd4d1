package io.gatewayd.registry;

/** How a message's payload is framed on a connection's wire. */
public enum WireFormat {
    /** A server-to-client WebSocket frame (unmasked). */
    WEBSOCKET,
    /** A per-connection compressed WebSocket frame (permessage-deflate); cannot be shared. */
    WEBSOCKET_DEFLATE,
    /** Payload then "\n". */
    TEXT_LINE,
    /** 4-byte big-endian length counting the header too (Workerman's Frame), then the payload. */
    FRAME_INCLUSIVE,
    /** 4-byte big-endian length of the payload alone, then the payload. */
    FRAME_EXCLUSIVE
}
