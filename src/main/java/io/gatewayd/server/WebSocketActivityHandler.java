package io.gatewayd.server;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;

/**
 * Sits in front of Netty's WebSocket protocol handler, which answers pings and swallows pongs
 * and close frames: it tells the connection's {@link ClientHandler} about them first, so control
 * frames count as heartbeat activity and the client's close code is known.
 */
@ChannelHandler.Sharable
final class WebSocketActivityHandler extends ChannelInboundHandlerAdapter {
    static final WebSocketActivityHandler INSTANCE = new WebSocketActivityHandler();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        if (msg instanceof PingWebSocketFrame) {
            ClientHandler h = ctx.pipeline().get(ClientHandler.class);
            if (h != null && !h.ping(ctx)) {
                ((PingWebSocketFrame) msg).release();
                return;
            }
        } else if (msg instanceof PongWebSocketFrame) {
            ClientHandler h = ctx.pipeline().get(ClientHandler.class);
            if (h != null) {
                h.activity();
            }
        } else if (msg instanceof CloseWebSocketFrame close) {
            ClientHandler h = ctx.pipeline().get(ClientHandler.class);
            if (h != null) {
                h.closeFrameReceived(close);
            }
        }
        super.channelRead(ctx, msg);
    }
}
