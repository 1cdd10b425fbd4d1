package io.gatewayd.server;

/** A token bucket of {@code rate} tokens per second with room for {@code rate}. Not thread-safe. */
final class TokenBucket {
    private double tokens;
    private long lastNanos;
    private int rate;

    public TokenBucket(int rate, long nowNanos) {
        this.rate = rate;
        this.tokens = rate;
        this.lastNanos = nowNanos;
    }

    /** Takes a token if there is one. A changed {@code rate} (config reload) applies from now on. */
    public boolean tryAcquire(int newRate, long nowNanos) {
        refill(nowNanos);
        if (newRate != rate) {
            rate = newRate;
            tokens = Math.min(tokens, newRate);
        }
        if (tokens >= 1) {
            tokens -= 1;
            return true;
        }
        return false;
    }

    boolean isFull(long nowNanos) {
        refill(nowNanos);
        return tokens >= rate;
    }

    private void refill(long nowNanos) {
        long elapsed = nowNanos - lastNanos;
        if (elapsed > 0) {
            tokens = Math.min(rate, tokens + elapsed * (double) rate / 1e9);
            lastNanos = nowNanos;
        }
    }
}
