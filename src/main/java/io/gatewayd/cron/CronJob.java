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

    /**
     * What survives a reload that changes the job: counters, results, pause, and the runs still
     * going (so overlap rules see them).
     */
    static final class State {
        final Set<Run> running = ConcurrentHashMap.newKeySet();
        final AtomicLong runs = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
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
                if (r.status() != JobResult.Status.OK) {
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
        /** Whoever ends the run first records it: its own completion, or an attempt that found it over. */
        final java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();

        Run(Instant tick, Instant started, String trigger, JobAction.RunContext ctx) {
            this.tick = tick;
            this.started = started;
            this.trigger = trigger;
            this.ctx = ctx;
        }

        void cancel() {
            ctx.cancelled.complete(null);
        }
    }
}
