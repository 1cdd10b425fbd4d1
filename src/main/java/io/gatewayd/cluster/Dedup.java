package io.gatewayd.cluster;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Remembers ids for a window, bounded in count (oldest forgotten first): a push's msg_id, so a
 * backend's retry is not delivered twice by the same node, or (in another instance) the id of an
 * envelope published on several channels, so a node subscribed to more than one of them delivers
 * it once.
 */
final class Dedup {
    private final long windowNanos;
    private final int max;
    private final LinkedHashMap<String, Long> seen = new LinkedHashMap<>(1024, 0.75f, false);

    Dedup(java.time.Duration window, int max) {
        this.windowNanos = window.toNanos();
        this.max = max;
    }

    /** True the first time {@code id} is offered within the window (always true when the bound is 0). */
    synchronized boolean first(String id) {
        if (max == 0) {
            return true;
        }
        long now = System.nanoTime();
        expire(now);
        Long at = seen.get(id);
        if (at != null && now - at < windowNanos) {
            return false;
        }
        seen.put(id, now);
        while (seen.size() > max) {
            var it = seen.entrySet().iterator();
            it.next();
            it.remove();
        }
        return true;
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

    synchronized int size() {
        return seen.size();
    }
}
