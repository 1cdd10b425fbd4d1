package io.gatewayd.server;

import io.netty.util.AttributeKey;

import java.net.InetSocketAddress;

/** Per-connection facts learnt before the connection opens, handed to {@link ClientSessions#open}. */
final class ChannelAttrs {
    /** The client's address when it differs from the socket's peer (X-Forwarded-For via a trusted proxy). */
    static final AttributeKey<InetSocketAddress> REMOTE = AttributeKey.valueOf("gatewayd.remote");
    /** The client_id already shown to the backend during the handshake. */
    static final AttributeKey<String> CLIENT_ID = AttributeKey.valueOf("gatewayd.clientId");
    /** What to apply as soon as the connection opens (token claims, connect webhook answer). */
    static final AttributeKey<ClientActions> ACTIONS = AttributeKey.valueOf("gatewayd.actions");
    /** Set when admission refused the socket; the handshake guard answers with it. */
    static final AttributeKey<Rejection> REJECTED = AttributeKey.valueOf("gatewayd.rejected");

    private ChannelAttrs() {
    }
}
