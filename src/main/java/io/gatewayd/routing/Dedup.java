package io.gatewayd.routing;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers ids for a window, bounded in count (oldest forgotten first): a push's msg_id, so a
 * backend's retry is not delivered twice by the same node ({@link MsgIds}), or (in another
 * instance) the id of a cluster envelope published on several channels, so a node subscribed to
 * more than one of them delivers it once.
 */
public final class Dedup {
    private long windowNanos;
    private int max;
    private final LinkedHashMap<String, Long> seen = new LinkedHashMap<>(1024, 0.75f, false);

    public Dedup(Duration window, int max) {
        configure(window, max);
    }

    /**
     * A new window and bound, keeping the ids already seen (a reload must not make a retry that is
     * on its way deliver twice); a smaller bound forgets the oldest at once.
     */
    public synchronized void configure(Duration window, int max) {
        this.windowNanos = window.toNanos();
        this.max = max;
        trim();
    }

    /** True the first time {@code id} is offered within the window (always true when the bound is 0). */
    public synchronized boolean first(String id) {
        if (max == 0) {
            return true;
        }
        long now = System.nanoTime();
        expire(now);
        Long at = seen.get(id);
        if (at != null && now - at < windowNanos) {
            return false;
        }
        seen.remove(id); // a re-entry goes to the end of the insertion order, which expire() relies on
        seen.put(id, now);
        trim();
        return true;
    }

    /** Forgets {@code id}, so that it counts as new again. */
    public synchronized void forget(String id) {
        seen.remove(id);
    }

    private void trim() {
        while (seen.size() > max) {
            var it = seen.entrySet().iterator();
            it.next();
            it.remove();
        }
    }

    private void expire(long now) {
        var it = seen.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Long> e = it.next();
            if (now - e.getValue() < windowNanos) {
                return; // insertion order: the rest are newer
            }
            it.remove();
        }
    }

    public synchronized int size() {
        return seen.size();
    }
}
