package io.gatewayd.cron;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Cancellable delayed tasks (lease expiry, exec timeouts). Cancelled tasks leave the queue at
 * once, so a 1 s job with a 15 min lock-at-most-for does not pile up 900 pending expiries.
 * Tasks must be short; they run on one shared daemon thread.
 */
final class Delays {
    private static final ScheduledThreadPoolExecutor EXECUTOR = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "gatewayd-cron-delays");
        t.setDaemon(true);
        return t;
    });

    static {
        EXECUTOR.setRemoveOnCancelPolicy(true);
    }

    private Delays() {
    }

    static ScheduledFuture<?> after(Duration delay, Runnable task) {
        return EXECUTOR.schedule(task, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
    }
}
