package io.gatewayd.delivery;

import io.gatewayd.registry.Connection;
import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * Everything one event loop does for delivery: the connections it owns and the messages waiting
 * to be written to them. Messages from any thread are queued; tasks on the loop write them.
 *
 * <p>Every message gets a sequence number in this lane, and every connection remembers how far
 * through the sequence it is ({@link Connection#laneSeq()}). A message for named connections is
 * written at once: each target first catches up on the broadcasts before it. A broadcast joins a
 * window and is written by a <em>sweep</em> over the connections, {@code write-slice} of them
 * per turn; between turns the loop serves its sockets, so API requests on this loop keep being
 * read during a broadcast to many clients. A swept connection gets every broadcast it is behind
 * on at once and is flushed once, so under load several messages leave in one write() — the
 * coalescing that makes broadcasts cheap. Per connection, messages leave in sequence order.
 *
 * <p>All fields but the queue and its counters are confined to the loop thread.
 */
public final class Lane implements Runnable {
    private final EventLoop loop;
    private final Outbound outbound;
    private final Queue<Task> queue = PlatformDependent.newMpscQueue();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicInteger queued = new AtomicInteger();
    private final int maxQueued;
    private final IntSupplier writeSlice;
    /** Writes still to do on this loop (a broadcast counts one per connection): the backlog. */
    private final AtomicLong pendingWrites = new AtomicLong();
    private final Queue<CompletableFuture<Void>> admissionWaiters = PlatformDependent.newMpscQueue();
    private final Runnable nextSlice = this::sweepTurn;
    private final Runnable admitWaiters = this::admitWaiters;
    private volatile int liveConnections;

    // loop-confined
    private final ArrayList<Connection> connections = new ArrayList<>();
    private final ArrayList<Connection> dirty = new ArrayList<>();
    private final ArrayList<Connection> detachLater = new ArrayList<>();
    /** Broadcasts not yet written to every connection, oldest first. */
    private final ArrayDeque<Task> window = new ArrayDeque<>();
    private boolean iterating;
    private long maxPending;
    private long nextSeq;
    /** Position of the sweep in {@link #connections} (those before it are visited), -1: no sweep. */
    private int cursor = -1;
    /** Every connection is at least this far once the current sweep completes. */
    private long sweepTarget;
    private boolean sliceScheduled;
    /** Writes finished in this turn, taken off {@link #pendingWrites} at its end. */
    private long finishedWrites;
    private long deliveredMessages;
    private long deliveredBytes;

    Lane(EventLoop loop, Outbound outbound, int maxQueued, IntSupplier writeSlice) {
        this.loop = loop;
        this.outbound = outbound;
        this.maxQueued = maxQueued;
        this.writeSlice = writeSlice;
    }

    public EventLoop loop() {
        return loop;
    }

    /**
     * Loop thread only: the connection is live and receives messages queued from now on. What was
     * queued before goes to the connections that were there: a broadcast answered before this
     * client connected is not for it (io_uring can accept and upgrade a connection before the loop
     * runs the broadcast queued a moment earlier).
     */
    public void attach(Connection c) {
        if (!iterating && !queue.isEmpty()) {
            run();
        }
        c.laneIndex(connections.size());
        c.laneSeq(nextSeq);
        connections.add(c);
        liveConnections = connections.size();
    }

    /** Loop thread only. Safe to call while the lane iterates (e.g. a write fails and closes). */
    public void detach(Connection c) {
        if (iterating) {
            detachLater.add(c);
            return;
        }
        int at = c.laneIndex();
        if (at < 0 || at >= connections.size() || connections.get(at) != c) {
            return;
        }
        c.laneIndex(-1);
        int last = connections.size() - 1;
        if (cursor > at) {
            // keep the visited connections before the cursor: the last visited one fills the gap,
            // the last (unvisited) one takes its place, and the cursor steps back onto it
            int lastVisited = cursor - 1;
            move(lastVisited, at);
            move(last, lastVisited);
            cursor--;
        } else {
            move(last, at);
        }
        connections.remove(last);
        liveConnections = connections.size();
    }

    private void move(int from, int to) {
        if (from != to) {
            Connection moved = connections.get(from);
            connections.set(to, moved);
            moved.laneIndex(to);
        }
    }

    /** Loop thread only: visits every connection this loop owns. */
    public void forEachConnection(Consumer<Connection> visitor) {
        iterating = true;
        try {
            for (int i = 0, n = connections.size(); i < n; i++) {
                visitor.accept(connections.get(i));
            }
        } finally {
            endIteration();
        }
    }

    private void endIteration() {
        iterating = false;
        if (!detachLater.isEmpty()) {
            for (Connection c : detachLater) {
                detach(c);
            }
            detachLater.clear();
        }
    }

    /** Connections this loop owns, readable from any thread (status). */
    public int liveConnections() {
        return liveConnections;
    }

    /** Writes queued on this loop and not yet done: what admission compares with max-loop-backlog. */
    public long backlog() {
        return pendingWrites.get();
    }

    /** Queues a message for some of this loop's connections, or (targets null) all of them. */
    boolean offer(OutboundMessage message, List<Connection> targets, Set<String> exclude) {
        if (queued.incrementAndGet() > maxQueued) {
            queued.decrementAndGet();
            return false;
        }
        message.retain();
        long writes = targets == null ? liveConnections : targets.size();
        pendingWrites.addAndGet(writes);
        queue.offer(new Task(message, targets, exclude, writes));
        if (scheduled.compareAndSet(false, true)) {
            loop.execute(this);
        }
        return true;
    }

    /**
     * Writes a message to one of this loop's connections at once when called on the loop with
     * nothing queued before it (a push read on the loop that owns its target): no task, no queue.
     * False when that is not the case; the caller then {@link #offer}s it.
     */
    boolean writeNow(OutboundMessage message, Connection target) {
        if (!loop.inEventLoop() || iterating || scheduled.get() || !queue.isEmpty()) {
            return false;
        }
        begin();
        writeInSequence(target, message, nextSeq++);
        end();
        return true;
    }

    /**
     * Loop thread only: writes to {@code c} at once everything queued for it so far (what waits in
     * this lane's queue, and the broadcasts the sweep has not brought it yet), so that its close,
     * which goes out next, does not overtake a push that was already answered.
     */
    void deliverPendingTo(Connection c) {
        if (iterating) {
            return; // inside this lane's own turn (a failed write closing it): nothing is behind it
        }
        if (!queue.isEmpty()) {
            run();
        }
        if (c.laneIndex() < 0) {
            return;
        }
        begin();
        catchUp(c, nextSeq);
        end();
    }

    /** Takes in what was queued: named targets are written now, broadcasts join the sweep. */
    @Override
    public void run() {
        scheduled.set(false);
        begin();
        Task t;
        while ((t = queue.poll()) != null) {
            queued.decrementAndGet();
            t.seq = nextSeq++;
            if (t.targets == null) {
                window.add(t);
                continue;
            }
            try {
                writeTo(t);
            } finally {
                t.message.release();
                finishedWrites += t.writes;
            }
        }
        sweepSlice();
        end();
    }

    private void sweepTurn() {
        sliceScheduled = false;
        begin();
        sweepSlice();
        end();
    }

    private void begin() {
        maxPending = outbound.maxPendingBytes(); // one config read per turn, not per write
        iterating = true;
    }

    private void end() {
        for (int i = 0, n = dirty.size(); i < n; i++) {
            Connection c = dirty.get(i);
            c.flushed();
            c.flush();
        }
        dirty.clear();
        endIteration();
        outbound.countDelivered(deliveredMessages, deliveredBytes);
        deliveredMessages = 0;
        deliveredBytes = 0;
        // the backlog shrinks only now, flushed and counted: a push admitted on another thread
        // the moment it drops never sees writes of this turn still in progress
        if (finishedWrites != 0) {
            pendingWrites.addAndGet(-finishedWrites);
            finishedWrites = 0;
        }
        admitWaiters();
        if (cursor >= 0 && !sliceScheduled) {
            // a scheduled task, not execute(): it runs after the loop's next round of I/O
            sliceScheduled = true;
            loop.schedule(nextSlice, 0, TimeUnit.NANOSECONDS);
        }
    }

    private void writeTo(Task t) {
        List<Connection> targets = t.targets;
        for (int i = 0, size = targets.size(); i < size; i++) {
            writeInSequence(targets.get(i), t.message, t.seq);
        }
    }

    /** Writes message number {@code seq} to {@code c}, after the broadcasts before it. */
    private void writeInSequence(Connection c, OutboundMessage message, long seq) {
        if (c.laneIndex() >= 0) { // not yet attached (or already gone): no broadcasts to catch up on
            catchUp(c, seq);
            c.laneSeq(seq + 1);
        }
        write(c, message);
    }

    /** Visits up to one slice of connections, bringing each up to date with every broadcast. */
    private void sweepSlice() {
        if (cursor < 0) {
            if (window.isEmpty()) {
                return;
            }
            cursor = 0;
            sweepTarget = nextSeq;
        }
        int size = connections.size();
        int stop = (int) Math.min(size, (long) cursor + writeSlice.getAsInt());
        while (cursor < stop) {
            catchUp(connections.get(cursor++), nextSeq);
        }
        if (cursor < size) {
            return;
        }
        // Swept: every connection is at or past sweepTarget, so older broadcasts are done.
        while (!window.isEmpty() && window.peekFirst().seq < sweepTarget) {
            Task done = window.pollFirst();
            done.message.release();
            finishedWrites += done.writes;
        }
        cursor = -1;
        if (!window.isEmpty()) { // broadcasts arrived during the sweep: another round for those
            cursor = 0;
            sweepTarget = nextSeq;
        }
    }

    /** Writes to {@code c} the broadcasts from its position up to (excluding) {@code seq}. */
    private void catchUp(Connection c, long seq) {
        long from = c.laneSeq();
        if (from >= seq) {
            return;
        }
        for (Task b : window) {
            if (b.seq >= seq) {
                break;
            }
            if (b.seq >= from && (b.exclude.isEmpty() || !b.exclude.contains(c.clientId()))) {
                write(c, b.message);
            }
        }
        c.laneSeq(seq);
    }

    private void write(Connection c, OutboundMessage message) {
        if (!outbound.write(c, message, maxPending)) {
            return;
        }
        deliveredMessages++;
        deliveredBytes += message.size();
        if (c.queueFlush()) {
            dirty.add(c);
        }
    }

    /**
     * Completes once this loop's backlog is at most {@code outbound.max-loop-backlog} writes: how the control API
     * paces a backend that pushes faster than clients can be written to. Below the bound a
     * caller is answered at once (and messages that pile up meanwhile still leave together, one
     * write per client); above it the answer waits, so the backlog — and with it the delay a
     * message spends queued — stays bounded instead of growing with the push rate.
     */
    CompletableFuture<Void> admission() {
        long bound = outbound.maxLoopBacklog();
        if (pendingWrites.get() <= bound) {
            return ADMITTED;
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        admissionWaiters.offer(f);
        // Written down meanwhile? The turn that did it may have looked before f was queued; then
        // this read sees its decrement. Only the loop takes waiters: the queue has one consumer.
        if (pendingWrites.get() <= bound) {
            if (loop.inEventLoop()) {
                admitWaiters();
            } else {
                try {
                    loop.execute(admitWaiters);
                } catch (RejectedExecutionException stopped) {
                    f.complete(null); // the loop writes nothing more: nothing left to wait for
                }
            }
        }
        return f;
    }

    /** Loop thread only. */
    private void admitWaiters() {
        long bound = outbound.maxLoopBacklog();
        CompletableFuture<Void> f;
        // The backlog is read again for each waiter, after it was queued: completing one runs its
        // caller's continuation here, and a push from there (a backend chaining its pushes on the
        // answers) queues a waiter that an earlier read knew nothing of.
        while ((f = admissionWaiters.peek()) != null && pendingWrites.get() <= bound) {
            admissionWaiters.poll();
            f.complete(null);
        }
    }

    /**
     * Once the loop has terminated, gives back the messages it still held: a loop that stops in
     * the middle of a sweep never runs the rest of it, so the window's broadcasts (and anything
     * queued too late to run) would keep their buffers. Answers anyone still waiting for
     * admission. Does nothing while the loop runs (false): its fields are the loop's.
     */
    boolean releaseAll() {
        if (!loop.isTerminated()) {
            return false;
        }
        Task t;
        while ((t = queue.poll()) != null) {
            t.message.release();
        }
        while ((t = window.pollFirst()) != null) {
            t.message.release();
        }
        cursor = -1;
        queued.set(0);
        pendingWrites.set(0);
        CompletableFuture<Void> f;
        while ((f = admissionWaiters.poll()) != null) {
            f.complete(null);
        }
        return true;
    }

    private static final CompletableFuture<Void> ADMITTED = CompletableFuture.completedFuture(null);

    private static final class Task {
        final OutboundMessage message;
        final List<Connection> targets;
        final Set<String> exclude;
        final long writes;
        long seq;

        Task(OutboundMessage message, List<Connection> targets, Set<String> exclude, long writes) {
            this.message = message;
            this.targets = targets;
            this.exclude = exclude;
            this.writes = writes;
        }
    }
}
