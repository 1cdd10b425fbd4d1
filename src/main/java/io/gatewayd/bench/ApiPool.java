package io.gatewayd.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslHandler;


import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import java.net.InetSocketAddress;
import java.net.URI;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A small pool of HTTP/1.1 keep-alive connections to the control port. Requests on one connection
 * are pipelined: several may be in flight, and the answers come back in request order (the
 * gateway guarantees it). Everything about a connection happens on its event loop; callers on
 * other threads are handed over to it. A connection whose oldest request has waited longer than
 * the request timeout is closed, which fails every request on it; the next request opens a new one.
 * An https:// control port is spoken to over TLS, with the host name checked as gatewayctl's
 * other commands check it (java.net.http does; an SSLEngine only when told to).
 */
final class ApiPool implements AutoCloseable {
    /** The answer to one request, called on the connection's event loop. status 0 = no answer. */
    interface Callback {
        /** @param body the response body, valid only during the call; null when status is 0 */
        void done(int status, ByteBuf body, String failure);
    }

    private final Bootstrap bootstrap;
    private final InetSocketAddress address;
    private final String hostHeader;
    private final String token;
    private final SSLContext tls;
    private final long timeoutNanos;
    private final List<Conn> conns = new ArrayList<>();
    private final java.util.concurrent.atomic.AtomicInteger reconnects = new java.util.concurrent.atomic.AtomicInteger();

    ApiPool(BenchTransport transport, URI base, String token, int connections, long timeoutMillis) {
        this(transport, base, null, token, connections, timeoutMillis);
    }

    /** @param tls whom an https:// {@code base} may be; null for the JDK's default CAs */
    ApiPool(BenchTransport transport, URI base, SSLContext tls, String token, int connections, long timeoutMillis) {
        String host = base.getHost();
        boolean https = "https".equalsIgnoreCase(base.getScheme());
        int port = base.getPort() > 0 ? base.getPort() : https ? 443 : 80;
        this.address = new InetSocketAddress(host, port);
        this.hostHeader = host + ":" + port;
        this.token = token;
        try {
            this.tls = !https ? null : tls != null ? tls : SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no default TLS context", e);
        }
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        this.bootstrap = new Bootstrap()
                .group(transport.apiGroup())
                .channel(transport.channelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(timeoutMillis, 10_000));
        for (int i = 0; i < connections; i++) {
            conns.add(new Conn(transport.apiGroup().next()));
        }
    }

    int size() {
        return conns.size();
    }

    private SSLEngine engine() {
        SSLEngine e = tls.createSSLEngine(address.getHostString(), address.getPort());
        e.setUseClientMode(true);
        SSLParameters p = e.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        e.setSSLParameters(p);
        return e;
    }

    /** Whether connection {@code i} is open (tests). */
    boolean activeForTest(int i) {
        Channel ch = conns.get(i).channel;
        return ch != null && ch.isActive();
    }

    /** Connections opened again after the gateway (or a timeout) closed one. */
    int reconnects() {
        return reconnects.get();
    }

    /** The event loop that serves connection {@code i}: run work for it there. */
    EventLoop loop(int i) {
        return conns.get(i).loop;
    }

    /** POSTs JSON on connection {@code i}; {@code body} is released by the pool. */
    void post(int i, String path, ByteBuf body, Callback cb) {
        Conn c = conns.get(i);
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, path, body);
        req.headers().set(HttpHeaderNames.HOST, hostHeader);
        req.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (token != null && !token.isEmpty()) {
            req.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);
        }
        if (c.loop.inEventLoop()) {
            c.send(req, cb);
        } else {
            c.loop.execute(() -> c.send(req, cb));
        }
    }

    @Override
    public void close() {
        for (Conn c : conns) {
            c.loop.execute(c::closeNow);
        }
    }

    private record Pending(Callback cb, long sentAt) {
    }

    /** One keep-alive connection; every field is confined to {@link #loop}. */
    private final class Conn {
        final EventLoop loop;
        final ArrayDeque<Pending> pending = new ArrayDeque<>();
        final ArrayDeque<Object[]> waiting = new ArrayDeque<>(); // requests written once connected
        volatile Channel channel; // written on the loop; read by tests
        boolean connecting;
        boolean closed;
        boolean sweeping;

        Conn(EventLoop loop) {
            this.loop = loop;
        }

        void send(FullHttpRequest req, Callback cb) {
            if (closed) {
                req.release();
                cb.done(0, null, "pool_closed");
                return;
            }
            if (channel != null && channel.isActive()) {
                pending.add(new Pending(cb, System.nanoTime()));
                channel.writeAndFlush(req, channel.voidPromise());
                return;
            }
            waiting.add(new Object[] {req, cb});
            if (!connecting) {
                connect();
            }
        }

        private void connect() {
            if (channel != null) {
                reconnects.incrementAndGet();
            }
            connecting = true;
            ChannelFuture f = bootstrap.clone(loop).handler(new ChannelInitializer<Channel>() {
                @Override
                protected void initChannel(Channel ch) {
                    if (tls != null) {
                        ch.pipeline().addLast(new SslHandler(engine()));
                    }
                    ch.pipeline().addLast(new FlushConsolidationHandler(256, false),
                            new HttpClientCodec(), new HttpObjectAggregator(64 << 20), new Handler(Conn.this));
                }
            }).connect(address);
            f.addListener(done -> {
                connecting = false;
                if (!done.isSuccess()) {
                    String why = Bench.errorKind(done.cause());
                    while (!waiting.isEmpty()) {
                        Object[] w = waiting.poll();
                        ((FullHttpRequest) w[0]).release();
                        ((Callback) w[1]).done(0, null, why);
                    }
                    return;
                }
                channel = f.channel();
                if (closed) {
                    closeNow();
                    return;
                }
                while (!waiting.isEmpty()) {
                    Object[] w = waiting.poll();
                    send((FullHttpRequest) w[0], (Callback) w[1]);
                }
                if (!sweeping) {
                    sweeping = true;
                    loop.scheduleAtFixedRate(this::sweep, 200, 200, TimeUnit.MILLISECONDS);
                }
            });
        }

        /** Closes the connection when its oldest request is overdue (its requests then fail). */
        private void sweep() {
            Pending oldest = pending.peek();
            if (oldest != null && System.nanoTime() - oldest.sentAt > timeoutNanos && channel != null) {
                failAll("timeout");
                channel.close();
            }
        }

        void response(FullHttpResponse res) {
            Pending p = pending.poll();
            if (p != null) {
                p.cb.done(res.status().code(), res.content(), null);
            }
        }

        void failAll(String why) {
            while (!pending.isEmpty()) {
                pending.poll().cb.done(0, null, why);
            }
        }

        void closeNow() {
            closed = true;
            if (channel != null) {
                channel.close();
            }
        }
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final Conn conn;

        Handler(Conn conn) {
            this.conn = conn;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            conn.response(res);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (conn.channel == ctx.channel()) {
                conn.failAll("connection_closed");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
