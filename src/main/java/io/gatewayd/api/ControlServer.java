package io.gatewayd.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.GatewayStartException;
import io.gatewayd.config.ControlConfig;
import io.gatewayd.delivery.HalfClose;
import io.gatewayd.metrics.GatewayStats;
import io.gatewayd.server.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpExpectationFailedEvent;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** The HTTP control port: the push API as JSON, /health and /api/status. */
public final class ControlServer {
    /** Longest request line and largest header block the control port reads (Netty's defaults). */
    static final int MAX_INITIAL_LINE = 8192;
    static final int MAX_HEADER_SIZE = 16384;

    private final ApiMethods methods;
    private final GatewayStats stats;
    private final Supplier<ObjectNode> status;
    private final Supplier<String> healthState;
    private final ChannelGroup connections = new DefaultChannelGroup("control", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile ControlConfig config;
    /** Where and how it listens (address, http or https): a reload changes these only after a restart. */
    private final ControlConfig listen;
    private volatile ApiTokens tokens;
    /** The Keep-Alive header of keep-alive answers, built once per config rather than per answer. */
    private volatile io.netty.util.AsciiString keepAlive;
    private volatile boolean stopping;
    private final java.util.concurrent.CompletableFuture<Void> drained = new java.util.concurrent.CompletableFuture<>();
    private Channel serverChannel;
    private final ControlGuard.Counters guardCounters = new ControlGuard.Counters();
    private final ControlAdmission admission = new ControlAdmission(() -> config);
    private volatile Supplier<io.gatewayd.server.ServerTls> tls = () -> null;

    /** Where an https:// control port gets its certificate (read per connection, so reloads apply). */
    public ControlServer tls(Supplier<io.gatewayd.server.ServerTls> source) {
        this.tls = source;
        return this;
    }

    /**
     * @param healthState "ok", "starting", "draining", "stopping" or "degraded"; /health answers
     *                    200 for ok, draining and degraded
     */
    public ControlServer(ControlConfig config, ApiMethods methods, GatewayStats stats, Supplier<ObjectNode> status,
                         Supplier<String> healthState) {
        this.methods = methods;
        this.stats = stats;
        this.status = status;
        this.healthState = healthState;
        this.listen = config;
        update(config);
    }

    /** Applies new tokens and body limit (on reload); the listen address and scheme stay as started. */
    public void update(ControlConfig newConfig) {
        this.config = newConfig;
        this.tokens = new ApiTokens(newConfig.tokens());
        this.keepAlive = keepAliveHeader(newConfig.requestTimeout());
    }

    /**
     * "timeout=N": how long an idle keep-alive connection is kept (control.request-timeout, see
     * {@link ControlGuard}), so a client can retire it before the gateway closes it, instead of
     * sending a request into the close and not knowing whether it was carried out. Whole seconds,
     * rounded down so a client never counts on more than it gets: below a second that is 0, "do not
     * count on reusing it", since 1 would promise a second the gateway does not keep it for.
     */
    static io.netty.util.AsciiString keepAliveHeader(Duration requestTimeout) {
        return io.netty.util.AsciiString.cached("timeout=" + requestTimeout.toSeconds());
    }

    io.netty.util.AsciiString keepAlive() {
        return keepAlive;
    }

    public ControlServer bind(Transport transport) {
        ServerBootstrap b = new ServerBootstrap()
                .group(transport.group())
                .channel(transport.serverChannelClass())
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .handler(new io.gatewayd.server.AcceptFailures(() -> "control " + listen.listen(),
                        stats.acceptFailures))
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        initPipeline(ch);
                    }
                });
        ControlConfig c = listen;
        ChannelFuture f = b.bind(new InetSocketAddress(c.host(), c.port()));
        if (!f.awaitUninterruptibly(30, TimeUnit.SECONDS) || !f.isSuccess()) {
            Throwable cause = f.cause();
            String why = cause == null ? "timed out" : cause.getMessage();
            if (cause instanceof BindException || (why != null && why.toLowerCase().contains("already in use"))) {
                throw new GatewayStartException("cannot listen on control " + c.listen() + ": port " + c.port()
                        + " is already in use (another gatewayd? `gatewayctl status` or `ss -ltnp 'sport = :"
                        + c.port() + "'` tells)");
            }
            throw new GatewayStartException("cannot listen on control " + c.listen() + ": " + why);
        }
        serverChannel = f.channel();
        return this;
    }

    /** The handlers of one control connection (also what the control pipeline benchmark drives). */
    void initPipeline(Channel ch) {
        connections.add(ch);
        ControlAdmission.Admission admitted = admission.opened(ch);
        if (admitted == ControlAdmission.Admission.REFUSED) {
            if (listen.tls()) {
                ch.close(); // an answer would need a TLS handshake first: the descriptor held for it
            } else {
                ch.pipeline().addLast("refused", new PastReserve(admission.pastReserveMessage()));
            }
            return;
        }
        int maxBody = config.maxBodySize().intBytes();
        if (listen.tls()) {
            io.gatewayd.server.ServerTls t = tls.get();
            if (t == null) {
                ch.close();
                return;
            }
            ch.pipeline().addLast("plain-http", new io.gatewayd.server.PlainHttpOnTlsPort("application/json",
                    "{\"error\":{\"code\":\"tls_required\",\"message\":\"this control port speaks TLS: use "
                            + "https://{authority} (https://, not http://)\"}}\n"));
            ch.pipeline().addLast("ssl", t.newHandler(ch.alloc()));
        }
        ch.pipeline()
                .addLast("http", new HttpServerCodec(MAX_INITIAL_LINE, MAX_HEADER_SIZE, 65536))
                .addLast("guard", new ControlGuard(() -> config, guardCounters,
                        admitted == ControlAdmission.Admission.OPERATOR_ONLY ? admission : null))
                .addLast("body", new BodyLimit(maxBody))
                .addLast("api", new ControlHandler(this, methods, stats));
    }

    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public URI url() {
        String host = listen.host();
        return URI.create(listen.scheme() + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port());
    }

    /** Open control connections. */
    public int openConnections() {
        return connections.size();
    }

    /** Connections over control.max-connections: answered 503 too_many_connections (or, over TLS past the reserve, closed at once). */
    public long refusedConnections() {
        return admission.refused.sum();
    }

    /**
     * Connections over control.max-connections kept for gatewayctl status/stop/reload: the
     * descriptor budget counts them with the cap.
     */
    public static int operatorReserve() {
        return ControlAdmission.OPERATOR_RESERVE;
    }

    /** Requests refused with 429 (control.max-requests-per-second). */
    public long rateLimited() {
        return guardCounters.rateLimited.sum();
    }

    /** Requests answered 408 (control.request-timeout). */
    public long timedOut() {
        return guardCounters.timedOut.sum();
    }

    ApiTokens tokens() {
        return tokens;
    }

    ObjectNode status() {
        return status.get();
    }

    String healthState() {
        return healthState.get();
    }

    boolean isStopping() {
        return stopping;
    }

    void requestStarted() {
        inFlight.incrementAndGet();
    }

    void requestFinished() {
        if (inFlight.decrementAndGet() == 0 && stopping) {
            drained.complete(null);
        }
    }

    public int inFlight() {
        return inFlight.get();
    }

    /** Stops accepting, lets in-flight requests finish (up to {@code grace}), then closes every connection. */
    public void stop(Duration grace) {
        stopping = true;
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (inFlight.get() == 0) {
            drained.complete(null);
        }
        try {
            drained.get(grace.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            // give up waiting: the connections are closed below either way
        }
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /**
     * Aggregates a request body up to the limit; a larger one gets a JSON 413 and the connection
     * closes. This holds for a request announced with {@code Expect: 100-continue} too (curl and
     * PHP's curl send it for bodies over 1 KiB): Netty answers those itself with an empty 413, which
     * json_decode() turns into null, so the expectation is answered here.
     */
    private static final class BodyLimit extends HttpObjectAggregator {
        private final int max;

        BodyLimit(int max) {
            super(max, true);
            this.max = max;
        }

        @Override
        protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
            String expect = start.headers().get(HttpHeaderNames.EXPECT);
            if (expect != null && start.protocolVersion().compareTo(HttpVersion.HTTP_1_1) >= 0
                    && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect)) {
                start.headers().remove(HttpHeaderNames.EXPECT);
                pipeline.fireUserEventTriggered(HttpExpectationFailedEvent.INSTANCE);
                return errorResponse(HttpResponseStatus.EXPECTATION_FAILED, "expectation_failed", "Expect: "
                        + abbreviate(expect) + " is not supported; send "
                        + "Expect: 100-continue or no Expect header");
            }
            if (HttpUtil.is100ContinueExpected(start) && HttpUtil.getContentLength(start, -1L) > maxContentLength) {
                start.headers().remove(HttpHeaderNames.EXPECT);
                pipeline.fireUserEventTriggered(HttpExpectationFailedEvent.INSTANCE);
                return tooLarge(); // the aggregator writes it, then closes (a client error, closeOnExpectationFailed)
            }
            return super.newContinueResponse(start, maxContentLength, pipeline);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            HalfClose.answer(ctx, tooLarge()); // the client is likely still sending the body: FIN, not a reset
        }

        private FullHttpResponse tooLarge() {
            return errorResponse(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "body_too_large",
                    "request body is larger than the limit of " + max
                            + " bytes (control.max-body-size); send less per request (several /api/batch calls"
                            + " instead of one), or, for one big message, raise control.max-body-size and reload");
        }

        private static String abbreviate(String s) {
            return s == null ? "" : s.length() > 40 ? s.substring(0, 40) + "..." : s;
        }

        private static FullHttpResponse errorResponse(HttpResponseStatus status, String code, String message) {
            byte[] body = Json.bytes(Json.error(code, message));
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                    Unpooled.wrappedBuffer(body));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
            res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return res;
        }
    }
}
