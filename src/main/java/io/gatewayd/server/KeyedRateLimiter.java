package io.gatewayd.server;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Token buckets per key (a remote address): {@code rate} per second, bursts of {@code rate}.
 * Thread-safe. The key map is bounded: idle (full) buckets are swept out when it grows past
 * {@code maxKeys}, and if a flood of distinct keys keeps it full it is cleared — that forgets
 * some history, which is better than running out of memory.
 */
public final class KeyedRateLimiter<K> {
    private final ConcurrentHashMap<K, TokenBucket> buckets = new ConcurrentHashMap<>();
    private final int maxKeys;
    private final AtomicLong lastSweepNanos = new AtomicLong(System.nanoTime());

    public KeyedRateLimiter(int maxKeys) {
        this.maxKeys = maxKeys;
    }

    /** Takes one token for {@code key}; true if it had one. Always true when {@code rate} is 0 (no limit). */
    public boolean tryAcquire(K key, int rate) {
        if (rate <= 0) {
            return true;
        }
        long now = System.nanoTime();
        if (buckets.size() >= maxKeys) {
            sweep(now);
        }
        TokenBucket b = buckets.computeIfAbsent(key, k -> new TokenBucket(rate, now));
        synchronized (b) {
            return b.tryAcquire(rate, now);
        }
    }

    public int size() {
        return buckets.size();
    }

    private void sweep(long now) {
        long last = lastSweepNanos.get();
        if (now - last < 100_000_000L || !lastSweepNanos.compareAndSet(last, now)) {
            return;
        }
        buckets.entrySet().removeIf(e -> {
            TokenBucket b = e.getValue();
            synchronized (b) {
                return b.isFull(now);
            }
        });
        if (buckets.size() >= maxKeys) {
            buckets.clear();
        }
    }
}
