package io.gatewayd.server;

import io.gatewayd.GatewayStartException;
import io.gatewayd.config.ListenerConfig;
import io.gatewayd.config.OutboundConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** One bound client listener (websocket://, text:// or frame://). */
public final class ClientListener {
    private volatile ListenerConfig config;
    private volatile Channel serverChannel;
    private volatile String boundUrl;

    private ClientListener(ListenerConfig config) {
        this.config = config;
        this.boundUrl = config.url();
    }

    public static ClientListener bind(ListenerConfig config, Transport transport, ClientSessions sessions,
                                      OutboundConfig outbound) {
        return bind(config, transport, sessions, outbound, true);
    }

    /**
     * Binds; with {@code accepting} false the port is bound (so a port below 1024 can be taken
     * before privileges are dropped, as under jsvc) but no connection is accepted until
     * {@link #startAccepting()}: they wait in the kernel's backlog.
     */
    public static ClientListener bind(ListenerConfig config, Transport transport, ClientSessions sessions,
                                      OutboundConfig outbound, boolean accepting) {
        if (config.reusePort() && transport.reusePortOption() == null) {
            throw new GatewayStartException("listener " + config.url() + ": reuse-port needs a native transport "
                    + "(io_uring or epoll), but the gateway runs on " + transport.name()
                    + (transport.fallbackReason() == null ? " (node.transport)" : " (" + transport.fallbackReason() + ")"));
        }
        ClientListener listener = new ClientListener(config);
        ServerBootstrap b = new ServerBootstrap()
                .group(transport.group())
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .option(ChannelOption.AUTO_READ, accepting)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                // a client's FIN ends only its input: what is queued for it still goes out (ClientHandler)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        outbound.writeBufferLow().intBytes(), outbound.writeBufferHigh().intBytes()))
                .handler(new AcceptFailures(listener::url, sessions.stats().acceptFailures))
                .childHandler(new ClientChannelInitializer(listener::config, listener::url, sessions));
        if (config.reusePort()) {
            b.option(transport.reusePortOption(), true);
        }
        ChannelFuture f = b.bind(new InetSocketAddress(config.host(), config.port()));
        if (!f.awaitUninterruptibly(30, TimeUnit.SECONDS) || !f.isSuccess()) {
            throw bindFailure(config.url(), config.port(), f.cause());
        }
        listener.serverChannel = f.channel();
        listener.boundUrl = config.urlWithPort(((InetSocketAddress) f.channel().localAddress()).getPort());
        return listener;
    }

    static GatewayStartException bindFailure(String url, int port, Throwable cause) {
        String why = cause == null ? "timed out" : cause.getMessage();
        if (cause instanceof BindException || (why != null && why.toLowerCase().contains("address already in use"))) {
            return new GatewayStartException("cannot listen on " + url + ": port " + port
                    + " is already in use (another gatewayd, or another program; `ss -ltnp 'sport = :" + port
                    + "'` shows which)");
        }
        return new GatewayStartException("cannot listen on " + url + ": " + why);
    }

    public ListenerConfig config() {
        return config;
    }

    /**
     * Takes new settings for the connections it accepts from now on; the socket stays bound.
     * Only for settings on the same socket ({@link ListenerConfig#sameSocket}).
     */
    public void update(ListenerConfig next) {
        if (!config.sameSocket(next)) {
            throw new IllegalArgumentException(next.url() + " does not listen on the socket of " + config.url());
        }
        config = next;
    }

    /** The URL with the port actually bound. */
    public String url() {
        return boundUrl;
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public Channel serverChannel() {
        return serverChannel;
    }

    /** Starts accepting connections on a listener bound with {@code accepting} false. */
    public void startAccepting() {
        serverChannel.config().setAutoRead(true);
    }

    /** Stops accepting; existing connections are not touched. */
    public void close() {
        serverChannel.close().awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
