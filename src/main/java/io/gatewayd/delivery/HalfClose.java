package io.gatewayd.delivery;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

/**
 * Ends a connection the gateway closes, once its close frame is flushed. Closing a socket that
 * still has unread input makes the kernel answer with a reset, and a client that is still
 * sending (over its message rate, say) may then lose the close frame and see only 1006. So the
 * gateway half-closes instead: it sends FIN, discards whatever else the client sends, and the
 * channel closes when the client closes its side (Netty closes on end of input) or when the
 * caller's grace cut runs out. Over TLS likewise: close_notify goes before the FIN, and what the
 * client still sends is dropped before it is decrypted.
 */
final class HalfClose {
    private HalfClose() {
    }

    static void afterFlush(Channel ch) {
        if (!(ch instanceof DuplexChannel duplex) || !ch.isActive()) {
            ch.close();
            return;
        }
        discardInput(ch);
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        if (ssl == null) {
            shutdownOutput(duplex);
        } else {
            ssl.closeOutbound().addListener(f -> shutdownOutput(duplex));
        }
    }

    /** From now on, reads what the client sends and drops it: nothing after a close is a message. */
    static void discardInput(Channel ch) {
        if (ch.pipeline().get("closing") == null) {
            ch.pipeline().addFirst("closing", DiscardInput.INSTANCE);
        }
        ch.config().setAutoRead(true); // read to the client's end of input, whatever paused reading before
    }

    private static void shutdownOutput(DuplexChannel ch) {
        ch.shutdownOutput().addListener(f -> {
            if (!f.isSuccess()) {
                ch.close();
            }
        });
    }

    /** Drops what a closed client still sends: nothing after the close is a message. */
    @ChannelHandler.Sharable
    static final class DiscardInput extends ChannelInboundHandlerAdapter {
        static final DiscardInput INSTANCE = new DiscardInput();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // e.g. the client's reset: it is going anyway
        }
    }
}
