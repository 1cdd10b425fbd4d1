package io.gatewayd.api;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

import java.nio.charset.StandardCharsets;

/**
 * The whole pipeline of a plain-HTTP control connection past the operator's reserve: a 503
 * too_many_connections goes out as soon as the connection is up, and it closes once that is
 * written, its request never read. Closed with no answer, a backend could not tell "refused" from
 * "broke after it was carried out" (its client says a push may have been delivered); the answer
 * costs one write, and the descriptor is given back as soon as before. The request left unread
 * makes the close a reset, which a client still reads the answer before (it is sent first).
 */
final class PastReserve extends ChannelInboundHandlerAdapter {
    private final byte[] response;

    PastReserve(String message) {
        byte[] body = Json.bytes(Json.error("too_many_connections", message));
        byte[] head = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
                + "Content-Length: " + body.length + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        response = new byte[head.length + body.length];
        System.arraycopy(head, 0, response, 0, head.length);
        System.arraycopy(body, 0, response, head.length, body.length);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(Unpooled.wrappedBuffer(response)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        io.netty.util.ReferenceCountUtil.release(msg); // a request read before the close: not served
    }
}
