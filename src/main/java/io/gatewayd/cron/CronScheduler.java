package io.gatewayd.cron;

import io.gatewayd.config.CronConfig;
import io.gatewayd.config.CronJobConfig;
import io.gatewayd.config.CronJobConfig.Overlap;
import io.gatewayd.config.CronJobConfig.RunOn;
import io.gatewayd.routing.Router;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Runs the {@code cron:} jobs of one gateway process.
 *
 * <p>One timer thread decides when ticks are due, against an injectable {@link Clock}; a bounded
 * worker pool claims and starts runs (never an event loop). Actions are asynchronous, so a slow
 * backend or command holds no thread and delays neither pushes nor other jobs.
 *
 * <p>Per tick: if the tick is more than {@code misfire-grace} late (the process was paused or
 * busy), it is a misfire and is skipped or run once ({@code misfire}); missed ticks are coalesced,
 * never run as a burst; a catch-up due within the grace of the job's next start is left to that
 * run. A worker judges the lateness again when it starts the run, since the process may have
 * stood still in between. Then the overlap policy applies to a run still going in this process;
 * then, for {@code run-on: one}, the {@link JobLock} decides whether this process runs the tick.
 */
public final class CronScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("gatewayd.cron");
    /** How long overlap: replace waits for the cancelled run to end. */
    static final Duration REPLACE_WAIT = Duration.ofSeconds(10);

    private final Clock clock;
    private final JobLock sharedLock;
    private final Function<CronJobConfig, JobAction> actions;
    private final RandomGenerator random;
    private final ThreadPoolExecutor workers;
    private final Timers timers;
    private final Map<String, CronJob> jobs = new LinkedHashMap<>(); // guarded by this
    /** Every run going on, including runs of removed jobs (stop waits for them). */
    private final Set<CronJob.Run> active = ConcurrentHashMap.newKeySet();
    private volatile int history = 10;
    private volatile boolean stopping;
    private final CronTimer timer;
    /** Attempts handed to the pool and attempts finished deciding (tests wait for them to match). */
    final java.util.concurrent.atomic.AtomicLong attemptsSubmitted = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong attemptsDone = new java.util.concurrent.atomic.AtomicLong();

    CronScheduler(Clock clock, JobLock sharedLock, Function<CronJobConfig, JobAction> actions, int workers,
                  RandomGenerator random) {
        this.clock = clock;
        this.sharedLock = sharedLock;
        this.actions = actions;
        this.random = random;
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(workers, workers, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new WorkerThread(r, "gatewayd-cron-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.workers.allowCoreThreadTimeOut(true);
        this.timers = new Timers(this.workers);
        this.timer = new CronTimer(clock, this::runDue);
    }

    /**
     * Starts the jobs of {@code config} on the system clock.
     *
     * @param lockDir where {@code run-on: one} lock files go (shared by the processes of a host)
     * @param router  where pushes go
     */
    public static CronScheduler start(CronConfig config, Path lockDir, Router router) {
        return start(config, new FileJobLock(lockDir, selfDescription()), router);
    }

    /**
     * Starts the jobs of {@code config} with {@code sharedLock} deciding run-on: one ticks (e.g. a
     * cluster-wide lock in Redis).
     */
    public static CronScheduler start(CronConfig config, JobLock sharedLock, Router router) {
        // built with the first http job: a JDK HttpClient holds a selector thread until it is
        // garbage collected (Java 17 has no close()), which a stopped gateway should not leave behind
        HttpClient[] http = new HttpClient[1];
        Function<CronJobConfig, JobAction> actions = c -> {
            if (c.http() != null) {
                synchronized (http) {
                    if (http[0] == null) {
                        http[0] = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                                .followRedirects(HttpClient.Redirect.NORMAL).build();
                    }
                }
                return new HttpJobAction(http[0], router, c.http());
            }
            if (c.push() != null) {
                return new PushJobAction(router, c.push());
            }
            return new ExecJobAction(router, c.exec());
        };
        CronScheduler s = new CronScheduler(Clock.systemUTC(), sharedLock, actions,
                config.workers(), RandomGenerator.getDefault());
        s.apply(config);
        s.startTimer();
        return s;
    }

    /** How this process names itself as a lock holder: "pid 1234 on host". */
    public static String selfDescription() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "localhost";
        }
        return "pid " + ProcessHandle.current().pid() + " on " + host;
    }

    java.util.concurrent.Executor workers() {
        return workers;
    }

    /** The timers API (Workerman's Timer::add/del) on this scheduler's worker pool. */
    public Timers timers() {
        return timers;
    }

    // ---------------------------------------------------------------- configuration

    /**
     * Applies a (re)loaded config: added jobs start, removed jobs stop (a run going on finishes),
     * changed jobs reschedule from now; unchanged jobs keep their schedule and state. Counters,
     * results and a runtime pause survive a change too (unless {@code paused} itself changed).
     */
    public synchronized void apply(CronConfig config) {
        if (stopping) {
            return;
        }
        int size = config.workers();
        if (size != workers.getMaximumPoolSize()) {
            if (size > workers.getMaximumPoolSize()) {
                workers.setMaximumPoolSize(size);
                workers.setCorePoolSize(size);
            } else {
                workers.setCorePoolSize(size);
                workers.setMaximumPoolSize(size);
            }
        }
        history = config.history();
        Map<String, CronJob> next = new LinkedHashMap<>();
        for (CronJobConfig c : config.jobs()) {
            CronJob old = jobs.get(c.name());
            if (old != null && old.config.equals(c)) {
                next.put(c.name(), old);
                continue;
            }
            CronJob.State state;
            if (old == null) {
                state = new CronJob.State(c.paused());
            } else {
                state = old.state;
                if (old.config.paused() != c.paused()) {
                    state.paused = c.paused();
                }
                old.removed = true;
            }
            CronJob job = new CronJob(c, actions.apply(c), state);
            // read after the action is built: the first http job builds the JDK HttpClient, over a
            // second on a cold JVM, and jobs scheduled from before it would start out late
            scheduleNext(job, clock.instant());
            next.put(c.name(), job);
            LOG.info("cron job {} {}: {}{}, next run {}", c.name(), old == null ? "added" : "changed",
                    c.scheduleText(), c.timezone() == null ? "" : " (" + c.timezone() + ")",
                    state.paused ? "(paused)" : format(job, job.nextTick));
        }
        for (CronJob old : jobs.values()) {
            if (!next.containsKey(old.name())) {
                old.removed = true;
                LOG.info("cron job {} removed{}", old.name(),
                        old.state.running.isEmpty() ? "" : "; its run going on finishes");
            }
        }
        jobs.clear();
        jobs.putAll(next);
        timer.wake();
    }

    private void scheduleNext(CronJob job, Instant after) {
        job.nextTick = job.next(after);
        long jitter = job.config.jitter().toMillis();
        job.fireAt = job.nextTick == null ? null
                : jitter > 0 ? job.nextTick.plusMillis(random.nextLong(jitter + 1)) : job.nextTick;
    }

    // ---------------------------------------------------------------- timing

    void startTimer() {
        timer.start();
    }

    /**
     * Fires every job whose time has come (at {@link Clock#instant()}) and returns when the next
     * one is due (null: none). The timer thread calls this; tests with a fixed clock call it
     * directly.
     */
    synchronized Instant runDue() {
        Instant now = clock.instant();
        Instant earliest = null;
        for (CronJob job : jobs.values()) {
            if (job.state.paused || job.fireAt == null) {
                continue;
            }
            if (!job.fireAt.isAfter(now)) {
                fire(job, now);
            }
            if (job.fireAt != null && (earliest == null || job.fireAt.isBefore(earliest))) {
                earliest = job.fireAt;
            }
        }
        return earliest;
    }

    private void fire(CronJob job, Instant now) {
        CronJobConfig c = job.config;
        Instant tick = job.nextTick;
        // Coalesce: after a pause only the latest due tick may run, never a burst of catch-ups.
        CronJob.Due coalesced = job.due(tick, now);
        Instant latest = coalesced.latest();
        long missed = coalesced.skipped();
        Instant due = latest.equals(tick) ? job.fireAt : latest;
        long lateMs = Duration.between(due, now).toMillis();
        boolean onTime = lateMs <= c.misfireGrace().toMillis();
        if (missed > 0) {
            job.state.misfires.addAndGet(missed);
            LOG.warn("cron job {}: {} tick{} missed (the process was paused or busy)", c.name(), missed,
                    missed == 1 ? "" : "s");
        }
        scheduleNext(job, now.isAfter(latest) ? now : latest);
        if (onTime) {
            submit(job, latest, "schedule", due);
        } else if (catchUp(job, latest, lateMs, job.fireAt, now)) {
            submit(job, latest, "misfire", now);
        }
    }

    /**
     * Counts a time that could not start within the grace, and says whether to run it now: no for
     * misfire: skip, and no when the job's next start ({@code nextStart}) is within the grace. A
     * catch-up then would likely still run at that next time, which overlap: forbid would skip,
     * so the missed work would cost an on-time run; and the next run is as late for the missed
     * time as the grace allows anyway, so it is the one run that makes up for it.
     */
    private boolean catchUp(CronJob job, Instant tick, long lateMs, Instant nextStart, Instant now) {
        CronJobConfig c = job.config;
        job.state.misfires.incrementAndGet();
        if (c.misfire() == CronJobConfig.Misfire.SKIP) {
            LOG.warn("cron job {}: {} skipped: {} ms late (misfire-grace {} ms, misfire: skip)",
                    c.name(), format(job, tick), lateMs, c.misfireGrace().toMillis());
            return false;
        }
        if (nextStart != null && !nextStart.isAfter(now.plus(c.misfireGrace()))) {
            LOG.warn("cron job {}: {} is {} ms late (misfire-grace {} ms); the run at {}, within the grace, "
                            + "makes up for it (misfire: run-once)", c.name(), format(job, tick), lateMs,
                    c.misfireGrace().toMillis(), format(job, nextStart));
            return false;
        }
        LOG.warn("cron job {}: {} is {} ms late (misfire-grace {} ms); running it once now (misfire: run-once)",
                c.name(), format(job, tick), lateMs, c.misfireGrace().toMillis());
        return true;
    }

    /**
     * @param due when the timer meant the attempt to start (the tick plus jitter, or now for a
     *            catch-up): a worker may start it much later, when the process stood still between
     */
    private void submit(CronJob job, Instant tick, String trigger, Instant due) {
        attemptsSubmitted.incrementAndGet();
        try {
            workers.execute(() -> {
                try {
                    String late = lateTrigger(job, tick, trigger, due);
                    if (late != null) {
                        attempt(job, tick, late);
                    }
                } catch (RuntimeException e) {
                    LOG.error("cron job {}: run failed to start", job.name(), e);
                } finally {
                    attemptsDone.incrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            attemptsDone.incrementAndGet();
            LOG.debug("cron job {}: not started, stopping", job.name());
        }
    }

    /**
     * The trigger an attempt the timer decided on starts with, judged again now that a worker has
     * it: the process may have stood still (SIGSTOP, a long GC pause, a suspended machine) between
     * the timer's decision and now, and the misfire policy is about when a run starts. Null: not
     * run, because a later time of the job is due (the timer decides that one: a stale attempt
     * would be a second catch-up), or because it is now a misfire that is not to run.
     */
    private String lateTrigger(CronJob job, Instant tick, String trigger, Instant due) {
        Instant now = clock.instant();
        Instant next = job.next(tick);
        if (next != null && !next.isAfter(now)) {
            job.state.misfires.incrementAndGet();
            LOG.warn("cron job {}: {} not run: it could only start at {}, after the job's next time (the process "
                    + "was paused or busy)", job.name(), format(job, tick), format(job, now));
            return null;
        }
        long lateMs = Duration.between(due, now).toMillis();
        if (!"schedule".equals(trigger) || lateMs <= job.config.misfireGrace().toMillis()) {
            return trigger;
        }
        return catchUp(job, tick, lateMs, next, now) ? "misfire" : null;
    }

    // ---------------------------------------------------------------- runs

    /** Whether a run started: if so {@code result} completes when it ends, else {@code reason} says why not. */
    public record Started(boolean started, String reason, CompletableFuture<JobResult> result) {
        static Started no(String reason) {
            return new Started(false, reason, null);
        }
    }

    /** Claims and starts one run of {@code job} for {@code tick} (null: manual). On a worker thread. */
    Started attempt(CronJob job, Instant tick, String trigger) {
        CronJobConfig c = job.config;
        CronJob.State st = job.state;
        CronJob.Run run;
        JobLock.Claim claim;
        if (tick != null && pausedEverywhere(job)) {
            LOG.debug("cron job {}: {} not run: paused (gatewayctl cron pause)", c.name(), format(job, tick));
            return Started.no("paused (gatewayctl cron resume " + c.name() + ")");
        }
        synchronized (st) {
            if (stopping) {
                return Started.no("the gateway is stopping");
            }
            finishEnded(job, st);
            if (c.overlap() != Overlap.ALLOW && !st.running.isEmpty()) {
                CronJob.Run current = st.running.iterator().next();
                if (c.overlap() == Overlap.FORBID) {
                    if (tick != null && c.runOn() == RunOn.ONE) {
                        // decide the tick for every process: it is skipped, not left for another
                        JobLock.Claim decided = claimOrNull(job, tick, false);
                        if (decided != null && decided.outcome() == JobLock.Outcome.DONE_ELSEWHERE) {
                            st.elsewhere.incrementAndGet();
                            return Started.no("this tick ran in another process");
                        }
                    }
                    st.skips.incrementAndGet();
                    String going = describe(job, current) + " is still going (overlap: forbid)";
                    LOG.info("cron job {}: {} skipped: {}", c.name(), tick == null ? "manual run" : format(job, tick),
                            going);
                    return Started.no(going);
                }
                List<CronJob.Run> old = List.copyOf(st.running);
                String by = "replaced by " + (tick == null ? "a manual run" : what(job, tick, trigger))
                        + " (overlap: replace)";
                // the run's own end logs the cancel at INFO: two lines per replace would double the noise
                LOG.debug("cron job {}: cancelling {}: {}", c.name(), runName(job, current), by);
                old.forEach(r -> r.cancel(by));
                if (awaitEnded(old, REPLACE_WAIT)) {
                    finishEnded(job, st);
                } else {
                    st.skips.incrementAndGet();
                    LOG.warn("cron job {}: the cancelled run did not end within {} s; {} skipped", c.name(),
                            REPLACE_WAIT.toSeconds(), tick == null ? "manual run" : format(job, tick));
                    return Started.no("the cancelled run did not end within " + REPLACE_WAIT.toSeconds() + " s");
                }
            }
            claim = claimOrNull(job, tick, c.overlap() != Overlap.ALLOW);
            if (claim == null) {
                return Started.no("the lock failed; see the gateway log");
            }
            if (claim.outcome() == JobLock.Outcome.DONE_ELSEWHERE) {
                st.elsewhere.incrementAndGet();
                LOG.debug("cron job {}: {} ran in another process", c.name(), format(job, tick));
                return Started.no("this tick ran in another process");
            }
            if (claim.outcome() == JobLock.Outcome.BUSY) {
                st.elsewhere.incrementAndGet();
                LOG.debug("cron job {}: {} left to {}, which is running the job", c.name(),
                        tick == null ? "manual run" : format(job, tick), claim.holder());
                return Started.no("running in " + (claim.holder() == null ? "another process" : claim.holder()));
            }
            Instant started = clock.instant();
            run = new CronJob.Run(tick, started, trigger,
                    // a manual run's ${time} in whole seconds like a scheduled one's: PHP's
                    // DATE_RFC3339 refuses the nanoseconds the clock has
                    new JobAction.RunContext(c.name(), tick != null ? tick
                            : started.truncatedTo(java.time.temporal.ChronoUnit.SECONDS), job.zone));
            st.running.add(run);
            active.add(run);
        }
        CompletableFuture<JobAction.Outcome> f;
        try {
            f = job.action.start(run.ctx);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        run.lease = claim.lease();
        run.work = f;
        f.whenComplete((o, err) -> {
            run.ended.complete(null);
            onWorker(() -> finish(job, run, o, err));
        });
        return new Started(true, null, run.done);
    }

    /**
     * Finishes the runs of a job whose work has ended but whose ending still waits for a worker.
     * After the process stood still, the first time due is decided while the endings of runs that
     * ended meanwhile are still queued: it would see them as going, and overlap: forbid would skip
     * it for a run that is over.
     */
    private void finishEnded(CronJob job, CronJob.State st) {
        for (CronJob.Run r : List.copyOf(st.running)) {
            CompletableFuture<JobAction.Outcome> work = r.work;
            if (work != null && work.isDone()) {
                JobAction.Outcome o = null;
                Throwable err = null;
                try {
                    o = work.join();
                } catch (CompletionException | CancellationException e) {
                    err = e;
                }
                finish(job, r, o, err);
            }
        }
    }

    /**
     * An action completes on whatever thread finished its work: for a push in cluster mode that is
     * the Redis connection's I/O thread (with share-event-loops, a client loop). finish() releases
     * the lease, which waits for Redis to answer on that very thread, so it must not run there.
     */
    private void onWorker(Runnable task) {
        if (Thread.currentThread() instanceof WorkerThread) { // e.g. an action that completed as it started
            task.run();
            return;
        }
        try {
            workers.execute(task);
        } catch (RejectedExecutionException e) { // stopping: the workers are gone, nothing else waits
            task.run();
        }
    }

    /** Marks the scheduler's own threads, on which finishing a run may block. */
    private static final class WorkerThread extends Thread {
        WorkerThread(Runnable task, String name) {
            super(task, name);
        }
    }

    /**
     * Names a run going on for an overlap skip. A catch-up is named as one: it is what a user
     * looking at a skipped on-time run after a pause needs to know.
     */
    private static String describe(CronJob job, CronJob.Run run) {
        return what(job, run.tick, run.trigger) + ("misfire".equals(run.trigger) ? " (misfire: run-once)" : "")
                + ", started " + format(job, run.started) + ",";
    }

    /** A run as its cancel line names it: which time it was for and when it started. */
    private static String runName(CronJob job, CronJob.Run run) {
        return what(job, run.tick, run.trigger) + " (started "
                + format(job, run.started.truncatedTo(java.time.temporal.ChronoUnit.MILLIS)) + ")";
    }

    private static String what(CronJob job, Instant tick, String trigger) {
        return tick == null ? "the manual run"
                : "misfire".equals(trigger) ? "the catch-up run for " + format(job, tick)
                : "the run for " + format(job, tick);
    }

    private JobLock.Claim claimOrNull(CronJob job, Instant tick, boolean exclusive) {
        CronJobConfig c = job.config;
        JobLock lock = c.runOn() == RunOn.ONE ? sharedLock : JobLock.none();
        try {
            return lock.claim(c.name(), tick, exclusive, c.lockAtMostFor(), c.lockAtLeastFor());
        } catch (RuntimeException e) {
            LOG.error("cron job {}: cannot take its lock, run skipped: {}", c.name(), e.getMessage());
            job.state.record(new JobResult(tick, clock.instant(), 0, JobResult.Status.FAILED, null,
                    "lock failed: " + e.getMessage(), tick == null ? "manual" : "schedule"), history);
            return null;
        }
    }

    private void finish(CronJob job, CronJob.Run run, JobAction.Outcome o, Throwable err) {
        if (!run.finished.compareAndSet(false, true)) {
            return;
        }
        try {
            if (run.lease != null) {
                run.lease.release();
            }
        } catch (RuntimeException e) {
            LOG.warn("cron job {}: releasing its lock: {}", job.name(), e.toString());
        }
        if (err != null) {
            Throwable t = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
            if (t instanceof CancellationException || run.ctx.isCancelled()) {
                o = new JobAction.Outcome(JobResult.Status.CANCELLED, null, null);
            } else {
                LOG.warn("cron job {} failed", job.name(), t);
                o = JobAction.Outcome.failed(null, t.toString());
            }
        }
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - run.startNanos);
        String why = null;
        if (o.status() == JobResult.Status.CANCELLED) {
            // the history says why it stopped: an action's own text is at best "cancelled"
            why = run.cancelReason == null ? "cancelled" : run.cancelReason;
            String said = o.output() == null || o.output().isBlank() || o.output().equals("cancelled") ? null : o.output();
            o = new JobAction.Outcome(o.status(), o.code(), "cancelled: " + why + (said == null ? "" : "; output: " + said));
        }
        JobResult r = new JobResult(run.tick, run.started, ms, o.status(), o.code(), JobResult.head(o.output()),
                run.trigger);
        job.state.record(r, history);
        job.state.running.remove(run);
        active.remove(run);
        if (r.status() == JobResult.Status.OK) {
            LOG.debug("cron job {} ok in {} ms{}", job.name(), ms, r.code() == null ? "" : " (" + r.code() + ")");
        } else if (r.status() == JobResult.Status.CANCELLED) {
            // expected with overlap: replace, every time: a warning would read as a broken job
            LOG.info("cron job {}: {} cancelled after {} ms: {}", job.name(), runName(job, run), ms, why);
        } else {
            String output = oneLine(r.output());
            LOG.warn("cron job {} {} after {} ms{}{}", job.name(), r.status().label(), ms,
                    r.code() == null ? "" : " (code " + r.code() + ")", output.isEmpty() ? "" : ": " + output);
        }
        run.done.complete(r);
    }

    private static boolean awaitAll(Collection<CronJob.Run> runs, Duration timeout) {
        return await(runs.stream().map(r -> r.done), timeout);
    }

    private static boolean awaitEnded(Collection<CronJob.Run> runs, Duration timeout) {
        return await(runs.stream().map(r -> r.ended), timeout);
    }

    private static boolean await(java.util.stream.Stream<? extends CompletableFuture<?>> futures, Duration timeout) {
        try {
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                    .get(Math.max(0, timeout.toMillis()), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            return true; // done futures never fail
        }
    }

    // ---------------------------------------------------------------- operations

    /** Runs a job now, respecting its overlap policy (and, for run-on: one, a run in another process). */
    public CompletableFuture<Started> runNow(String name) {
        CronJob job = job(name);
        CompletableFuture<Started> f = new CompletableFuture<>();
        try {
            workers.execute(() -> {
                try {
                    f.complete(attempt(job, null, "manual"));
                } catch (RuntimeException e) {
                    f.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            f.complete(Started.no("the gateway is stopping"));
        }
        return f;
    }

    /**
     * Pauses a job in every process sharing the lock (its run directory, or the cluster) until it
     * is resumed in any of them: each process still wakes at the job's times and leaves them
     * unrun; a run going on finishes. False if it was paused that way already. Blocks for the
     * shared lock (a file, or Redis), so not for an event loop; throws, pausing nothing, when the
     * pause cannot be written.
     */
    public boolean pause(String name) {
        CronJob job = job(name);
        boolean was = sharedLock.pauseEverywhere(name, true);
        job.state.pausedEverywhere = true;
        if (!was) {
            LOG.info("cron job {} paused in every process", name);
        }
        return !was;
    }

    /**
     * Resumes a job paused with {@link #pause} (anywhere) or by {@code paused: true} in this
     * process' config, from now: missed times are not run. False if it was not paused. Blocks
     * like {@link #pause}.
     */
    public boolean resume(String name) {
        CronJob job = job(name);
        boolean was = sharedLock.pauseEverywhere(name, false);
        job.state.pausedEverywhere = false;
        synchronized (this) {
            if (job.state.paused) {
                job.state.paused = false;
                was = true;
                scheduleNext(job, clock.instant());
            }
            if (!was) {
                return false;
            }
            LOG.info("cron job {} resumed, next run {}", name, format(job, job.nextTick));
        }
        timer.wake();
        return true;
    }

    /**
     * Whether a pause for every process holds this job's times back. When the shared lock cannot
     * be read (Redis down), the last value this process saw holds: a job paused before an outage
     * stays paused through it, rather than every process running it at once.
     */
    private boolean pausedEverywhere(CronJob job) {
        try {
            boolean paused = sharedLock.pausedEverywhere(job.name());
            job.state.pausedEverywhere = paused;
            return paused;
        } catch (RuntimeException e) {
            boolean lastSeen = job.state.pausedEverywhere;
            LOG.debug("cron job {}: cannot read its shared pause ({}); keeping the last seen: {}", job.name(),
                    e.getMessage(), lastSeen ? "paused" : "not paused");
            return lastSeen;
        }
    }

    /** The last results of a job, newest first. */
    public List<JobResult> history(String name) {
        return job(name).state.history();
    }

    public synchronized List<String> names() {
        return new ArrayList<>(jobs.keySet());
    }

    private synchronized CronJob job(String name) {
        CronJob job = jobs.get(name);
        if (job == null) {
            throw new NoSuchElementException("no cron job \"" + name + "\"; jobs: "
                    + (jobs.isEmpty() ? "none" : String.join(", ", jobs.keySet())));
        }
        return job;
    }

    /**
     * A job as {@code cron list} shows it.
     *
     * @param timezone the zone its cron expression is read in; null for an interval with no zone
     *                 set, which fires at the same instants in every zone
     * @param failures runs that failed or timed out
     * @param cancelled runs cut short by overlap: replace or a stop
     */
    public record JobView(String name, String schedule, String timezone, String runOn, String overlap, boolean paused,
                          ZonedDateTime nextRun, JobResult last, long runs, long failures, long cancelled, long skips,
                          long misfires, long elsewhere, int running, String lockHolder) {
    }

    public List<JobView> list() {
        List<CronJob> all;
        synchronized (this) {
            all = new ArrayList<>(jobs.values());
        }
        List<JobView> out = new ArrayList<>();
        for (CronJob j : all) {
            CronJobConfig c = j.config;
            CronJob.State s = j.state;
            Instant next;
            synchronized (this) {
                next = j.nextTick;
            }
            String holder = c.runOn() == RunOn.ONE ? sharedLock.holder(c.name()) : null;
            // paused everywhere: this process still wakes at next_run, and leaves the time unrun
            boolean paused = s.paused || pausedEverywhere(j);
            String zone = c.timezone() == null && Schedules.intervalOf(j.schedule) != null ? null : j.zone.getId();
            out.add(new JobView(c.name(), c.scheduleText(), zone, c.runOn().configName(),
                    c.overlap().configName(), paused, s.paused || next == null ? null : next.atZone(j.zone),
                    s.last(), s.runs.get(), s.failures.get(), s.cancelled.get(), s.skips.get(), s.misfires.get(),
                    s.elsewhere.get(), s.running.size(), holder));
        }
        return out;
    }

    /** The cron section of /api/status. */
    public Map<String, Object> summary() {
        List<CronJob> all;
        synchronized (this) {
            all = new ArrayList<>(jobs.values());
        }
        long runs = 0;
        long failures = 0;
        long cancelled = 0;
        long skips = 0;
        long misfires = 0;
        int paused = 0;
        CronJob soonest = null;
        for (CronJob j : all) {
            runs += j.state.runs.get();
            failures += j.state.failures.get();
            cancelled += j.state.cancelled.get();
            skips += j.state.skips.get();
            misfires += j.state.misfires.get();
            if (j.state.paused || j.state.pausedEverywhere) { // as last seen: status reads no lock
                paused++;
            } else if (j.nextTick != null && (soonest == null || j.nextTick.isBefore(soonest.nextTick))) {
                soonest = j;
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jobs", all.size());
        m.put("paused", paused);
        m.put("running", active.size());
        m.put("runs", runs);
        m.put("failures", failures);
        m.put("cancelled", cancelled);
        m.put("skips", skips);
        m.put("misfires", misfires);
        m.put("next_job", soonest == null ? null : soonest.name());
        m.put("next_run", soonest == null ? null : rfc3339(soonest.nextTick.atZone(soonest.zone).toOffsetDateTime()));
        m.put("timers", timers.count());
        return m;
    }

    // ---------------------------------------------------------------- stop

    /**
     * Stops scheduling, waits up to {@code timeout} for the runs going on, then cancels what is
     * left (and waits up to 2 s more for it to end).
     */
    public void stop(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            if (stopping) {
                return;
            }
            stopping = true;
        }
        timers.shutdown();
        timer.stop(Duration.ofNanos(deadline - System.nanoTime()));
        List<CronJob.Run> going = List.copyOf(active);
        if (!going.isEmpty()) {
            LOG.info("waiting for {} cron job run{} to finish", going.size(), going.size() == 1 ? "" : "s");
            if (!awaitAll(going, Duration.ofNanos(deadline - System.nanoTime()))) {
                List<CronJob.Run> left = List.copyOf(active);
                LOG.warn("cancelling {} cron job run{} still going at the stop timeout", left.size(),
                        left.size() == 1 ? "" : "s");
                left.forEach(r -> r.cancel("the gateway is stopping (still going at the stop timeout)"));
                awaitAll(left, Duration.ofSeconds(2));
            }
        }
        workers.shutdown();
        sharedLock.close();
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
    }

    private static String format(CronJob job, Instant t) {
        return t == null ? "never" : rfc3339(t.atZone(job.zone).toOffsetDateTime());
    }

    /**
     * RFC 3339 with the seconds always written: OffsetDateTime.toString() leaves out ":00", which
     * strict parsers (PHP's DATE_RFC3339) refuse.
     */
    static String rfc3339(java.time.OffsetDateTime t) {
        return java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t);
    }

    private static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String t = s.replaceAll("\\s+", " ").trim();
        return t.length() > 200 ? t.substring(0, 200) + "..." : t;
    }
}
