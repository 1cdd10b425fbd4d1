package io.gatewayd.server;

import io.gatewayd.registry.Connection;
import io.netty.buffer.ByteBuf;

import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * What guards the client listeners: admission limits, the connect decision, TLS, and where
 * client messages go under the webhook policy.
 *
 * @param guard         connection limits and their counters
 * @param authenticator decides on WebSocket handshakes
 * @param tls           the current server certificate; null while none is configured
 * @param forwarder     receives client messages when client-messages.policy is webhook
 */
public record ClientSecurity(ConnectionGuard guard, ConnectAuthenticator authenticator, Supplier<ServerTls> tls,
                             MessageForwarder forwarder) {

    /** Forwards a client's message to the backend. Event loop; must not block; the buffer is only valid during the call. */
    public interface MessageForwarder {
        MessageForwarder NONE = (c, content, binary) -> null;

        /**
         * @return completes once the backend's answer was applied to the client (its reply
         *         queued), or will never be (failed, dropped); null when nothing was forwarded
         */
        CompletionStage<?> forward(Connection c, ByteBuf content, boolean binary);
    }

    /** No authentication, no TLS, limits from the live config. */
    public static ClientSecurity open(LiveConfig live) {
        return new ClientSecurity(new ConnectionGuard(() -> live.config().limits()), ConnectAuthenticator.ACCEPT_ALL,
                () -> null, MessageForwarder.NONE);
    }
}
