package io.gatewayd.server;

import io.gatewayd.registry.Connection;
import io.netty.buffer.ByteBuf;

/**
 * What happens to clients, for components that react to it (webhooks, logs, metrics). Called on
 * the connection's event loop: implementations must not block.
 */
public interface ClientEvents {
    /** The connection is registered and has its welcome message. {@code handshake} is null for TCP. */
    default void onConnect(Connection c, HandshakeInfo handshake) {
    }

    /** A complete client message, after the built-in policy ran. The buffer is only valid during the call. */
    default void onMessage(Connection c, ByteBuf content, boolean binary) {
    }

    /** The connection closed and has left the registry; {@code snapshot} holds its last uid, groups, session. */
    default void onClose(Connection c, io.gatewayd.registry.Registry.Snapshot snapshot, int closeCode, String reason) {
    }

    /** WebSocket handshake details: request path with query, and headers. */
    record HandshakeInfo(String uri, io.netty.handler.codec.http.HttpHeaders headers) {
    }
}
