package io.gatewayd.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * First handler of every client socket: counts it against limits.max-connections and, unless
 * the peer is a trusted proxy (then the handshake guard counts the forwarded address), against
 * the per-address count and connect rate. A WebSocket socket over a limit is answered with the
 * HTTP status when its request arrives (unless too many already wait for theirs, see
 * {@link ConnectionGuard#ANSWERED_OVER_CAP}); a TCP one is closed at once. WebSocket sockets also get
 * the handshake deadline (slowloris): not open by then, they are answered 408 and closed.
 */
final class AdmissionHandler extends ChannelInboundHandlerAdapter {
    private final ConnectionGuard guard;
    private final boolean websocket;
    private boolean counted;
    private InetAddress countedAddress;
    private ScheduledFuture<?> deadline;

    AdmissionHandler(ConnectionGuard guard, boolean websocket) {
        this.guard = guard;
        this.websocket = websocket;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        counted = true;
        Rejection r = guard.socketOpened();
        InetAddress peer = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        if (r == null && !(websocket && guard.isTrustedProxy(peer))) {
            r = guard.addressOpened(peer);
            if (r == null) {
                countedAddress = peer;
            }
        }
        if (r != null) {
            guard.count(r);
            if (!websocket || guard.tooManyToAnswer()) {
                ClientSessions.EVENTS.debug("refused {}: {}", peer, r.message());
                ctx.close();
                return; // the session never opens
            }
            ctx.channel().attr(ChannelAttrs.REJECTED).set(r);
        }
        if (websocket) {
            long millis = guard.limits().handshakeTimeout().toMillis();
            deadline = ctx.executor().schedule(() -> handshakeTimedOut(ctx), millis, TimeUnit.MILLISECONDS);
        }
        super.channelActive(ctx);
    }

    /** The WebSocket handshake completed: the deadline is moot, and its timer need not wait 10 s to go. */
    void handshakeDone() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void handshakeTimedOut(ChannelHandlerContext ctx) {
        ClientHandler client = ctx.pipeline().get(ClientHandler.class);
        if (!ctx.channel().isActive() || (client != null && client.opened())) {
            return;
        }
        if (!ctx.channel().hasAttr(ChannelAttrs.REJECTED)) {
            guard.count(Rejection.HANDSHAKE_TIMEOUT);
        }
        ClientSessions.EVENTS.debug("handshake timeout {}", ctx.channel().remoteAddress());
        io.netty.handler.ssl.SslHandler ssl = ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class);
        if (ctx.pipeline().get("http") != null && (ssl == null || ssl.handshakeFuture().isSuccess())) {
            HttpRejects.send(ctx.channel(), Rejection.HANDSHAKE_TIMEOUT, null);
        } else {
            ctx.close(); // mid TLS handshake, or already upgraded: no HTTP answer possible
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        release();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        release();
    }

    private void release() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
        if (counted) {
            counted = false;
            guard.socketClosed();
            if (countedAddress != null) {
                guard.addressReleased(countedAddress);
                countedAddress = null;
            }
        }
    }
}
