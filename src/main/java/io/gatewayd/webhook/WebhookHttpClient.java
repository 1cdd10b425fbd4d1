package io.gatewayd.webhook;

import io.gatewayd.server.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
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
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.ScheduledFuture;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A small HTTP/1.1 client on the gateway's own event loops: one keep-alive pool per event loop
 * and host, DNS through Netty's non-blocking resolver, a deadline per request covering connect,
 * send and the whole response. All state of a loop is touched only on that loop.
 */
final class WebhookHttpClient {
    /** Idle keep-alive connections kept per loop and host. */
    private static final int MAX_IDLE_PER_HOST = 64;
    private static final int IDLE_CLOSE_SECONDS = 30;

    record Target(boolean https, String host, int port, String pathAndQuery, String hostHeader) {
        static Target parse(String url) {
            URI u = URI.create(url.trim());
            boolean https = "https".equalsIgnoreCase(u.getScheme());
            int port = u.getPort() > 0 ? u.getPort() : https ? 443 : 80;
            String path = (u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath())
                    + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
            String host = u.getHost();
            String bare = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
            boolean defaultPort = u.getPort() < 0 || port == (https ? 443 : 80);
            return new Target(https, bare, port, path, defaultPort ? host : host + ":" + port);
        }

        String poolKey() {
            return (https ? "https://" : "http://") + host + ":" + port;
        }
    }

    record Response(int status, byte[] body) {
    }

    /** A failure worth retrying: the request may not have reached the backend, or it timed out. */
    static final class NetworkException extends IOException {
        NetworkException(String message) {
            super(message, null);
        }
    }

    private final Transport transport;
    private final Map<EventLoop, Map<String, ArrayDeque<Channel>>> idle = new IdentityHashMap<>();
    private final AddressResolverGroup<InetSocketAddress> dns;
    private volatile SslContext tlsClient;

    WebhookHttpClient(Transport transport) {
        this.transport = transport;
        for (var e : transport.group()) {
            idle.put((EventLoop) e, new HashMap<>());
        }
        this.dns = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannelClass())
                .socketChannelType(transport.channelClass()));
    }

    /** POSTs {@code body}; call on {@code loop}. The future completes on {@code loop}. */
    CompletableFuture<Response> post(EventLoop loop, Target t, byte[] body, Map<String, String> headers,
                                     long timeoutMillis, int maxResponseBytes) {
        CompletableFuture<Response> result = new CompletableFuture<>();
        ScheduledFuture<?> deadline = loop.schedule(() -> {
            result.completeExceptionally(new NetworkException("no complete answer within " + timeoutMillis + " ms"));
        }, timeoutMillis, TimeUnit.MILLISECONDS);
        result.whenComplete((r, e) -> deadline.cancel(false));
        Channel pooled = pollIdle(loop, t);
        if (pooled != null) {
            send(pooled, t, body, headers, result, loop);
            return result;
        }
        InetSocketAddress address;
        try {
            address = address(t);
        } catch (UnknownHostException e) {
            result.completeExceptionally(new NetworkException("bad host " + t.host()));
            return result;
        }
        Bootstrap b = new Bootstrap()
                .group(loop)
                .channel(transport.channelClass())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) throws SSLException {
                        if (t.https()) {
                            ch.pipeline().addLast("ssl", sslHandler(ch, t));
                        }
                        ch.pipeline().addLast("http", new HttpClientCodec());
                        ch.pipeline().addLast("aggregate", new HttpObjectAggregator(maxResponseBytes));
                        ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, IDLE_CLOSE_SECONDS));
                        ch.pipeline().addLast("response", new ResponseHandler());
                    }
                });
        if (address.isUnresolved()) {
            b.resolver(dns);
        }
        ChannelFuture connect = b.connect(address);
        result.whenComplete((r, e) -> {
            if (e != null && !connect.isDone()) {
                connect.cancel(false);
                connect.channel().close();
            }
        });
        connect.addListener(f -> {
            if (!f.isSuccess()) {
                Throwable c = f.cause();
                result.completeExceptionally(new NetworkException("cannot connect to " + t.poolKey() + ": "
                        + (c == null ? "cancelled" : c.getMessage())));
                return;
            }
            send(connect.channel(), t, body, headers, result, loop);
        });
        return result;
    }

    private void send(Channel ch, Target t, byte[] body, Map<String, String> headers,
                      CompletableFuture<Response> result, EventLoop loop) {
        if (result.isDone()) {
            ch.close();
            return;
        }
        ResponseHandler h = ch.pipeline().get(ResponseHandler.class);
        h.await(result);
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, t.pathAndQuery(),
                Unpooled.wrappedBuffer(body));
        req.headers().set(HttpHeaderNames.HOST, t.hostHeader());
        req.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        req.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        headers.forEach((k, v) -> req.headers().set(k, v));
        ch.writeAndFlush(req).addListener(f -> {
            if (!f.isSuccess()) {
                result.completeExceptionally(new NetworkException("sending to " + t.poolKey() + " failed: "
                        + f.cause().getMessage()));
                ch.close();
            }
        });
        result.whenComplete((r, e) -> {
            h.done();
            if (e == null && h.reusable && ch.isActive()) {
                offerIdle(loop, t, ch);
            } else {
                ch.close();
            }
        });
    }

    private Channel pollIdle(EventLoop loop, Target t) {
        ArrayDeque<Channel> q = idle.get(loop).get(t.poolKey());
        while (q != null && !q.isEmpty()) {
            Channel c = q.pollLast(); // most recently used: least likely to have been closed by the server
            if (c.isActive()) {
                return c;
            }
        }
        return null;
    }

    private void offerIdle(EventLoop loop, Target t, Channel ch) {
        ArrayDeque<Channel> q = idle.get(loop).computeIfAbsent(t.poolKey(), k -> new ArrayDeque<>());
        if (q.size() >= MAX_IDLE_PER_HOST) {
            ch.close();
            return;
        }
        q.addLast(ch);
        ch.closeFuture().addListener(f -> q.remove(ch));
    }

    private static InetSocketAddress address(Target t) throws UnknownHostException {
        byte[] literal = NetUtil.createByteArrayFromIpAddressString(t.host());
        if (literal != null) {
            return new InetSocketAddress(InetAddress.getByAddress(t.host(), literal), t.port());
        }
        return InetSocketAddress.createUnresolved(t.host(), t.port());
    }

    private SslHandler sslHandler(Channel ch, Target t) throws SSLException {
        SslContext ctx = tlsClient;
        if (ctx == null) {
            ctx = SslContextBuilder.forClient().protocols("TLSv1.3", "TLSv1.2").build();
            tlsClient = ctx;
        }
        SslHandler h = ctx.newHandler(ch.alloc(), t.host(), t.port());
        SSLEngine engine = h.engine();
        SSLParameters p = engine.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        engine.setSSLParameters(p);
        return h;
    }

    /** Completes the request's future with the response; tells whether the connection may be reused. */
    private static final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private CompletableFuture<Response> pending;
        boolean reusable;

        void await(CompletableFuture<Response> f) {
            pending = f;
            reusable = false;
        }

        void done() {
            pending = null;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
            if (pending == null) {
                ctx.close(); // an answer nobody asked for
                return;
            }
            byte[] body = new byte[res.content().readableBytes()];
            res.content().readBytes(body);
            reusable = HttpUtil.isKeepAlive(res) && res.decoderResult().isSuccess();
            pending.complete(new Response(res.status().code(), body));
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (pending != null) {
                pending.completeExceptionally(new NetworkException("connection closed before the answer"));
            }
            super.channelInactive(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent && pending == null) {
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (pending != null) {
                String what = cause instanceof io.netty.handler.codec.TooLongFrameException
                        ? "answer larger than webhooks.max-response-size" : cause.toString();
                pending.completeExceptionally(cause instanceof io.netty.handler.codec.TooLongFrameException
                        ? new IOException(what) : new NetworkException(what));
            }
            ctx.close();
        }
    }
}
