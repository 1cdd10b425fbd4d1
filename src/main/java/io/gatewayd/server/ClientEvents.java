package io.gatewayd.server;

import io.gatewayd.registry.Connection;
import io.netty.buffer.ByteBuf;

/**
 * What happens to clients, for components that react to it (webhooks, logs, metrics, embedding
 * code via {@code Gateway.builder(config).clientEvents(...)}).
 *
 * <p>Every method is called on the connection's event loop (a thread named {@code gatewayd-io-*}),
 * and all events of one connection on the same thread, in order. That loop serves many other
 * connections: a callback that blocks (I/O, locks, a database, {@code join()} on a push) stalls
 * all of them, and the gateway logs a warning for any callback that takes over 100 ms. Hand slow
 * work to an executor of your own. Pushes through {@code Gateway.router()} may be started here;
 * do not wait for their result. A callback that throws is logged; the other listeners still get
 * the event and the connection stays open.
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
