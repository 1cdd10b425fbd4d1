package io.gatewayd.routing;

import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.routing.Router.Delivered;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;

/**
 * The msg_ids a node delivered within control.dedup-window (at most control.dedup-max-entries),
 * so that a backend retrying a push after a timeout or a lost connection does not deliver it
 * twice. One per gateway, in single-node mode ({@link MsgIdRouter}) as in cluster mode, where
 * pushes from other nodes are checked against it too.
 */
public final class MsgIds {
    private final Dedup seen;
    private final LongAdder dropped;

    /** @param dropped counts the repeats not delivered */
    public MsgIds(Duration window, int maxEntries, LongAdder dropped) {
        this.seen = new Dedup(window, maxEntries);
        this.dropped = dropped;
    }

    /** Applies a reloaded window and bound; the ids already seen stay. */
    public void configure(Duration window, int maxEntries) {
        seen.configure(window, maxEntries);
    }

    /** True if a message with this id should be delivered: no id, or the first time within the window. */
    public boolean fresh(String msgId) {
        if (msgId == null || seen.first(msgId)) {
            return true;
        }
        dropped.increment();
        return false;
    }

    /**
     * {@code push}, made because {@link #fresh} said so. A push that failed at once (too large,
     * delivery queues full) queued nothing, so its id is forgotten: the retry its error asks for
     * must deliver.
     */
    public CompletableFuture<Delivered> settle(String msgId, CompletableFuture<Delivered> push) {
        if (msgId != null && push.isCompletedExceptionally()) {
            seen.forget(msgId);
        }
        return push;
    }

    /** The answer to a repeat: as a push that reached nobody. Takes ownership of {@code m} (releases it). */
    public static CompletableFuture<Delivered> repeat(OutboundMessage m) {
        m.release();
        return CompletableFuture.completedFuture(Delivered.NONE);
    }

    /** Repeats not delivered so far, for status. */
    public long dropped() {
        return dropped.sum();
    }

    /** Ids remembered now, for status. */
    public int size() {
        return seen.size();
    }
}
