package io.gatewayd.server;

import io.gatewayd.config.ListenerConfig;
import io.gatewayd.config.Protocol;
import io.gatewayd.registry.WireFormat;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.epoll.EpollInterest;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;

import java.io.IOException;
import java.util.function.Supplier;

/**
 * Builds the pipeline of a client connection for its listener's protocol. Every pipeline ends
 * in a {@link ClientHandler}; what comes before it only turns bytes into whole messages.
 */
final class ClientChannelInitializer extends ChannelInitializer<Channel> {
    /** The handshake request is small; anything bigger is not a browser opening a WebSocket. */
    private static final int MAX_HANDSHAKE_BYTES = 16 * 1024;

    private final Supplier<ListenerConfig> config;
    private final Supplier<String> listenerUrl;
    private final ClientSessions sessions;

    /**
     * @param config      the listener's settings as they are now (a reload may change them)
     * @param listenerUrl the listener's URL with its bound port, known only once it is bound
     */
    ClientChannelInitializer(Supplier<ListenerConfig> config, Supplier<String> listenerUrl, ClientSessions sessions) {
        this.config = config;
        this.listenerUrl = listenerUrl;
        this.sessions = sessions;
    }

    @Override
    protected void initChannel(Channel ch) {
        try {
            EpollInterest.keepRegistered(ch); // else Netty 4.2.18 can cut a half-closed client's answer short
        } catch (IOException e) {
            ch.close(); // epoll_ctl refused a fresh socket: nothing can be served on it
            return;
        }
        ChannelPipeline p = ch.pipeline();
        ListenerConfig listener = config.get();
        int max = listener.maxFrameSize().intBytes();
        String url = listenerUrl.get();
        ClientSecurity security = sessions.security();
        p.addLast("admission", new AdmissionHandler(security.guard(), listener.protocol() == Protocol.WEBSOCKET));
        if (listener.tls()) {
            ServerTls tls = security.tls().get();
            if (tls == null) {
                ch.close(); // cannot happen: config validation requires a certificate for TLS listeners
                return;
            }
            if (listener.protocol() == Protocol.WEBSOCKET) {
                p.addLast("plain-http", new PlainHttpOnTlsPort("text/plain; charset=utf-8", "this port speaks TLS: "
                        + "connect with wss://{authority} (wss://, not ws://)\n"));
            }
            p.addLast("ssl", tls.newHandler(ch.alloc()));
        }
        switch (listener.protocol()) {
            case WEBSOCKET -> {
                p.addLast("http", new HttpServerCodec(4096, 8192, 8192));
                p.addLast("handshake", new HttpObjectAggregator(MAX_HANDSHAKE_BYTES));
                p.addLast("guard", new HandshakeGuard(sessions, security, url));
                if (listener.permessageDeflate()) {
                    // permessage-deflate only: Netty's compression handler also accepts the
                    // pre-standard deflate-frame, which sets RSV1 on continuation frames too
                    p.addLast("deflate", new WebSocketServerExtensionHandler(new PerMessageDeflateServerExtensionHandshaker(max)));
                }
                p.addLast("ws-activity", WebSocketActivityHandler.INSTANCE);
                p.addLast("ws", new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig.newBuilder()
                        .websocketPath("/")
                        .checkStartsWith(true) // any path is accepted, as GatewayWorker does
                        .allowExtensions(listener.permessageDeflate())
                        .subprotocols(Subprotocols.GATEWAYD)
                        .handshakeTimeoutMillis(security.guard().limits().handshakeTimeout().toMillis())
                        .decoderConfig(WebSocketDecoderConfig.newBuilder()
                                .maxFramePayloadLength(max)
                                .allowExtensions(listener.permessageDeflate())
                                // ClientHandler sends the close frame: the decoder would send
                                // none for a bad close frame (see WebSocketFailures)
                                .closeOnProtocolViolation(false)
                                .withUTF8Validator(true)
                                .build())
                        .build()));
                p.addLast("ws-message", new WebSocketFrameAggregator(listener.maxMessageSize().intBytes()));
                p.addLast("client", new ClientHandler(sessions, listener.protocol(), WireFormat.WEBSOCKET, url,
                        listener.welcome(), listener.maxMessageSize().intBytes()));
            }
            case TEXT -> {
                p.addLast("lines", new LineBasedFrameDecoder(max, true, true));
                p.addLast("client", new ClientHandler(sessions, listener.protocol(), WireFormat.TEXT_LINE, url,
                        listener.welcome()));
            }
            case FRAME -> {
                boolean inclusive = listener.lengthIncludesHeader();
                p.addLast("frames", new LengthFieldBasedFrameDecoder(max + 4, 0, 4, inclusive ? -4 : 0, 4, true));
                p.addLast("client", new ClientHandler(sessions, listener.protocol(),
                        inclusive ? WireFormat.FRAME_INCLUSIVE : WireFormat.FRAME_EXCLUSIVE, url, listener.welcome()));
            }
            default -> throw new IllegalStateException(listener.protocol().toString());
        }
    }
}
