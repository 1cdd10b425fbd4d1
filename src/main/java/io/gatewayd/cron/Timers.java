package io.gatewayd.cron;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Timers for embedding code, the Java counterpart of Workerman's {@code Timer::add/del}:
 *
 * <pre>{@code
 * int id = gateway.timers().add(Duration.ofSeconds(10), () -> poll(), true);
 * gateway.timers().delay(Duration.ofMillis(500), () -> once());
 * gateway.timers().delete(id);
 * }</pre>
 *
 * Callbacks run on the cron worker pool, never on an event loop, so they may block (while they
 * do, they hold a worker). A persistent timer never overlaps itself: if a run is still going when
 * the next is due, that one is skipped. An exception is logged and the timer goes on (in
 * Workerman v5 it kills the worker). Unlike cron jobs, timers run in every process, with
 * millisecond precision, on elapsed (monotonic) time, so clock changes do not affect them.
 */
public final class Timers {
    private static final Logger LOG = LoggerFactory.getLogger("gatewayd.cron");

    private final ScheduledThreadPoolExecutor ticker;
    private final Executor workers;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, ScheduledFuture<?>> timers = new ConcurrentHashMap<>();

    Timers(Executor workers) {
        this.workers = workers;
        this.ticker = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "gatewayd-timers");
            t.setDaemon(true);
            return t;
        });
        ticker.setRemoveOnCancelPolicy(true);
    }

    /**
     * Runs {@code task} after {@code interval}, and then every {@code interval} if
     * {@code persistent}.
     *
     * @return the timer's id, for {@link #delete}
     * @throws IllegalArgumentException if the interval is not positive
     * @throws IllegalStateException     if the gateway is stopping or stopped
     */
    public int add(Duration interval, Runnable task, boolean persistent) {
        if (interval == null || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("timer interval must be positive, got " + interval);
        }
        int id = ids.incrementAndGet();
        long nanos = interval.toNanos();
        AtomicBoolean running = new AtomicBoolean();
        Runnable fire = () -> {
            if (!running.compareAndSet(false, true)) {
                LOG.debug("timer {}: previous run still going, this one skipped", id);
                return;
            }
            try {
                workers.execute(() -> {
                    try {
                        task.run();
                    } catch (RuntimeException | Error e) {
                        LOG.error("timer {} failed", id, e);
                    } finally {
                        running.set(false);
                        if (!persistent) {
                            timers.remove(id);
                        }
                    }
                });
            } catch (RejectedExecutionException e) {
                running.set(false); // stopping
            }
        };
        ScheduledFuture<?> f;
        try {
            f = persistent
                    ? ticker.scheduleAtFixedRate(fire, nanos, nanos, TimeUnit.NANOSECONDS)
                    : ticker.schedule(fire, nanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the gateway is stopping or stopped, and its timers with it; "
                    + "add timers while it runs");
        }
        timers.put(id, f);
        return id;
    }

    /** Runs {@code task} every {@code interval}. */
    public int add(Duration interval, Runnable task) {
        return add(interval, task, true);
    }

    /** Runs {@code task} once after {@code delay}. */
    public int delay(Duration delay, Runnable task) {
        return add(delay, task, false);
    }

    /** Stops a timer (a run already going finishes); false if there is no such timer (any more). */
    public boolean delete(int id) {
        ScheduledFuture<?> f = timers.remove(id);
        return f != null && f.cancel(false);
    }

    /** Stops every timer. */
    public void deleteAll() {
        timers.keySet().forEach(this::delete);
    }

    /** How many timers are active. */
    public int count() {
        return timers.size();
    }

    void shutdown() {
        deleteAll();
        ticker.shutdownNow();
    }
}
