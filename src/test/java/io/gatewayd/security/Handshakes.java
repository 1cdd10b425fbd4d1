package io.gatewayd.security;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/** Helpers for handshakes that are expected to be refused. */
final class Handshakes {
    static final HttpClient HTTP = HttpClient.newHttpClient();

    private Handshakes() {
    }

    /** The HTTP status a refused WebSocket handshake got; fails if it was accepted. */
    static int refusedStatus(WebSocket.Builder builder, URI uri) {
        try {
            WebSocket ws = builder.buildAsync(uri, new WebSocket.Listener() {
            }).orTimeout(20, TimeUnit.SECONDS).join();
            ws.abort();
            throw new AssertionError("the handshake to " + uri + " was accepted");
        } catch (CompletionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) {
                return h.getResponse().statusCode();
            }
            throw new AssertionError("expected an HTTP refusal, got " + e.getCause(), e.getCause());
        }
    }

    static int refusedStatus(URI uri) {
        return refusedStatus(HTTP.newWebSocketBuilder(), uri);
    }
}
