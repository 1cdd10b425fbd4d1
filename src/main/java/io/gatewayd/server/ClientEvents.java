package io.gatewayd.server;

import io.gatewayd.registry.Connection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

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

    /** A complete client message, after the built-in policy ran. {@code message} is only valid during the call. */
    default void onMessage(Connection c, Message message) {
    }

    /** The connection closed and has left the registry; {@code snapshot} holds its last uid, groups, session. */
    default void onClose(Connection c, io.gatewayd.registry.Registry.Snapshot snapshot, int closeCode, String reason) {
    }

    /**
     * WebSocket handshake details. A view of the request the gateway already holds: nothing is
     * copied or parsed unless asked for.
     */
    final class HandshakeInfo {
        private final String uri;
        private final HttpHeaders headers;

        HandshakeInfo(String uri, HttpHeaders headers) {
            this.uri = uri;
            this.headers = headers;
        }

        /** The request target as sent: path and query, e.g. {@code /ws?room=7}. */
        public String uri() {
            return uri;
        }

        /** The decoded path, e.g. {@code /ws}. */
        public String path() {
            return new QueryStringDecoder(uri).path();
        }

        /** The decoded query parameters, in order; empty when there is no query. */
        public Map<String, List<String>> query() {
            return new QueryStringDecoder(uri, StandardCharsets.UTF_8, true, 256).parameters();
        }

        /** A header's first value (the name is case-insensitive), or null when the request has none. */
        public String header(String name) {
            return headers.get(name);
        }

        /** Every value of a header (the name is case-insensitive); empty when the request has none. */
        public List<String> headers(String name) {
            return headers.getAll(name);
        }

        @Override
        public String toString() {
            return "HandshakeInfo[uri=" + uri + "]";
        }
    }

    /**
     * A client message: a view of the gateway's receive buffer, which it reuses once the call
     * returns. Copy what you keep ({@link #text()}, {@link #bytes()}).
     */
    final class Message {
        private final ByteBuf content;
        private final boolean binary;

        Message(ByteBuf content, boolean binary) {
            this.content = content;
            this.binary = binary;
        }

        /** A binary frame (WebSocket) rather than text. */
        public boolean binary() {
            return binary;
        }

        /** Size in bytes. */
        public int length() {
            return content.readableBytes();
        }

        /** The message decoded as UTF-8. */
        public String text() {
            return content.toString(StandardCharsets.UTF_8);
        }

        /** A copy of the message's bytes. */
        public byte[] bytes() {
            return ByteBufUtil.getBytes(content);
        }

        @Override
        public String toString() {
            return "Message[" + (binary ? "binary, " : "text, ") + length() + " bytes]";
        }
    }
}
