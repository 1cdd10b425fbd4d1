package io.gatewayd.server;

import io.netty.handler.codec.http.HttpHeaders;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * Decides whether a WebSocket handshake may complete: origin allow-list, connect token, or the
 * backend's connect webhook. Called on the connection's event loop before the upgrade, so a
 * refused client gets an HTTP status and the gateway allocates nothing for it.
 */
public interface ConnectAuthenticator {
    /** Accepts everyone (GatewayWorker's behaviour). */
    ConnectAuthenticator ACCEPT_ALL = r -> CompletableFuture.completedFuture(Decision.accept(ClientActions.NONE));

    /** Must not block; the future may complete on any thread. */
    CompletableFuture<Decision> decide(Request request);

    /** Whether {@link #decide} may take a network round trip (then reads pause while it runs). */
    default boolean mayBeSlow() {
        return false;
    }

    /**
     * A handshake to decide on.
     *
     * @param clientId the id the connection will get if accepted
     * @param remote   the client's address (the X-Forwarded-For one behind a trusted proxy)
     * @param listener the listener URL
     * @param uri      request path and query
     * @param headers  request headers
     * @param loop     the connection's event loop
     * @param active   whether the client is still waiting (false once it hung up or timed out)
     */
    record Request(String clientId, InetSocketAddress remote, String listener, String uri, HttpHeaders headers,
                   io.netty.channel.EventLoop loop, java.util.function.BooleanSupplier active) {
    }

    /** Accept (with actions applied once the connection is open) or reject (with why). */
    record Decision(Rejection rejection, String detail, ClientActions actions) {
        public static Decision accept(ClientActions actions) {
            return new Decision(null, null, actions);
        }

        public static Decision reject(Rejection why, String detail) {
            return new Decision(why, detail, null);
        }

        public boolean accepted() {
            return rejection == null;
        }
    }
}
