package io.gatewayd.api;

import io.gatewayd.config.ControlConfig;
import io.gatewayd.delivery.HalfClose;
import io.gatewayd.server.KeyedRateLimiter;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Per control connection, between the HTTP codec and the body aggregator: a request over
 * control.max-requests-per-second (per remote address) is answered 429 without being read
 * further; a request that has not fully arrived within control.request-timeout (a slow body,
 * or no request at all on a fresh connection) is answered 408 and the connection closes. On a
 * connection over control.max-connections only an operator's request is served (whatever its
 * address's rate), and a 503 answers any other; such a connection must send its whole request
 * within a second of connecting (see {@link ControlAdmission}).
 */
final class ControlGuard extends ChannelDuplexHandler {
    /** Counters shared by all control connections. */
    static final class Counters {
        final KeyedRateLimiter<InetAddress> rate = new KeyedRateLimiter<>(10_000);
        final LongAdder rateLimited = new LongAdder();
        final LongAdder timedOut = new LongAdder();
    }

    private final Supplier<ControlConfig> config;
    private final Counters counters;
    /** Set on a connection over control.max-connections: only an operator's request is served on it. */
    private final ControlAdmission overCap;
    private ScheduledFuture<?> deadline;
    private long deadlineNanos;
    private boolean discarding;
    private boolean inRequest;
    private boolean answering;
    /** A response was written before its request had been read to the end (a synchronous answer). */
    private boolean answeredInRequest;

    ControlGuard(Supplier<ControlConfig> config, Counters counters, ControlAdmission overCap) {
        this.config = config;
        this.counters = counters;
        this.overCap = overCap;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        // the first request must arrive in time too; on the reserve, armed once for the whole request
        arm(ctx, overCap == null ? config.get().requestTimeout() : overCap.reservedRequestDeadline());
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            inRequest = true;
            if (overCap == null) {
                arm(ctx);
            }
            InetAddress from = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
            boolean operator = false;
            if (overCap != null && !discarding) {
                operator = ControlAdmission.operatorRequest((HttpRequest) msg);
                if (operator) {
                    HttpUtil.setKeepAlive((HttpRequest) msg, false); // served once: the reserve is for the next operator
                } else {
                    overCap.refused.increment();
                    discarding = true;
                    reply(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "too_many_connections", overCap.overCapMessage());
                }
            }
            // the leaking backend is usually on gatewayctl's address, and has spent its rate: the
            // reserve's one request per connection is bounded by the reserve already
            if (!discarding && !operator && !counters.rate.tryAcquire(from, config.get().maxRequestsPerSecond())) {
                counters.rateLimited.increment();
                discarding = true;
                reply(ctx, HttpResponseStatus.TOO_MANY_REQUESTS, "rate_limited", "more than "
                        + config.get().maxRequestsPerSecond() + " requests per second from " + from.getHostAddress()
                        + " (control.max-requests-per-second); slow down or use /api/batch");
            }
        }
        boolean last = msg instanceof LastHttpContent;
        if (discarding) {
            ReferenceCountUtil.release(msg);
        } else {
            ctx.fireChannelRead(msg);
        }
        if (last) {
            inRequest = false;
            disarm();
            if (answeredInRequest && overCap == null) { // answered already: from now on the connection idles
                answeredInRequest = false;
                arm(ctx);
            }
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        // a reserved connection is not kept alive: its answer closes it, no idle time to measure
        if (msg instanceof io.netty.handler.codec.http.HttpResponse && !answering && overCap == null) {
            if (inRequest) {
                answeredInRequest = true; // armed once the request's last part has passed
            } else {
                arm(ctx); // between requests a keep-alive connection may idle for the same time
            }
        }
        super.write(ctx, msg, promise);
    }

    /**
     * Sets the deadline. One timer per connection at most, re-armed lazily when it fires early:
     * a keep-alive connection serving thousands of requests per second does not schedule and
     * cancel a task for each.
     */
    private void arm(ChannelHandlerContext ctx) {
        arm(ctx, config.get().requestTimeout());
    }

    private void arm(ChannelHandlerContext ctx, java.time.Duration timeout) {
        long timeoutNanos = timeout.toNanos();
        deadlineNanos = System.nanoTime() + timeoutNanos;
        if (deadline == null) {
            deadline = ctx.executor().schedule(() -> timerFired(ctx), timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private void disarm() {
        deadlineNanos = 0;
    }

    private void timerFired(ChannelHandlerContext ctx) {
        deadline = null;
        if (deadlineNanos == 0) {
            return;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
            deadline = ctx.executor().schedule(() -> timerFired(ctx), left, TimeUnit.NANOSECONDS);
            return;
        }
        timedOut(ctx);
    }

    private void timedOut(ChannelHandlerContext ctx) {
        if (!ctx.channel().isActive()) {
            return;
        }
        if (overCap != null) {
            reserveTimedOut(ctx);
        } else if (inRequest) {
            counters.timedOut.increment();
            discarding = true;
            reply(ctx, HttpResponseStatus.REQUEST_TIMEOUT, "request_timeout", "the request did not arrive within "
                    + config.get().requestTimeout().toMillis() + " ms (control.request-timeout)");
        } else {
            ctx.close(); // an idle keep-alive connection
        }
    }

    /** Lets a reserved slot go: it is the operator's, and whoever took it did not use it in time. */
    private void reserveTimedOut(ChannelHandlerContext ctx) {
        overCap.refused.increment();
        if (inRequest) {
            discarding = true;
            reply(ctx, HttpResponseStatus.REQUEST_TIMEOUT, "request_timeout", "over control.max-connections, a "
                    + "connection is kept only for gatewayctl's requests, and this one did not arrive within "
                    + overCap.reservedRequestDeadline().toMillis() + " ms of connecting");
        } else {
            ctx.close(); // nothing, or not even a whole request head: no one to answer
        }
    }

    /** Answers at once and closes: the rest of the request is never read. */
    private void reply(ChannelHandlerContext ctx, HttpResponseStatus status, String code, String message) {
        answering = true;
        disarm();
        byte[] body = Json.bytes(Json.error(code, message));
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json; charset=utf-8");
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        if (status.code() == 429 || status.code() == 503) {
            res.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
        }
        HalfClose.answer(ctx, res); // the rest of the request may still be coming: FIN, not a reset
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        disarm();
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
        super.channelInactive(ctx);
    }
}
