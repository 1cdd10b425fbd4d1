package io.gatewayd.cron;

import io.gatewayd.config.CronJobConfig;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/** A scheduled job: its config and schedule, and its place in time. Guarded by the scheduler. */
final class CronJob {
    final CronJobConfig config;
    final Schedule schedule;
    final ZoneId zone;
    final JobAction action;
    final State state;
    /** The tick it waits for, and when to fire for it (tick + jitter); null when it never fires again. */
    Instant nextTick;
    Instant fireAt;
    boolean removed;

    CronJob(CronJobConfig config, JobAction action, State state) {
        this.config = config;
        this.schedule = config.parsedSchedule();
        this.zone = config.zone();
        this.action = action;
        this.state = state;
    }

    String name() {
        return config.name();
    }

    /** The first tick strictly after {@code after}, or null. */
    Instant next(Instant after) {
        ZonedDateTime z = schedule.next(ZonedDateTime.ofInstant(after, zone));
        return z == null ? null : z.toInstant();
    }

    /** A job's due ticks, coalesced: the last one due and how many came between. */
    record Due(Instant latest, long skipped) {
    }

    /** Ticks walked one by one before a long stall is measured by looking back from now instead. */
    private static final int WALK = 100;

    /**
     * The last tick at or before {@code now}, from {@code first} (a tick at or before now), and how
     * many ticks lie after {@code first} up to it. After a long stall (a machine that slept for
     * days) visiting every tick in between takes seconds for an every-second cron expression,
     * which the timer cannot spend: beyond a hundred ticks the last one is found by looking back
     * from now, and the ticks between are counted by the schedule's period (exact for intervals,
     * the average over the walked ticks for cron expressions).
     */
    Due due(Instant first, Instant now) {
        Instant latest = first;
        long n = 0;
        for (Instant t = next(latest); t != null && !t.isAfter(now); t = next(latest)) {
            latest = t;
            if (++n == WALK) {
                Instant last = lastAtOrBefore(now, latest);
                long periodMs = schedule instanceof IntervalSchedule i ? i.interval().toMillis()
                        : Math.max(1, java.time.Duration.between(first, latest).toMillis() / WALK);
                return new Due(last, n + java.time.Duration.between(latest, last).toMillis() / periodMs);
            }
        }
        return new Due(latest, n);
    }

    /** The last tick at or before {@code now}, looking back 1 s, 2 s, 4 s... but not past {@code after}, a tick. */
    private Instant lastAtOrBefore(Instant now, Instant after) {
        for (long backMs = 1000; ; backMs *= 2) {
            Instant from = now.minusMillis(backMs);
            if (!from.isAfter(after)) {
                from = after;
            }
            Instant t = next(from);
            if (t != null && !t.isAfter(now)) {
                // the first window back from now that holds a tick: few of them lie ahead
                for (Instant u = next(t); u != null && !u.isAfter(now); u = next(t)) {
                    t = u;
                }
                return t;
            }
            if (from.equals(after)) {
                return after;
            }
        }
    }

    /**
     * What survives a reload that changes the job: counters, results, pause, and the runs still
     * going (so overlap rules see them).
     */
    static final class State {
        final Set<Run> running = ConcurrentHashMap.newKeySet();
        final AtomicLong runs = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        /** Runs cut short by overlap: replace or a stop: not failures, the job did nothing wrong. */
        final AtomicLong cancelled = new AtomicLong();
        final AtomicLong skips = new AtomicLong();
        final AtomicLong misfires = new AtomicLong();
        final AtomicLong elsewhere = new AtomicLong();
        volatile boolean paused;
        /** Paused for every process sharing the lock (cron pause), as last seen here. */
        volatile boolean pausedEverywhere;
        private final Deque<JobResult> history = new ArrayDeque<>();

        State(boolean paused) {
            this.paused = paused;
        }

        // history has its own monitor: the State monitor may be held while waiting for a run to end
        void record(JobResult r, int keep) {
            synchronized (history) {
                runs.incrementAndGet();
                if (r.status() == JobResult.Status.CANCELLED) {
                    cancelled.incrementAndGet();
                } else if (r.status() != JobResult.Status.OK) {
                    failures.incrementAndGet();
                }
                history.addFirst(r);
                while (history.size() > keep) {
                    history.removeLast();
                }
            }
        }

        List<JobResult> history() {
            synchronized (history) {
                return new ArrayList<>(history);
            }
        }

        JobResult last() {
            synchronized (history) {
                return history.peekFirst();
            }
        }
    }

    /** One run in progress. */
    static final class Run {
        final Instant tick; // null: manual
        final Instant started;
        final long startNanos = System.nanoTime();
        final String trigger;
        final JobAction.RunContext ctx;
        final CompletableFuture<JobResult> done = new CompletableFuture<>();
        /** The action's work once started, and the lease its end releases (null before). */
        volatile CompletableFuture<JobAction.Outcome> work;
        volatile JobLock.Lease lease;
        /**
         * Completes on the thread that ended the work, before its ending is handed to a worker:
         * what overlap: replace waits for, on a worker that the ending might otherwise wait for.
         */
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        /** Whoever ends the run first records it: its own completion, or an attempt that found it over. */
        final java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
        /** Why it was cancelled, for its result and log line (null: not cancelled). */
        volatile String cancelReason;

        Run(Instant tick, Instant started, String trigger, JobAction.RunContext ctx) {
            this.tick = tick;
            this.started = started;
            this.trigger = trigger;
            this.ctx = ctx;
        }

        /** @param why what cut it short, as a user reads it: "replaced by the run for ..." */
        synchronized void cancel(String why) {
            if (cancelReason == null) {
                cancelReason = why;
            }
            ctx.cancelled.complete(null);
        }
    }
}
