package io.gatewayd.server;

import io.gatewayd.config.Protocol;
import io.gatewayd.delivery.CloseCodes;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;

/**
 * The last handler of every client pipeline: turns decoded messages and channel events into
 * calls on {@link ClientSessions}. One instance per connection (it holds the connection).
 */
final class ClientHandler extends ChannelInboundHandlerAdapter {
    private final ClientSessions sessions;
    private final Protocol protocol;
    private final WireFormat tcpFormat;
    private final String listener;
    /** The listener's {@code welcome}: false for devices that must not get the welcome message. */
    private final boolean welcome;
    private Connection connection;
    private boolean opened;
    /** WebSocket: the handshake handlers are gone and this handler reads frames itself. */
    private boolean slim;
    private final int maxMessageSize;
    private CompositeByteBuf partial;
    private boolean partialBinary;
    private TokenBucket messageRate;
    private int closeCode = 1006; // abnormal closure unless we learn better
    private boolean inputEnded;
    private String closeReason = "";

    ClientHandler(ClientSessions sessions, Protocol protocol, WireFormat tcpFormat, String listener, boolean welcome) {
        this(sessions, protocol, tcpFormat, listener, welcome, Integer.MAX_VALUE);
    }

    /** @param maxMessageSize WebSocket: the largest message, fragments put together */
    ClientHandler(ClientSessions sessions, Protocol protocol, WireFormat tcpFormat, String listener,
                  boolean welcome, int maxMessageSize) {
        this.welcome = welcome;
        this.maxMessageSize = maxMessageSize;
        this.sessions = sessions;
        this.protocol = protocol;
        this.tcpFormat = tcpFormat;
        this.listener = listener;
    }

    /** A WebSocket ping or pong arrived: unlike GatewayWorker, that counts as heartbeat activity. */
    void activity() {
        if (connection != null) {
            connection.markActive();
        }
    }

    /** True once the session opened (WebSocket: the handshake completed). */
    boolean opened() {
        return opened;
    }

    /**
     * A client ping: counts against the message rate (a ping flood is closed like a message
     * flood). False if the ping must not be answered.
     */
    boolean ping(ChannelHandlerContext ctx) {
        activity();
        if (!withinMessageRate(ctx)) {
            return false;
        }
        if (!ctx.channel().isWritable()) {
            sessions.security().guard().pingsDropped.increment(); // it does not read its pongs: do not queue more
            return false;
        }
        return true;
    }

    /** Applies limits.client-messages-per-second; closes with 1008 and returns false when over it. */
    private boolean withinMessageRate(ChannelHandlerContext ctx) {
        int rate = sessions.security().guard().limits().clientMessagesPerSecond();
        if (rate <= 0 || connection == null) {
            return true;
        }
        long now = System.nanoTime();
        if (messageRate == null) {
            messageRate = new TokenBucket(rate, now);
        }
        if (messageRate.tryAcquire(rate, now)) {
            return true;
        }
        if (!connection.isClosing()) {
            sessions.security().guard().messageRateClosed.increment();
            ClientSessions.EVENTS.debug("closing {}: over {} messages per second", connection, rate);
            closeWith(ctx, CloseCodes.TOO_MANY_MESSAGES);
        }
        return false;
    }

    void closeFrameReceived(CloseWebSocketFrame frame) {
        closeCode = frame.statusCode() < 0 ? 1005 : frame.statusCode();
        closeReason = frame.reasonText();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (protocol != Protocol.WEBSOCKET) {
            opened = true;
            connection = sessions.open(ctx.channel(), protocol, tcpFormat, listener, welcome, null);
        }
        super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete hs) {
            boolean deflate = false;
            for (var entry : ctx.pipeline()) {
                if (entry.getValue() instanceof WebSocketExtensionEncoder) {
                    deflate = true;
                    break;
                }
            }
            opened = true; // from now on the handshake timeout no longer applies
            AdmissionHandler admission = ctx.pipeline().get(AdmissionHandler.class);
            if (admission != null) {
                admission.handshakeDone();
            }
            slimPipeline(ctx);
            connection = sessions.open(ctx.channel(), protocol,
                    deflate ? WireFormat.WEBSOCKET_DEFLATE : WireFormat.WEBSOCKET, listener, welcome,
                    new ClientEvents.HandshakeInfo(hs.requestUri(), hs.requestHeaders()));
            if (inputEnded) { // its FIN came while the upgrade was being answered: welcome, then close
                sessions.inputEnded(connection);
            }
            return;
        }
        if (evt instanceof ChannelInputShutdownEvent || evt instanceof ChannelInputShutdownReadComplete) {
            inputEnded(ctx);
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    /**
     * The client ended its side (FIN): nothing more will be read, but what is queued for it still
     * goes out before the close (see {@link io.gatewayd.delivery.Outbound#inputEnded}).
     */
    private void inputEnded(ChannelHandlerContext ctx) {
        if (inputEnded) {
            return; // the read-complete event that follows the shutdown event on some transports
        }
        inputEnded = true;
        releasePartial(); // a message the end of input cut short is no message
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        if (tls != null && !tls.handshakeFuture().isSuccess()) {
            // It can no longer finish the TLS handshake, so nothing queued for it (a text or frame
            // session's welcome) can ever reach it: waiting out the close grace would only hold the socket.
            ctx.close();
            return;
        }
        if (connection != null) {
            if (!connection.isClosing()) { // a close the gateway started ends on its own (HalfClose)
                ClientSessions.EVENTS.debug("input ended {}: writing what is queued, then closing", connection);
                sessions.inputEnded(connection);
            }
            return;
        }
        // No session yet (WebSocket). A complete handshake request being decided or answered is
        // finished, the session then opens and closes as above, within the handshake deadline;
        // anything else (a probe that connects and leaves, half a request) is closed now.
        HandshakeGuard guard = ctx.pipeline().get(HandshakeGuard.class);
        if (guard != null && !guard.deciding()) {
            ctx.close();
        }
    }

    /**
     * After the handshake a WebSocket connection needs only Netty's frame decoder and encoder and
     * this handler: the protocol handler, frame aggregator, UTF-8 validator and activity handler
     * that served the handshake go, and this handler does their per-frame work itself. A few
     * hundred bytes less per connection, and fewer hops per frame.
     */
    private void slimPipeline(ChannelHandlerContext ctx) {
        ChannelPipeline p = ctx.pipeline();
        for (String name : new java.util.ArrayList<>(p.names())) {
            ChannelHandler h = p.get(name);
            if (h instanceof WebSocketActivityHandler || h instanceof WebSocketServerProtocolHandler
                    || h instanceof WebSocketFrameAggregator || h instanceof Utf8FrameValidator) {
                p.remove(h);
            }
        }
        if (ctx.channel().hasAttr(HANDSHAKER)) {
            ctx.channel().attr(HANDSHAKER).getAndRemove(); // kept by the protocol handler for its close
        }
        slim = true;
    }

    private static final AttributeKey<Object> HANDSHAKER =
            AttributeKey.valueOf(WebSocketServerHandshaker.class, "HANDSHAKER");

    /** Loop thread: one decoded WebSocket frame of an open, slimmed connection. */
    private void frame(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame.rsv() != 0) {
            // the decoder of a permessage-deflate listener lets reserved bits through, whether or
            // not this client negotiated the extension; the inflater clears RSV1 on what it
            // inflated, so a bit still set is one no extension of this connection defines
            protocolError(ctx, "reserved bits " + frame.rsv() + " set on a " + frame.getClass().getSimpleName());
            return;
        }
        if (frame instanceof PingWebSocketFrame) {
            if (ping(ctx) && !connection.isClosing()) {
                ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()), ctx.voidPromise());
            }
        } else if (frame instanceof PongWebSocketFrame) {
            activity();
        } else if (frame instanceof CloseWebSocketFrame close) {
            if (close.statusCode() >= 0 && !WebSocketFailures.validCloseCode(close.statusCode())) {
                failWebSocket(ctx, CloseCodes.PROTOCOL_ERROR, "close code " + close.statusCode() + " is not one a client may send");
                return;
            }
            closeFrameReceived(close);
            if (!connection.isClosing()) { // answer the close handshake, then hang up
                // a push answered as delivered may still wait in the lane (a broadcast sweeps in
                // slices, io_uring may read first): it goes out before our close frame
                sessions.outbound().deliverPending(connection);
                connection.markClosing(closeCode, closeReason);
                ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode() < 0 ? 1000 : close.statusCode(), ""))
                        .addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.close(); // we had sent ours: the handshake is complete
            }
        } else if (frame instanceof ContinuationWebSocketFrame) {
            if (partial == null) {
                protocolError(ctx, "continuation frame without a message to continue");
                return;
            }
            append(ctx, frame);
        } else { // text or binary
            if (partial != null) {
                protocolError(ctx, "new message before the previous one was finished");
                return;
            }
            if (frame.isFinalFragment()) {
                message(ctx, frame.content(), frame instanceof BinaryWebSocketFrame);
            } else {
                partialBinary = frame instanceof BinaryWebSocketFrame;
                partial = ctx.alloc().compositeBuffer();
                append(ctx, frame);
            }
        }
    }

    private void append(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (partial.readableBytes() + frame.content().readableBytes() > maxMessageSize) {
            releasePartial();
            sessions.stats().oversizeClosed.increment();
            closeWith(ctx, CloseCodes.MESSAGE_TOO_BIG);
            return;
        }
        partial.addComponent(true, frame.content().retain());
        if (frame.isFinalFragment()) {
            try {
                message(ctx, partial, partialBinary);
            } finally {
                releasePartial();
            }
        }
    }

    private void message(ChannelHandlerContext ctx, ByteBuf content, boolean binary) {
        if (!binary && !ByteBufUtil.isText(content, StandardCharsets.UTF_8)) {
            closeWith(ctx, CloseCodes.INVALID_DATA);
            return;
        }
        if (withinMessageRate(ctx)) {
            sessions.message(connection, content, binary);
        }
    }

    private void protocolError(ChannelHandlerContext ctx, String why) {
        ClientSessions.EVENTS.debug("closing {}: {}", connection, why);
        releasePartial();
        closeWith(ctx, CloseCodes.PROTOCOL_ERROR);
    }

    private void releasePartial() {
        if (partial != null) {
            partial.release();
            partial = null;
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (connection == null) {
                return;
            }
            if (slim && msg instanceof WebSocketFrame frame) {
                if (!connection.isClosing() || frame instanceof CloseWebSocketFrame) {
                    frame(ctx, frame);
                }
                return;
            }
            if ((msg instanceof ByteBuf || msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame)
                    && !withinMessageRate(ctx)) {
                return;
            }
            if (msg instanceof TextWebSocketFrame f) {
                sessions.message(connection, f.content(), false);
            } else if (msg instanceof BinaryWebSocketFrame f) {
                sessions.message(connection, f.content(), true);
            } else if (msg instanceof WebSocketFrame) {
                activity(); // pong frames, when they get this far
            } else if (msg instanceof ByteBuf b) {
                sessions.message(connection, b, false);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        releasePartial();
        if (connection != null) {
            Connection c = connection;
            connection = null;
            // A close the gateway started is reported with the code it sent: the client's answer
            // is usually not read, as the socket is cut once our close frame is out.
            boolean byGateway = c.closeCode() != 0;
            sessions.closed(c, byGateway ? c.closeCode() : closeCode, byGateway ? c.closeReason() : closeReason);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable t = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        CloseCodes failure = protocol == Protocol.WEBSOCKET ? WebSocketFailures.closeCodeFor(cause) : null;
        if (failure != null) {
            failWebSocket(ctx, failure, t.getMessage());
        } else if (t instanceof TooLongFrameException) {
            sessions.stats().oversizeClosed.increment();
            closeWith(ctx, CloseCodes.MESSAGE_TOO_BIG);
        } else if (t instanceof CorruptedFrameException) {
            closeWith(ctx, CloseCodes.PROTOCOL_ERROR);
        } else {
            if (!(t instanceof IOException)) {
                ClientSessions.EVENTS.debug("closing {} after error: {}", connection, t.toString());
            }
            ctx.close();
        }
    }

    /**
     * A WebSocket client broke the protocol: it gets the close frame with the matching code, the
     * same way as every other close the gateway starts, so the close webhook reports that code.
     */
    private void failWebSocket(ChannelHandlerContext ctx, CloseCodes code, String why) {
        ClientSessions.EVENTS.debug("closing {} with {}: {}", connection, code.code(), why);
        releasePartial();
        if (connection != null && connection.isClosing()) {
            ctx.close(); // our close frame is already out: nothing more to say
            return;
        }
        if (code == CloseCodes.MESSAGE_TOO_BIG) {
            sessions.stats().oversizeClosed.increment();
        }
        closeWith(ctx, code);
    }

    private void closeWith(ChannelHandlerContext ctx, CloseCodes code) {
        closeCode = code.code();
        closeReason = code.reason();
        if (connection != null) {
            sessions.outbound().close(connection, code);
        } else if (protocol == Protocol.WEBSOCKET) {
            ctx.writeAndFlush(new CloseWebSocketFrame(code.code(), code.reason())).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }
}
