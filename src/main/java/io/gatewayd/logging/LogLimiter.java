package io.gatewayd.logging;

import org.slf4j.Logger;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** Logs a recurring warning at most once per interval, saying how many were not logged. Thread-safe. */
public final class LogLimiter {
    private final Logger log;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final AtomicLong nextNanos = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    public LogLimiter(Logger log, long intervalMillis) {
        this(log, intervalMillis, System::nanoTime);
    }

    /** With a clock of its own: tests step time instead of waiting an interval out. */
    LogLimiter(Logger log, long intervalMillis, LongSupplier nanoTime) {
        this.log = log;
        this.intervalNanos = intervalMillis * 1_000_000L;
        this.nanoTime = nanoTime;
    }

    /** Like {@code log.warn(format, args)}; a Throwable as the last argument is logged with its stack trace. */
    public void warn(String format, Object... args) {
        long now = nanoTime.getAsLong();
        long next = nextNanos.get();
        if ((next == Long.MIN_VALUE || now - next >= 0) && nextNanos.compareAndSet(next, now + intervalNanos)) {
            long n = suppressed.getAndSet(0);
            log.warn(format + suffix(n), args);
        } else {
            suppressed.incrementAndGet();
        }
    }

    private static String suffix(long suppressed) {
        if (suppressed == 0) {
            return "";
        }
        return " (" + suppressed + " similar message" + (suppressed == 1 ? "" : "s") + " suppressed)";
    }
}
