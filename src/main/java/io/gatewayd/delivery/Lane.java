package io.gatewayd.delivery;

import io.gatewayd.registry.Connection;
import io.netty.channel.EventLoop;
import io.netty.util.internal.PlatformDependent;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Everything one event loop does for delivery: the connections it owns and a queue of messages
 * waiting to be written to them. Messages from any thread are queued; one task on the loop
 * drains the whole queue, writes, and then flushes each touched channel once — so under load
 * many messages for one client leave in a single write() system call.
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
    /** Writes still to do on this loop (a broadcast counts one per connection): the backlog. */
    private final AtomicLong pendingWrites = new AtomicLong();
    private final Queue<CompletableFuture<Void>> admissionWaiters = PlatformDependent.newMpscQueue();
    private volatile int liveConnections;

    // loop-confined
    private final ArrayList<Connection> connections = new ArrayList<>();
    private final ArrayList<Connection> dirty = new ArrayList<>();
    private final ArrayList<Connection> detachLater = new ArrayList<>();
    private boolean iterating;
    private long maxPending;

    Lane(EventLoop loop, Outbound outbound, int maxQueued) {
        this.loop = loop;
        this.outbound = outbound;
        this.maxQueued = maxQueued;
    }

    public EventLoop loop() {
        return loop;
    }

    /** Loop thread only: the connection is live and may receive broadcasts. */
    public void attach(Connection c) {
        c.laneIndex(connections.size());
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
        Connection last = connections.remove(connections.size() - 1);
        if (last != c) {
            connections.set(at, last);
            last.laneIndex(at);
        }
        liveConnections = connections.size();
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

    public int connectionCount() {
        return connections.size();
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

    @Override
    public void run() {
        scheduled.set(false);
        long messages = 0;
        long bytes = 0;
        Task t;
        maxPending = outbound.maxPendingBytes(); // one config read per drain, not per write
        iterating = true;
        while ((t = queue.poll()) != null) {
            queued.decrementAndGet();
            try {
                int n = t.targets == null ? writeToAll(t) : writeTo(t.targets, t.message);
                messages += n;
                bytes += (long) n * t.message.size();
            } finally {
                t.message.release();
                pendingWrites.addAndGet(-t.writes);
            }
        }
        for (int i = 0, n = dirty.size(); i < n; i++) {
            Connection c = dirty.get(i);
            c.flushed();
            c.flush();
        }
        dirty.clear();
        endIteration();
        admitWaiters();
        outbound.countDelivered(messages, bytes);
    }

    private int writeToAll(Task t) {
        int n = 0;
        boolean noExclusions = t.exclude.isEmpty();
        for (int i = 0, size = connections.size(); i < size; i++) {
            Connection c = connections.get(i);
            if ((noExclusions || !t.exclude.contains(c.clientId())) && write(c, t.message)) {
                n++;
            }
        }
        return n;
    }

    private int writeTo(List<Connection> targets, OutboundMessage message) {
        int n = 0;
        for (int i = 0, size = targets.size(); i < size; i++) {
            if (write(targets.get(i), message)) {
                n++;
            }
        }
        return n;
    }

    private boolean write(Connection c, OutboundMessage message) {
        if (!outbound.write(c, message, maxPending)) {
            return false;
        }
        if (c.queueFlush()) {
            dirty.add(c);
        }
        return true;
    }

    /**
     * Completes once this loop's backlog is at most {@code maxBacklog} writes: how the control API
     * paces a backend that pushes faster than clients can be written to. Below the bound a
     * caller is answered at once (and messages that pile up meanwhile still leave together, one
     * write per client); above it the answer waits, so the backlog — and with it the delay a
     * message spends queued — stays bounded instead of growing with the push rate.
     */
    CompletableFuture<Void> admission(long maxBacklog) {
        if (pendingWrites.get() <= maxBacklog) {
            return ADMITTED;
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        admissionWaiters.offer(f);
        if (pendingWrites.get() <= maxBacklog || !scheduled.get() && queue.isEmpty()) {
            admitWaiters(); // drained meanwhile: do not wait for a drain that already happened
        }
        return f;
    }

    private void admitWaiters() {
        CompletableFuture<Void> f;
        while ((f = admissionWaiters.poll()) != null) {
            f.complete(null);
        }
    }

    private static final CompletableFuture<Void> ADMITTED = CompletableFuture.completedFuture(null);

    private record Task(OutboundMessage message, List<Connection> targets, Set<String> exclude, long writes) {
    }
}
