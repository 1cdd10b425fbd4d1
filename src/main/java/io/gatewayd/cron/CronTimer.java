package io.gatewayd.cron;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The one thread that fires due ticks: it calls {@code fireDue}, which answers when the next tick
 * is due, and sleeps until then — or until {@link #wake()} says the jobs changed. It re-reads the
 * clock at least once a second, so a wall-clock change is noticed within a second.
 */
final class CronTimer {
    private static final Logger LOG = LoggerFactory.getLogger("gatewayd.cron");
    private static final long MAX_SLEEP_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Clock clock;
    private final Supplier<Instant> fireDue;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private boolean wakeRequested; // guarded by lock
    private volatile boolean stopped;
    private Thread thread;

    /** @param fireDue fires what is due and returns when the next tick is (null: nothing scheduled) */
    CronTimer(Clock clock, Supplier<Instant> fireDue) {
        this.clock = clock;
        this.fireDue = fireDue;
    }

    void start() {
        Thread t = new Thread(this::loop, "gatewayd-cron-timer");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** The jobs changed: look again now instead of at the planned time. */
    void wake() {
        lock.lock();
        try {
            wakeRequested = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Ends the thread, waiting up to {@code timeout} for a firing in progress. */
    void stop(Duration timeout) {
        stopped = true;
        wake();
        if (thread != null) {
            try {
                thread.join(Math.max(1, timeout.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void loop() {
        while (!stopped) {
            Instant wakeAt;
            try {
                wakeAt = fireDue.get();
            } catch (RuntimeException e) {
                LOG.error("cron timer error", e);
                wakeAt = null;
            }
            long nanos = wakeAt == null ? MAX_SLEEP_NANOS
                    : Math.min(MAX_SLEEP_NANOS, Duration.between(clock.instant(), wakeAt).toNanos());
            if (nanos > 0) {
                lock.lock();
                try {
                    if (!wakeRequested && !stopped) {
                        changed.awaitNanos(nanos);
                    }
                    wakeRequested = false;
                } catch (InterruptedException e) {
                    return;
                } finally {
                    lock.unlock();
                }
            }
        }
    }
}
