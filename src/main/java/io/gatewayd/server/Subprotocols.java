package io.gatewayd.server;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

/**
 * The Sec-WebSocket-Protocol entries of a handshake. Token clients offer "gatewayd" and the token
 * (new WebSocket(url, ["gatewayd", token])); the server selects "gatewayd" and never echoes the
 * token, which would put it in every proxy's log of response headers.
 */
public final class Subprotocols {
    /** The one subprotocol the server selects. */
    static final String GATEWAYD = "gatewayd";

    private Subprotocols() {
    }

    /** A JWT: three dot-separated parts. */
    public static boolean isToken(String entry) {
        return !entry.equals(GATEWAYD) && entry.chars().filter(ch -> ch == '.').count() == 2;
    }

    /**
     * Why the handshake offers a token the answer could not select, or null. A browser fails a
     * connection whose answer selects none of the subprotocols it offered, with an error that
     * says nothing of the cause: refusing it with a status and a reason is kinder.
     */
    static String tokenWithoutGatewayd(HttpHeaders headers) {
        String offered = headers.get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
        if (offered == null) {
            return null;
        }
        boolean token = false;
        for (String p : offered.split(",")) {
            String entry = p.trim();
            if (entry.equals(GATEWAYD)) {
                return null;
            }
            token |= isToken(entry);
        }
        return token ? "Sec-WebSocket-Protocol offers a token without \"" + GATEWAYD + "\", so the answer can select"
                + " none and browsers fail the connection; offer both: new WebSocket(url, ['" + GATEWAYD + "', token])"
                : null;
    }
}
