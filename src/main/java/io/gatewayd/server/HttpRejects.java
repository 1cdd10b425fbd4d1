package io.gatewayd.server;

import io.gatewayd.delivery.HalfClose;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/**
 * Refuses a WebSocket handshake with an HTTP status and a one-line reason, then closes: once the
 * client has closed its side too, or has taken nothing for {@link #CLOSE_GRACE_MILLIS}.
 */
final class HttpRejects {
    private static final long CLOSE_GRACE_MILLIS = 2000;

    private HttpRejects() {
    }

    static void send(Channel ch, Rejection r, String detail) {
        send(ch, r.status(), r.message() + (detail == null || detail.isEmpty() ? "" : ": " + detail));
    }

    static void send(Channel ch, int status, String text) {
        byte[] body = (text.replaceAll("[\\r\\n]", " ") + "\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        switch (status) {
            case 401 -> res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
            case 426 -> {
                res.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
                res.headers().set(HttpHeaderNames.UPGRADE, "websocket");
            }
            case 429, 503 -> res.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
            default -> {
            }
        }
        // FIN after the answer, not a close: a client still sending would get a reset and lose it
        HalfClose.answer(ch, res, CLOSE_GRACE_MILLIS);
    }
}
