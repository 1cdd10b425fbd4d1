package io.gatewayd.delivery;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundInvoker;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.epoll.EpollTcpInfo;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.channel.uring.IoUringTcpInfo;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Ends a connection the gateway closes, once its close frame is flushed. Closing a socket that
 * still has unread input makes the kernel answer with a reset, and a client that is still
 * sending (over its message rate, say) may then lose the close frame and see only 1006. So the
 * gateway half-closes instead: it sends FIN, discards whatever else the client sends, and the
 * channel closes when both sides have ended (the client's FIN, read with half-closure allowed,
 * before or after ours) or once the client has taken nothing for the close grace
 * ({@link #cutWhenStalled}; {@link #cut}: a reset, if the client has not taken all that was
 * written). Over TLS likewise: close_notify goes before the FIN, and what the client still sends
 * is dropped before it is decrypted.
 *
 * <p>The same holds for an HTTP answer that ends a connection before any session exists (a
 * refused handshake, a control request over a limit): {@link #answer} sends it that way.
 */
public final class HalfClose {
    private static final String NAME = "closing";
    /**
     * How long a client gets to read an answer and close its side: an answer fits in the socket
     * buffers, so a client that reads at all has it in a round trip; more only holds descriptors.
     */
    static final long GRACE_MILLIS = 2000;
    /**
     * The most a closing client that keeps taking a little gets ({@link #cutWhenStalled}): a
     * backlog that takes longer is not worth a descriptor held by a client that barely reads.
     */
    static final long MAX_GRACE_MILLIS = 30_000;
    /**
     * Progress checks per grace: a client is cut between one and 1 + 1/CHECKS graces after it
     * last took something, at one scheduled task per closing connection.
     */
    private static final int CHECKS_PER_GRACE = 4;

    private HalfClose() {
    }

    /**
     * Writes {@code last} (an answer that ends the connection), then half-closes; the socket is
     * cut once the client has taken nothing for {@code graceMillis} ({@link #cutWhenStalled}), so
     * one that never reads or never closes its side holds a descriptor no longer. Input is
     * dropped from now on: what is already read and still on its way through the pipeline is the
     * caller's to ignore. A second call on a connection
     * already closing drops its answer. Any thread: the work is done on the channel's event loop.
     */
    public static void answer(Channel ch, Object last, long graceMillis) {
        answer(ch, ch, last, graceMillis);
    }

    /** As {@link #answer(Channel, Object, long)}, written from {@code ctx} (e.g. below a TLS handler, in clear). */
    public static void answer(ChannelHandlerContext ctx, Object last) {
        answer(ctx.channel(), ctx, last, GRACE_MILLIS);
    }

    private static void answer(Channel ch, ChannelOutboundInvoker via, Object last, long graceMillis) {
        if (!ch.eventLoop().inEventLoop()) { // a control reply completed by another thread (a cluster router)
            ch.eventLoop().execute(() -> answer(ch, via, last, graceMillis));
            return;
        }
        if (ch.pipeline().get(NAME) != null) {
            ReferenceCountUtil.release(last);
            return;
        }
        discardInput(ch);
        ChannelFuture flushed = via.writeAndFlush(last).addListener(f -> {
            if (f.isSuccess()) {
                afterFlush(ch);
            } else {
                ch.close();
            }
        });
        cutWhenStalled(ch, flushed, graceMillis, MAX_GRACE_MILLIS);
    }

    /**
     * Ends {@code ch} once its client has taken nothing of what is written to it for
     * {@link #GRACE_MILLIS}, or {@link #MAX_GRACE_MILLIS} after this call at the latest, if it is
     * still open then: see {@link #cut}. A client that reads slowly but steadily (a phone on a bad
     * network taking a backlog) gets all of it, as nginx's send_timeout times the gap between two
     * writes, not the whole transfer. {@code flushed} is the write of the last thing the client
     * was to get. Loop thread only.
     */
    public static void cutWhenStalled(Channel ch, ChannelFuture flushed) {
        cutWhenStalled(ch, flushed, GRACE_MILLIS, MAX_GRACE_MILLIS);
    }

    /** As {@link #cutWhenStalled(Channel, ChannelFuture)}, with its bounds given (tests shorten the cap). */
    static void cutWhenStalled(Channel ch, ChannelFuture flushed, long idleMillis, long capMillis) {
        new StallWatch(ch, flushed, idleMillis, capMillis).start();
    }

    /**
     * Ends {@code ch} after {@code graceMillis} if it is still open then, whatever the client
     * does, progress or not (destroy: a moment, not a goodbye): see {@link #cut}. {@code flushed}
     * is the write of the last thing the client was to get.
     */
    public static void cutAfter(Channel ch, ChannelFuture flushed, long graceMillis) {
        var cut = ch.eventLoop().schedule(() -> cut(ch, flushed), graceMillis, TimeUnit.MILLISECONDS);
        ch.closeFuture().addListener(f -> cut.cancel(false));
    }

    /**
     * Ends a connection whose client did not take in time what was written to it. Once all of it
     * is in the kernel ({@code flushed} succeeded) a close is clean: the client reads it, then the
     * end. Otherwise the socket may hold the first part of some message (a write is taken in
     * pieces, and a TLS record ends where 16 KiB do, not where a message does); a FIN, or a
     * close_notify after it, would let the client take that part, or the messages before it, for
     * a stream that ended cleanly. So the connection is reset instead, without a close_notify: the
     * client reads what reached it, then an error that says the stream was cut. Loop thread only.
     */
    static void cut(Channel ch, ChannelFuture flushed) {
        end(ch, flushed.isSuccess());
    }

    /**
     * As {@link #cut}, now, for a connection whose last write is not at hand: anything Netty still
     * holds for it is unsent (TLS encrypts at each flush, so unsent records are counted there).
     */
    public static void cutNow(Channel ch) {
        end(ch, unsent(ch) == 0);
    }

    /**
     * Bytes Netty holds for {@code ch} that the kernel has not taken: on io_uring, writes submitted
     * and not yet completed too; over TLS, encrypted records (TLS encrypts at each flush).
     */
    private static long unsent(Channel ch) {
        var buffer = ch.unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }

    /** The message Netty is writing to {@code ch} now, in part perhaps; null if none. */
    private static Object current(Channel ch) {
        var buffer = ch.unsafe().outboundBuffer();
        return buffer == null ? null : buffer.current();
    }

    /**
     * Whether the kernel sent {@code ch}'s client new data in the last {@code withinMillis}: the
     * client opened its window, so it is taking what it was sent. Asked of the kernel where it can
     * tell (epoll, io_uring): io_uring's write of a backlog may stay in flight, its bytes all
     * unsent to Netty, until the whole of it is in the socket; and a socket is writable again only
     * once a third of its buffer (some MiB, grown on a fast link) is free. Data sent in a
     * retransmission timeout is no sign of a client: it is what one gone without a word gets.
     */
    private static boolean sentData(Channel ch, long withinMillis) {
        try {
            if (ch instanceof IoUringSocketChannel u) {
                IoUringTcpInfo info = u.tcpInfo();
                return info.retransmits() == 0 && info.lastDataSent() < withinMillis;
            }
            if (ch instanceof EpollSocketChannel e) {
                EpollTcpInfo info = e.tcpInfo();
                return info.retransmits() == 0 && info.lastDataSent() < withinMillis;
            }
        } catch (RuntimeException closed) {
            // the socket is gone: no progress
        }
        return false;
    }

    /**
     * Watches one closing connection for progress: the bytes still unsent falling below the least
     * seen so far (nothing more is written to a closing connection, bar a close_notify), the
     * message being written shrinking, or the kernel sending data ({@link #sentData}). Polled
     * rather than told by write listeners or writability changes: a listener per write costs every
     * connection, and writability changes only at the water marks, which a slow client may take
     * longer than a grace to cross while it reads steadily.
     */
    private static final class StallWatch implements Runnable {
        private final Channel ch;
        private final ChannelFuture flushed;
        private final long idleNanos;
        private final long checkNanos;
        private final long capAt;
        private long leastUnsent;
        private long lastProgress;
        private long lastCheck;
        /** The message being written at the last check (compared by identity), and its bytes left then. */
        private Object lastCurrent;
        private long lastCurrentLeft;
        private ScheduledFuture<?> next;

        StallWatch(Channel ch, ChannelFuture flushed, long idleMillis, long capMillis) {
            this.ch = ch;
            this.flushed = flushed;
            this.idleNanos = TimeUnit.MILLISECONDS.toNanos(idleMillis);
            this.checkNanos = Math.max(1, idleNanos / CHECKS_PER_GRACE);
            long now = System.nanoTime();
            this.capAt = now + TimeUnit.MILLISECONDS.toNanos(Math.max(idleMillis, capMillis));
            this.lastProgress = now;
            this.lastCheck = now;
            this.leastUnsent = unsent(ch);
        }

        void start() {
            schedule(System.nanoTime());
            ch.closeFuture().addListener(f -> next.cancel(false));
        }

        @Override
        public void run() {
            if (!ch.isOpen()) {
                return;
            }
            long now = System.nanoTime();
            long unsent = unsent(ch);
            Object current = current(ch);
            long currentLeft = current instanceof ByteBuf b ? b.readableBytes() : -1;
            // Netty counts a message unsent until all of it is: one taken in part shows in its reader index
            boolean partOfCurrent = current != null && current == lastCurrent && currentLeft < lastCurrentLeft;
            long sinceCheck = TimeUnit.NANOSECONDS.toMillis(now - lastCheck);
            if (unsent < leastUnsent || partOfCurrent || sentData(ch, sinceCheck)) {
                leastUnsent = Math.min(unsent, leastUnsent);
                lastProgress = now;
            }
            lastCheck = now;
            lastCurrent = current;
            lastCurrentLeft = currentLeft;
            if (now - lastProgress >= idleNanos || now - capAt >= 0) {
                cut(ch, flushed);
                return;
            }
            schedule(now);
        }

        private void schedule(long now) {
            long until = Math.min(checkNanos, Math.min(lastProgress + idleNanos - now, capAt - now));
            next = ch.eventLoop().schedule(this, Math.max(0, until), TimeUnit.NANOSECONDS);
        }
    }

    private static void end(Channel ch, boolean allSent) {
        if (!ch.isOpen()) {
            return;
        }
        if (allSent) {
            ch.close();
            return;
        }
        ch.config().setOption(ChannelOption.SO_LINGER, 0); // close() then sends RST, and drops what is unsent
        // from the head of the pipeline: below the TLS handler, which would queue a close_notify
        // behind the unsent records and wait for it to be flushed
        ChannelHandlerContext first = ch.pipeline().firstContext();
        (first != null ? first : ch).close();
    }

    /** True once {@link #answer} or {@link #afterFlush} has begun to end the connection. */
    public static boolean closing(Channel ch) {
        return ch.pipeline().get(NAME) != null;
    }

    static void afterFlush(Channel ch) {
        if (!(ch instanceof DuplexChannel duplex) || !ch.isActive()) {
            ch.close();
            return;
        }
        discardInput(ch);
        SslHandler ssl = ch.pipeline().get(SslHandler.class);
        // no close_notify without a TLS session: before the handshake (plain HTTP at a TLS port) it is noise
        if (ssl == null || !ssl.handshakeFuture().isSuccess()) {
            shutdownOutput(duplex);
        } else {
            ssl.closeOutbound().addListener(f -> shutdownOutput(duplex));
        }
    }

    /** From now on, reads what the client sends and drops it: nothing after a close is a message. */
    static void discardInput(Channel ch) {
        if (ch.pipeline().get(NAME) == null) {
            ch.pipeline().addFirst(NAME, DiscardInput.INSTANCE);
        }
        ch.config().setAutoRead(true); // read to the client's end of input, whatever paused reading before
    }

    private static void shutdownOutput(DuplexChannel ch) {
        ch.shutdownOutput().addListener(f -> {
            // the client's FIN came first: both sides have ended
            if (!f.isSuccess() || ch.isInputShutdown()) {
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

        /**
         * The client's FIN (a channel that allows half-closure reports it instead of closing): once
         * ours is out too, the connection is done; before that, {@link #shutdownOutput} closes it.
         * Not passed on: a session being closed has nothing more to do on its client's end of input.
         */
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent || evt instanceof ChannelInputShutdownReadComplete) {
                if (!(ctx.channel() instanceof DuplexChannel d) || d.isOutputShutdown()) {
                    ctx.close();
                }
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close(); // e.g. the client's reset: it is going anyway
        }
    }
}
