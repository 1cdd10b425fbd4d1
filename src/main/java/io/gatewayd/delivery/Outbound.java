package io.gatewayd.delivery;

import io.gatewayd.config.OutboundConfig;
import io.gatewayd.metrics.GatewayStats;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.concurrent.EventExecutor;

import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The way out to clients: queues messages on the lanes of the event loops that own the target
 * connections, never writing from a foreign thread, and enforces the per-client bound on
 * pending bytes (a client over it is closed with 1008 and counted).
 */
public final class Outbound {
    /** Messages queued on one loop before pushes are refused with "overloaded". */
    static final int MAX_QUEUED_PER_LANE = 200_000;
    /**
     * How long a closing client may take nothing of what is still queued for it (its close frame
     * included) before the socket is cut ({@link HalfClose#cutWhenStalled}).
     */
    static final long CLOSE_GRACE_MILLIS = HalfClose.GRACE_MILLIS;
    /** How long a destroyed client's socket may take what was pushed before: a moment, not a goodbye. */
    static final long DESTROY_FLUSH_MILLIS = 200;

    private final Map<EventExecutor, Lane> lanes = new IdentityHashMap<>();
    private final List<Lane> laneList = new ArrayList<>();
    private final Registry registry;
    private final GatewayStats stats;
    private final Supplier<OutboundConfig> config;
    /**
     * Clients whose input ended while answers to their messages were awaited, by client_id: gone
     * from the registry, still reachable by their id ({@link #inputEnded}). Empty but for those.
     */
    private final ConcurrentHashMap<String, Connection> leaving = new ConcurrentHashMap<>();

    public Outbound(EventLoopGroup group, Registry registry, GatewayStats stats, Supplier<OutboundConfig> config) {
        this.registry = registry;
        this.stats = stats;
        this.config = config;
        for (EventExecutor e : group) {
            Lane lane = new Lane((EventLoop) e, this, MAX_QUEUED_PER_LANE, () -> config.get().writeSlice());
            lanes.put(e, lane);
            laneList.add(lane);
        }
    }

    public Lane lane(EventLoop loop) {
        Lane lane = lanes.get(loop);
        if (lane == null) {
            throw new IllegalStateException("event loop " + loop + " is not part of this gateway");
        }
        return lane;
    }

    public List<Lane> lanes() {
        return laneList;
    }

    /**
     * After the event loops have terminated: releases the messages their lanes still hold (see
     * {@link Lane#releaseAll}). False if some loop was still running, whose lane is left alone.
     */
    public boolean releaseAll() {
        boolean all = true;
        for (Lane lane : laneList) {
            all &= lane.releaseAll();
        }
        return all;
    }

    /**
     * How a push went: how many connections it was queued to (-1: the gateway is overloaded and
     * queued nothing), and when the caller should be answered ({@link Lane#admission}).
     */
    public record Queued(int count, CompletableFuture<Void> admitted) {
        static final Queued REJECTED = new Queued(-1, CompletableFuture.completedFuture(null));
        static final Queued NONE = new Queued(0, CompletableFuture.completedFuture(null));
    }

    /** Queues a message to each of {@code targets} (each at most once). */
    public Queued send(OutboundMessage message, Collection<Connection> targets) {
        try {
            if (targets.isEmpty()) {
                return Queued.NONE;
            }
            if (targets.size() == 1) {
                Connection c = targets.iterator().next();
                Lane lane = lane(c.channel().eventLoop());
                if (lane.writeNow(message, c)) {
                    return new Queued(1, Queued.NONE.admitted());
                }
                return lane.offer(message, List.of(c), Set.of())
                        ? new Queued(1, lane.admission()) : reject();
            }
            Map<EventLoop, List<Connection>> byLoop = new IdentityHashMap<>();
            for (Connection c : targets) {
                byLoop.computeIfAbsent(c.channel().eventLoop(), l -> new ArrayList<>()).add(c);
            }
            int queued = 0;
            List<CompletableFuture<Void>> admissions = new ArrayList<>(byLoop.size());
            for (Map.Entry<EventLoop, List<Connection>> e : byLoop.entrySet()) {
                Lane lane = lane(e.getKey());
                if (lane.offer(message, e.getValue(), Set.of())) {
                    queued += e.getValue().size();
                    admissions.add(lane.admission());
                }
            }
            return queued == 0 ? reject() : new Queued(queued, allOf(admissions));
        } finally {
            message.release();
        }
    }

    /** Queues a message to every connection except {@code exclude}; one task per event loop. */
    public Queued sendToAll(OutboundMessage message, Set<String> exclude) {
        try {
            int excluded = 0;
            for (String id : exclude) {
                if (registry.get(id) != null) {
                    excluded++;
                }
            }
            int expected = Math.max(0, registry.size() - excluded);
            List<CompletableFuture<Void>> admissions = new ArrayList<>(laneList.size());
            for (Lane lane : laneList) {
                if (lane.offer(message, null, exclude)) {
                    admissions.add(lane.admission());
                }
            }
            return admissions.isEmpty() ? reject() : new Queued(expected, allOf(admissions));
        } finally {
            message.release();
        }
    }

    private Queued reject() {
        stats.pushesRejected.increment();
        return Queued.REJECTED;
    }

    private static CompletableFuture<Void> allOf(List<CompletableFuture<Void>> fs) {
        if (fs.size() == 1) {
            return fs.get(0);
        }
        boolean allDone = true;
        for (CompletableFuture<Void> f : fs) {
            allDone &= f.isDone();
        }
        return allDone ? Queued.NONE.admitted() : CompletableFuture.allOf(fs.toArray(new CompletableFuture[0]));
    }

    /** Loop thread only. Writes without flushing; false if the client is gone or was just dropped. */
    boolean write(Connection c, OutboundMessage message, long maxPendingBytes) {
        Channel ch = c.channel();
        if (c.isClosing() || !ch.isActive()) {
            return false;
        }
        if (c.pendingOutboundBytes() + message.size() > maxPendingBytes) {
            stats.slowClientsDropped.increment();
            c.markClosing(CloseCodes.SLOW_CONSUMER.code(), CloseCodes.SLOW_CONSUMER.reason());
            registry.remove(c);
            ch.eventLoop().execute(() -> finishClose(c, CloseCodes.SLOW_CONSUMER, null));
            return false;
        }
        c.write(message.writable(c.wireFormat()));
        c.countOut(message.size());
        return true;
    }

    long maxLoopBacklog() {
        return config.get().maxLoopBacklog();
    }

    long maxPendingBytes() {
        return config.get().maxPendingBytes().bytes();
    }

    /**
     * The largest message {@link #write} lets through even to a client with nothing pending: a
     * bigger one would close every recipient as a slow consumer, so pushes refuse it up front.
     */
    public long maxMessageBytes() {
        return maxPendingBytes();
    }

    void countDelivered(long messages, long bytes) {
        if (messages > 0) {
            stats.messagesOut.add(messages);
            stats.bytesOut.add(bytes);
        }
    }

    /**
     * Closes a client politely: it leaves the registry at once (nothing more is routed to it),
     * gets a close frame (WebSocket) after what is already queued, and the socket is cut once
     * that is flushed, or once the client has taken nothing for the close grace (then with a
     * reset, if some of it is still unsent: {@link HalfClose#cutWhenStalled}). Any thread.
     */
    public void close(Connection c, CloseCodes code) {
        close(c, code, null);
    }

    /** As {@link #close(Connection, CloseCodes)}, sending {@code lastMessage} first when given. */
    public void close(Connection c, CloseCodes code, OutboundMessage lastMessage) {
        registry.remove(c);
        Channel ch = c.channel();
        EventLoop loop = ch.eventLoop();
        if (!loop.inEventLoop()) {
            loop.execute(() -> close(c, code, lastMessage));
            return;
        }
        if (!leaving.isEmpty() && leaving.remove(c.clientId(), c)) {
            endInput(c, lastMessage); // its input ended: it ends as such a client does, with no close frame
            return;
        }
        if (c.isClosing() || !ch.isActive()) {
            if (lastMessage != null) {
                lastMessage.release();
            }
            return;
        }
        lane(loop).deliverPendingTo(c); // a close must not overtake pushes already queued or answered
        c.markClosing(code.code(), code.reason());
        finishClose(c, code, lastMessage);
    }

    private void finishClose(Connection c, CloseCodes code, OutboundMessage lastMessage) {
        Channel ch = c.channel();
        try {
            if (lastMessage != null) {
                ch.write(lastMessage.writable(c.wireFormat()), ch.voidPromise());
                c.countOut(lastMessage.size());
            }
            Object closeFrame = switch (c.wireFormat()) {
                case WEBSOCKET, WEBSOCKET_DEFLATE -> new CloseWebSocketFrame(code.code(), code.reason());
                default -> Unpooled.EMPTY_BUFFER;
            };
            var flushed = ch.writeAndFlush(closeFrame).addListener(f -> {
                if (f.isSuccess()) {
                    HalfClose.afterFlush(ch);
                } else {
                    ch.close();
                }
            });
            HalfClose.cutWhenStalled(ch, flushed);
        } finally {
            if (lastMessage != null) {
                lastMessage.release();
            }
        }
    }

    /**
     * Loop thread only: writes now what the lane still holds for {@code c}. A client's close frame
     * is answered at once, and pushes answered before it was read must not be overtaken by that answer.
     */
    public void deliverPending(Connection c) {
        lane(c.channel().eventLoop()).deliverPendingTo(c);
    }

    /**
     * The client ended its side of the connection (FIN: shutdown(SHUT_WR), a script piped into nc,
     * a WebSocket client gone without a close frame). It leaves the registry at once, so nothing
     * more is routed to it by uid, group or broadcast, but what was queued for it before (pushes
     * already answered as delivered, its welcome) is written, then the connection closes. A
     * client that stops reading it is cut once it has taken nothing for the close grace, as a
     * client the gateway closes is while its close frame waits: then the connection is reset,
     * since part of a message may be out ({@link HalfClose#cutWhenStalled}). Loop thread only.
     *
     * <p>While the backend still owes answers to its messages (message webhooks sent or queued,
     * {@link #awaitAnswer}), the connection stays open for them, up to {@code answerWaitMillis}:
     * a script that sends its request and ends its side is waiting for exactly those. Meanwhile
     * it is {@linkplain #leaving addressable by its client_id} only (a webhook answer's reply and
     * close, sendToClient, closeClient, destroyClient); it is in no uid, group or broadcast, and
     * bindings for it are refused as for any client gone from the registry. Once the answers are
     * in (or the wait is over, or closeClient asks) it ends as above, reported with the same
     * close code (1006).
     */
    public void inputEnded(Connection c, long answerWaitMillis) {
        Channel ch = c.channel();
        boolean wait = c.answersAwaited() > 0 && answerWaitMillis > 0 && !c.isClosing() && ch.isActive();
        if (wait) {
            // before it leaves the registry: a push by its client_id finds it in the one or the other
            leaving.put(c.clientId(), c);
            ch.closeFuture().addListener(f -> leaving.remove(c.clientId(), c));
        }
        registry.remove(c);
        if (!wait) {
            endInput(c, null);
            return;
        }
        Lane lane = lane(ch.eventLoop());
        lane.deliverPendingTo(c); // what was queued before its input ended, broadcasts included
        if (c.isClosing()) {
            return; // over max-pending-bytes on the way: it is being closed as a slow consumer
        }
        lane.detach(c); // broadcasts go to the lane's connections: from here on not to this one
        var bound = ch.eventLoop().schedule(() -> endInput(c, null), answerWaitMillis, TimeUnit.MILLISECONDS);
        ch.closeFuture().addListener(f -> bound.cancel(false));
    }

    /**
     * A message of {@code c} went to the backend; {@code answered} completes once the answer was
     * applied (its reply queued) or will never be. A client whose input ended meanwhile is closed
     * once it has its last answer ({@link #inputEnded}). Loop thread only.
     */
    public void awaitAnswer(Connection c, CompletionStage<?> answered) {
        c.answerAwaited();
        answered.whenComplete((v, err) -> {
            EventLoop loop = c.channel().eventLoop();
            if (loop.inEventLoop()) {
                answerSettled(c);
            } else {
                try {
                    loop.execute(() -> answerSettled(c));
                } catch (java.util.concurrent.RejectedExecutionException stopped) {
                    // the gateway stopped: its connections are gone
                }
            }
        });
    }

    private void answerSettled(Connection c) {
        if (c.answerSettled() == 0 && !leaving.isEmpty() && leaving.get(c.clientId()) == c) {
            endInput(c, null);
        }
    }

    /**
     * A client whose input ended and that waits for answers to its messages ({@link #inputEnded}),
     * by client_id; null if there is none. Any thread.
     */
    public Connection leaving(String clientId) {
        return leaving.isEmpty() || clientId == null ? null : leaving.get(clientId);
    }

    /**
     * The clients whose input ended and that are kept open for answers to their messages
     * ({@link #inputEnded}): not in the registry, so not in its counts. Any thread.
     */
    public List<Connection> awaitingAnswers() {
        return leaving.isEmpty() ? List.of() : List.copyOf(leaving.values());
    }

    /** How many {@link #awaitingAnswers()} there are, without copying them. */
    public int awaitingAnswerCount() {
        return leaving.size();
    }

    /** What {@link #inputEnded} does once nothing more is awaited: write what is queued (and {@code lastMessage}), then end. */
    private void endInput(Connection c, OutboundMessage lastMessage) {
        if (!leaving.isEmpty()) {
            leaving.remove(c.clientId(), c);
        }
        Channel ch = c.channel();
        if (!c.isClosing() && ch.isActive()) {
            lane(ch.eventLoop()).deliverPendingTo(c);
        }
        if (c.isClosing() || !ch.isActive()) { // closed meanwhile, or over max-pending-bytes on the way
            if (lastMessage != null) {
                lastMessage.release();
            }
            return;
        }
        c.markClosing(CloseCodes.INPUT_ENDED.code(), CloseCodes.INPUT_ENDED.reason());
        if (lastMessage != null) {
            try {
                ch.write(lastMessage.writable(c.wireFormat()), ch.voidPromise());
                c.countOut(lastMessage.size());
            } finally {
                lastMessage.release();
            }
        }
        // no close frame: the client left the WebSocket without one, and its input is gone anyway
        var flushed = ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> ch.close());
        HalfClose.cutWhenStalled(ch, flushed);
    }

    /**
     * Cuts the connection (GatewayWorker's destroy): no close frame, and no waiting on a client
     * that does not read. Pushes it was sent before still go first, as far as the socket takes
     * them: GatewayWorker's gateway writes a push into the socket before it reads the destroy
     * that follows, and a backend that pushes, then destroys, expects the push to arrive. Here a
     * push answered a moment ago may still wait in the lane (io_uring can read the destroy before
     * the loop runs its queued writes), so it is written out first; what the socket has not
     * taken within {@link #DESTROY_FLUSH_MILLIS} is dropped with a reset ({@link HalfClose#cut}).
     * Any thread.
     */
    public void destroy(Connection c) {
        registry.remove(c);
        Channel ch = c.channel();
        EventLoop loop = ch.eventLoop();
        if (!loop.inEventLoop()) {
            loop.execute(() -> destroy(c));
            return;
        }
        if (!ch.isActive()) {
            return;
        }
        if (c.isClosing()) {
            HalfClose.cutNow(ch); // a polite close is waiting for the client: destroy does not
            return;
        }
        lane(loop).deliverPendingTo(c);
        c.markClosing(CloseCodes.DESTROYED.code(), CloseCodes.DESTROYED.reason());
        HalfClose.discardInput(ch);
        // closed once what was written is in the socket, or when the socket will not take it
        var flushed = ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> ch.close());
        HalfClose.cutAfter(ch, flushed, DESTROY_FLUSH_MILLIS);
    }

}
