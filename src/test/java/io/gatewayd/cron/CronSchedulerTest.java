package io.gatewayd.cron;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.gatewayd.config.ConfigLoader;
import io.gatewayd.config.CronConfig;
import io.gatewayd.config.CronJobConfig;
import io.gatewayd.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The scheduler against a clock the test moves: every decision is deterministic. */
class CronSchedulerTest {
    private static final Instant T0 = Instant.parse("2024-01-01T00:00:00.500Z");

    @TempDir
    Path runDir;

    private final MutableClock clock = new MutableClock(T0);
    private final Map<String, TestAction> actions = new ConcurrentHashMap<>();
    private final List<CronScheduler> started = new ArrayList<>();

    @AfterEach
    void stopAll() {
        started.forEach(s -> s.stop(Duration.ofMillis(100))); // open test runs are cancelled
        Logger cronLog = (Logger) LoggerFactory.getLogger("gatewayd.cron");
        cronLog.iteratorForAppenders().forEachRemaining(a -> {
            if (a instanceof ListAppender) {
                cronLog.detachAppender(a);
            }
        });
        cronLog.setLevel(null);
        cronLog.setAdditive(true);
    }

    static CronConfig cron(String jobsYaml) {
        return new ConfigLoader(Map.of()).parse("cron:\n" + jobsYaml.stripIndent().indent(2), "test.yaml").cron();
    }

    private CronScheduler scheduler(JobLock lock, Function<CronJobConfig, JobAction> actionFor) {
        CronScheduler s = new CronScheduler(clock, lock, actionFor, 4, new Random(42));
        started.add(s);
        return s;
    }

    private CronScheduler scheduler() {
        return scheduler(new FileJobLock(runDir, "test"), c -> actions.computeIfAbsent(c.name(), n -> new TestAction(false)));
    }

    /** A scheduler with these jobs applied; an action put in {@link #actions} before is the job's. */
    private CronScheduler scheduler(String jobsYaml) {
        CronScheduler s = scheduler();
        s.apply(cron(jobsYaml));
        return s;
    }

    /** The scheduler of another process sharing the run directory: {@code name} holds its locks. */
    private CronScheduler process(String name, Function<CronJobConfig, JobAction> actionFor, CronConfig jobs) {
        CronScheduler s = scheduler(new FileJobLock(runDir, name), actionFor);
        s.apply(jobs);
        return s;
    }

    private TestAction action(String job) {
        return actions.computeIfAbsent(job, n -> new TestAction(false));
    }

    /** Moves the clock, fires what is due, and waits until every attempt has decided. */
    private static void step(MutableClock clock, Duration by, CronScheduler... schedulers) {
        clock.advance(by);
        for (CronScheduler s : schedulers) {
            s.runDue();
        }
        for (CronScheduler s : schedulers) {
            awaitDecided(s);
        }
    }

    /** Waits until every attempt submitted to {@code s} has decided to run, skip or misfire. */
    private static void awaitDecided(CronScheduler s) {
        Await.until("cron attempts decided", () -> s.attemptsDone.get() == s.attemptsSubmitted.get());
    }

    private static CronScheduler.JobView view(CronScheduler s, String name) {
        return s.list().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void forbidSkipsTicksWhileARunGoesOnAndNeverRunsTwoAtOnce() {
        CronScheduler s = scheduler("""
                - name: slow
                  every: 1s
                  push: {message: x}
                """);
        TestAction a = action("slow");
        step(clock, Duration.ofMillis(500), s);
        assertThat(a.started()).isEqualTo(1);
        for (int i = 1; i <= 3; i++) {
            step(clock, Duration.ofSeconds(1), s);
            assertThat(view(s, "slow").skips()).isEqualTo(i);
        }
        assertThat(a.started()).isEqualTo(1);
        a.finish(0);
        Await.until("the run is recorded", () -> view(s, "slow").runs() == 1 && view(s, "slow").running() == 0);
        step(clock, Duration.ofSeconds(1), s);
        assertThat(a.started()).isEqualTo(2);
        assertThat(a.maxOpen.get()).isEqualTo(1);
        assertThat(view(s, "slow").skips()).isEqualTo(3);
        assertThat(a.ticks).containsExactly(Instant.parse("2024-01-01T00:00:01Z"), Instant.parse("2024-01-01T00:00:05Z"));
    }

    @Test
    void allowLetsRunsOverlap() {
        CronScheduler s = scheduler("""
                - name: overlapping
                  every: 1s
                  overlap: allow
                  push: {message: x}
                """);
        for (int i = 0; i < 3; i++) {
            step(clock, Duration.ofSeconds(1), s);
        }
        assertThat(action("overlapping").started()).isEqualTo(3);
        assertThat(action("overlapping").maxOpen.get()).isEqualTo(3);
        assertThat(view(s, "overlapping").skips()).isZero();
    }

    @Test
    void replaceCancelsTheRunningOneBeforeStartingTheNext() {
        CronScheduler s = scheduler("""
                - name: latest-only
                  every: 1s
                  overlap: replace
                  push: {message: x}
                """);
        TestAction a = action("latest-only");
        step(clock, Duration.ofSeconds(1), s);
        step(clock, Duration.ofSeconds(1), s);
        step(clock, Duration.ofSeconds(1), s);
        assertThat(a.started()).isEqualTo(3);
        assertThat(a.maxOpen.get()).isEqualTo(1);
        Await.until("two cancelled runs recorded", () -> s.history("latest-only").size() == 2);
        assertThat(s.history("latest-only")).extracting(JobResult::status)
                .containsOnly(JobResult.Status.CANCELLED);
        a.finish(2);
        Await.until("the last run ends ok", () -> s.history("latest-only").get(0).status() == JobResult.Status.OK);
    }

    @Test
    void aReplacedRunCountsAsCancelledNotAsAFailureAndTheLogSaysWhatReplacedIt() {
        ListAppender<ILoggingEvent> log = captureCronLog();
        CronScheduler s = scheduler("""
                - name: latest-only
                  every: 1s
                  timezone: UTC
                  overlap: replace
                  push: {message: x}
                """);
        step(clock, Duration.ofSeconds(1), s);
        step(clock, Duration.ofSeconds(1), s);
        step(clock, Duration.ofSeconds(1), s);
        Await.until("two cancelled runs recorded", () -> s.history("latest-only").size() == 2);
        CronScheduler.JobView v = view(s, "latest-only");
        assertThat(v.failures()).as("a replaced run is the policy working, not a broken job").isZero();
        assertThat(v.cancelled()).isEqualTo(2);
        assertThat(v.runs()).isEqualTo(2);
        JobResult replaced = s.history("latest-only").get(0);
        assertThat(replaced.status()).isEqualTo(JobResult.Status.CANCELLED);
        assertThat(replaced.output()).isEqualTo("cancelled: replaced by the run for 2024-01-01T00:00:03Z (overlap: replace)");
        assertThat(s.summary()).containsEntry("failures", 0L).containsEntry("cancelled", 2L);
        assertThat(CronApi.view(v)).containsEntry("failures", 0L).containsEntry("cancelled", 2L);
        Await.until("the cancels are logged", () -> messages(log, Level.INFO).stream()
                .filter(m -> m.contains("cancelled after")).count() == 2);
        assertThat(messages(log, Level.INFO)).anyMatch(m -> m.matches("cron job latest-only: the run for "
                + "2024-01-01T00:00:02Z \\(started 2024-01-01T00:00:02\\.5Z\\) cancelled after \\d+ ms: replaced by the run "
                + "for 2024-01-01T00:00:03Z \\(overlap: replace\\)"));
        assertThat(messages(log, Level.WARN)).as("nothing went wrong").isEmpty();
    }

    @Test
    void aRunCancelledAtStopCountsAsCancelledAndSaysTheGatewayWasStopping() {
        ListAppender<ILoggingEvent> log = captureCronLog();
        CronScheduler s = scheduler("""
                - name: stuck
                  every: 1s
                  push: {message: x}
                """);
        step(clock, Duration.ofSeconds(1), s);
        s.stop(Duration.ofMillis(50));
        CronScheduler.JobView v = view(s, "stuck");
        assertThat(v.failures()).isZero();
        assertThat(v.cancelled()).isEqualTo(1);
        assertThat(s.history("stuck").get(0).output())
                .isEqualTo("cancelled: the gateway is stopping (still going at the stop timeout)");
        assertThat(messages(log, Level.INFO)).anyMatch(m -> m.startsWith("cron job stuck: the run for ")
                && m.endsWith(": the gateway is stopping (still going at the stop timeout)"));
    }

    @Test
    void anIntervalJobListsNoTimeZoneUnlessOneIsSet() {
        CronScheduler s = scheduler("""
                - name: interval
                  every: 10s
                  push: {message: x}
                - name: at-interval
                  schedule: "@every 10s"
                  push: {message: x}
                - name: interval-utc
                  every: 10s
                  timezone: UTC
                  push: {message: x}
                - name: expression
                  schedule: "0 0 * * * *"
                  push: {message: x}
                """);
        assertThat(view(s, "interval").timezone()).as("an interval fires at the same instants in every zone").isNull();
        assertThat(view(s, "at-interval").timezone()).isNull();
        assertThat(view(s, "interval-utc").timezone()).as("set: it still gives ${time} its offset").isEqualTo("UTC");
        assertThat(view(s, "expression").timezone()).isEqualTo(java.time.ZoneId.systemDefault().getId());
        assertThat(CronApi.view(view(s, "interval"))).containsEntry("timezone", null);
    }

    private static ListAppender<ILoggingEvent> captureCronLog() {
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        Logger cronLog = (Logger) LoggerFactory.getLogger("gatewayd.cron");
        cronLog.setLevel(Level.INFO); // the tests' root logs WARN and up only
        cronLog.setAdditive(false);
        cronLog.addAppender(log);
        return log;
    }

    private static List<String> messages(ListAppender<ILoggingEvent> log, Level level) {
        return List.copyOf(log.list).stream().filter(e -> e.getLevel() == level)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void replaceDoesNotHoldTheOnlyWorkerWhileTheCancelledRunEnds() {
        // like a killed process, a cancelled run ends on a thread of its own, and its ending then
        // needs a worker: the one that waits for it, with cron.workers: 1
        List<Instant> ticks = new java.util.concurrent.CopyOnWriteArrayList<>();
        JobAction endsElsewhere = ctx -> {
            ticks.add(ctx.tick);
            CompletableFuture<JobAction.Outcome> f = new CompletableFuture<>();
            ctx.cancelled.thenRunAsync(() -> f.complete(new JobAction.Outcome(JobResult.Status.CANCELLED, 143, "")));
            return f;
        };
        CronScheduler s = new CronScheduler(clock, new FileJobLock(runDir, "test"), c -> endsElsewhere, 1, new Random(42));
        started.add(s);
        s.apply(cron("""
                workers: 1
                jobs:
                  - name: latest-only
                    every: 1s
                    overlap: replace
                    push: {message: x}
                """));
        step(clock, Duration.ofSeconds(1), s);
        step(clock, Duration.ofSeconds(1), s);
        assertThat(ticks).containsExactly(Instant.parse("2024-01-01T00:00:01Z"), Instant.parse("2024-01-01T00:00:02Z"));
        assertThat(view(s, "latest-only").skips()).isZero();
        assertThat(s.history("latest-only")).extracting(JobResult::status).containsExactly(JobResult.Status.CANCELLED);
    }

    @Test
    void aTickLaterThanTheGraceIsSkippedAndMissedTicksNeverBurst() {
        actions.put("minutely", new TestAction(true));
        CronScheduler s = scheduler("""
                - name: minutely
                  schedule: "0 * * * * *"
                  push: {message: x}
                """);
        clock.set(Instant.parse("2024-01-01T00:01:10Z")); // 10 s late, grace 5 s
        step(clock, Duration.ZERO, s);
        assertThat(action("minutely").started()).isZero();
        assertThat(view(s, "minutely").misfires()).isEqualTo(1);
        assertThat(view(s, "minutely").nextRun().toInstant()).isEqualTo(Instant.parse("2024-01-01T00:02:00Z"));

        clock.set(Instant.parse("2024-01-01T00:05:10Z")); // 02, 03, 04 missed, 05 is 10 s late
        step(clock, Duration.ZERO, s);
        assertThat(action("minutely").started()).isZero();
        assertThat(view(s, "minutely").misfires()).isEqualTo(5);

        clock.set(Instant.parse("2024-01-01T00:06:03Z")); // 3 s late: within the grace
        step(clock, Duration.ZERO, s);
        assertThat(action("minutely").ticks).containsExactly(Instant.parse("2024-01-01T00:06:00Z"));
    }

    @Test
    void runOnceRunsOneCatchUpRunForManyMissedTicks() {
        actions.put("catch-up", new TestAction(true));
        CronScheduler s = scheduler("""
                - name: catch-up
                  schedule: "0 * * * * *"
                  misfire: run-once
                  push: {message: x}
                """);
        clock.set(Instant.parse("2024-01-01T00:05:10Z"));
        step(clock, Duration.ZERO, s);
        assertThat(action("catch-up").ticks).containsExactly(Instant.parse("2024-01-01T00:05:00Z"));
        Await.until("recorded", () -> s.history("catch-up").size() == 1);
        assertThat(s.history("catch-up").get(0).trigger()).isEqualTo("misfire");
        assertThat(view(s, "catch-up").nextRun().toInstant()).isEqualTo(Instant.parse("2024-01-01T00:06:00Z"));
    }

    @Test
    void aCatchUpDueWithinTheGraceOfTheNextTimeIsLeftToThatTimeInsteadOfCostingIt() {
        // the stall ends 2 s before 00:06:00: a catch-up started now would still be running then
        // (this job takes longer), and overlap: forbid would skip the on-time run for it
        CronScheduler s = scheduler("""
                - name: report
                  schedule: "0 * * * * *"
                  misfire: run-once
                  push: {message: x}
                """);
        TestAction a = action("report");
        clock.set(Instant.parse("2024-01-01T00:05:58Z"));
        step(clock, Duration.ZERO, s);
        assertThat(a.started()).as("no catch-up 2 s before the next time").isZero();
        assertThat(view(s, "report").misfires()).isEqualTo(5);
        step(clock, Duration.ofSeconds(2), s);
        assertThat(a.ticks).containsExactly(Instant.parse("2024-01-01T00:06:00Z"));
        assertThat(view(s, "report").skips()).isZero();
        a.finish(0);
        Await.until("recorded", () -> s.history("report").size() == 1);
        assertThat(s.history("report").get(0).trigger()).isEqualTo("schedule");
    }

    @Test
    void aCatchUpCostsTheNextTimeOnlyWhileItReallyStillRunsAndThenSaysSo() {
        CronScheduler s = scheduler("""
                - name: report
                  schedule: "0 * * * * *"
                  timezone: UTC
                  misfire: run-once
                  push: {message: x}
                """);
        TestAction a = action("report");
        clock.set(Instant.parse("2024-01-01T00:05:30Z"));
        step(clock, Duration.ZERO, s);
        assertThat(a.ticks).containsExactly(Instant.parse("2024-01-01T00:05:00Z"));
        a.finish(0);
        Await.until("the catch-up is recorded", () -> view(s, "report").running() == 0);
        step(clock, Duration.ofSeconds(30), s);
        assertThat(a.ticks).as("a catch-up that ended leaves the next time alone")
                .containsExactly(Instant.parse("2024-01-01T00:05:00Z"), Instant.parse("2024-01-01T00:06:00Z"));
        a.finish(1);
        Await.until("the on-time run is recorded", () -> view(s, "report").running() == 0);

        clock.set(Instant.parse("2024-01-01T00:08:30Z"));
        step(clock, Duration.ZERO, s);
        assertThat(a.started()).isEqualTo(3);
        CronScheduler.Started manual = s.runNow("report").join();
        assertThat(manual.reason()).as("what is still going is named")
                .isEqualTo("the catch-up run for 2024-01-01T00:08:00Z (misfire: run-once), started "
                        + "2024-01-01T00:08:30Z, is still going (overlap: forbid)");
        step(clock, Duration.ofSeconds(30), s);
        assertThat(a.started()).as("still running at 00:09:00: an honest overlap").isEqualTo(3);
        assertThat(view(s, "report").skips()).isEqualTo(2);
        assertThat(view(s, "report").misfires()).isEqualTo(7);
        assertThat(s.history("report")).extracting(JobResult::trigger).containsExactly("schedule", "misfire");
    }

    /**
     * Occupies every worker until the returned latches open (the first one frees one worker), as
     * a process that stood still leaves work queued: whatever is submitted meanwhile runs after.
     */
    private static CountDownLatch[] occupyWorkers(CronScheduler s) {
        CountDownLatch one = new CountDownLatch(1);
        CountDownLatch rest = new CountDownLatch(1);
        CountDownLatch busy = new CountDownLatch(4);
        for (int i = 0; i < 4; i++) {
            CountDownLatch mine = i == 0 ? one : rest;
            s.workers().execute(() -> {
                busy.countDown();
                try {
                    mine.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        Await.until("every worker is busy", () -> busy.getCount() == 0);
        return new CountDownLatch[] {one, rest};
    }

    @Test
    void aTickWhoseStartIsHeldUpPastTheGraceFollowsTheMisfirePolicyAndAStaleOneIsDropped() {
        // the timer fired the tick just before the process stopped; the worker started it after
        actions.put("once", new TestAction(true));
        actions.put("skip", new TestAction(true));
        CronScheduler s = scheduler("""
                - name: once
                  every: 1m
                  misfire: run-once
                  push: {message: x}
                - name: skip
                  every: 1m
                  push: {message: x}
                """);
        CountDownLatch[] held = occupyWorkers(s);
        clock.set(Instant.parse("2024-01-01T00:01:00Z"));
        s.runDue();
        clock.set(Instant.parse("2024-01-01T00:01:20Z")); // 20 s late, the next time still ahead
        s.runDue();
        held[0].countDown();
        held[1].countDown();
        awaitDecided(s);
        assertThat(action("once").ticks).containsExactly(Instant.parse("2024-01-01T00:01:00Z"));
        assertThat(action("skip").ticks).as("misfire: skip").isEmpty();

        held = occupyWorkers(s);
        clock.set(Instant.parse("2024-01-01T00:02:00Z"));
        s.runDue();
        clock.set(Instant.parse("2024-01-01T00:03:30Z")); // 00:03:00 is due too: the timer decides it
        s.runDue();
        held[0].countDown();
        held[1].countDown();
        awaitDecided(s);
        assertThat(action("once").ticks).as("one catch-up, for the latest time; none for the stale 00:02:00")
                .containsExactly(Instant.parse("2024-01-01T00:01:00Z"), Instant.parse("2024-01-01T00:03:00Z"));
        assertThat(action("skip").ticks).isEmpty();
        Await.until("recorded", () -> s.history("once").size() == 2);
        assertThat(s.history("once")).extracting(JobResult::trigger).containsExactly("misfire", "misfire");
        assertThat(view(s, "once").misfires()).isEqualTo(3);
        assertThat(view(s, "skip").misfires()).isEqualTo(3);
    }

    @Test
    void aRunThatEndedWhileTheProcessStoodStillDoesNotCostTheFirstTimeAfterIt() {
        CronScheduler s = scheduler("""
                - name: report
                  every: 10s
                  push: {message: x}
                """);
        TestAction a = action("report");
        step(clock, Duration.ofSeconds(10), s);
        assertThat(a.ticks).containsExactly(Instant.parse("2024-01-01T00:00:10Z"));
        CountDownLatch[] held = occupyWorkers(s);
        clock.set(Instant.parse("2024-01-01T00:00:21Z")); // 00:00:20 is 1 s late: on time
        s.runDue();
        a.finish(0); // ended during the stall: its ending is queued behind the tick's attempt
        held[0].countDown(); // one worker: the attempt, then the ending, in that order
        awaitDecided(s);
        assertThat(a.ticks).containsExactly(Instant.parse("2024-01-01T00:00:10Z"), Instant.parse("2024-01-01T00:00:20Z"));
        assertThat(view(s, "report").skips()).isZero();
        held[1].countDown();
        Await.until("the first run is recorded once", () -> s.history("report").size() == 1);
        a.finish(1);
        Await.until("the second run is recorded", () -> s.history("report").size() == 2);
        assertThat(view(s, "report").runs()).isEqualTo(2);
    }

    @Test
    void afterTheMachineSleptForDaysTheRunIsForTheLatestTimeAndEveryMissedOneIsCounted() {
        actions.put("every-second", new TestAction(true));
        actions.put("every-10ms", new TestAction(true));
        CronScheduler s = scheduler("""
                - name: every-second
                  schedule: "* * * * * *"
                  misfire: run-once
                  push: {message: x}
                - name: every-10ms
                  every: 10ms
                  misfire: run-once
                  push: {message: x}
                """);
        step(clock, Duration.ofSeconds(1), s);
        clock.set(Instant.parse("2024-01-03T00:00:00.400Z")); // asleep for two days
        step(clock, Duration.ZERO, s); // took 15 s here, visiting each of the 17 million 10 ms ticks
        assertThat(action("every-second").ticks).last().isEqualTo(Instant.parse("2024-01-03T00:00:00Z"));
        assertThat(action("every-10ms").ticks).last().isEqualTo(Instant.parse("2024-01-03T00:00:00.400Z"));
        assertThat(view(s, "every-second").misfires()).as("every missed second counted")
                .isEqualTo(2 * 86_400 - 2); // 00:00:02 to the last second before 2024-01-03
        assertThat(view(s, "every-10ms").misfires()).as("99 in the first step, then 00:00:01.510 on")
                .isEqualTo(99 + (172_800_400 - 1_510) / 10);
    }

    @Test
    void aShortStallWithinTheGraceRunsOnlyTheLatestTick() {
        actions.put("fast", new TestAction(true));
        CronScheduler s = scheduler("""
                - name: fast
                  every: 1s
                  push: {message: x}
                """);
        step(clock, Duration.ofMillis(3500), s); // ticks 1, 2, 3 and 4 due
        assertThat(action("fast").ticks).containsExactly(Instant.parse("2024-01-01T00:00:04Z"));
        assertThat(view(s, "fast").misfires()).isEqualTo(3);
    }

    @Test
    void runOnOneRunsEachTickOnceAcrossSchedulersSharingTheLockDirectory() {
        TestAction a = new TestAction(true);
        TestAction b = new TestAction(true);
        CronConfig config = cron("""
                - name: once
                  every: 1s
                  push: {message: x}
                """);
        CronScheduler sa = process("A", c -> a, config);
        CronScheduler sb = process("B", c -> b, config);
        for (int i = 0; i < 6; i++) {
            step(clock, Duration.ofSeconds(1), sa, sb);
        }
        List<Instant> all = new ArrayList<>(a.ticks);
        all.addAll(b.ticks);
        assertThat(all).hasSize(6).doesNotHaveDuplicates();
        assertThat(view(sa, "once").elsewhere() + view(sb, "once").elsewhere()).isEqualTo(6);
    }

    @Test
    void runOnOneForbidSkipsWhileAnotherSchedulerHoldsTheRun() {
        TestAction a = new TestAction(false);
        TestAction b = new TestAction(false);
        CronConfig config = cron("""
                - name: long
                  every: 1s
                  push: {message: x}
                """);
        CronScheduler sa = process("A", c -> a, config);
        CronScheduler sb = process("B", c -> b, config);
        step(clock, Duration.ofSeconds(1), sa, sb);
        assertThat(a.started() + b.started()).isEqualTo(1);
        CronScheduler holder = a.started() == 1 ? sa : sb;
        assertThat(holder.list().get(0).lockHolder()).isEqualTo(a.started() == 1 ? "A" : "B");
        for (int i = 0; i < 3; i++) {
            step(clock, Duration.ofSeconds(1), sa, sb);
        }
        assertThat(a.started() + b.started()).as("never two at once across schedulers").isEqualTo(1);
        // the holder decides each later tick (a skip, counted once); the other leaves it to the holder
        assertThat(view(sa, "long").skips() + view(sb, "long").skips()).isEqualTo(3);
        (a.started() == 1 ? a : b).finish(0);
        Await.until("the lease is released", () -> holder.list().get(0).running() == 0);
        step(clock, Duration.ofSeconds(1), sa, sb);
        assertThat(a.started() + b.started()).isEqualTo(2);
    }

    @Test
    void jitterDelaysEachRunByUpToTheJitterButKeepsTheTick() {
        clock.set(Instant.parse("2024-01-01T00:00:00Z"));
        actions.put("spread", new TestAction(true));
        CronScheduler s = scheduler("""
                - name: spread
                  every: 10s
                  jitter: 5s
                  push: {message: x}
                """);
        List<Long> delays = new ArrayList<>();
        for (int tick = 1; tick <= 5; tick++) {
            Instant due = Instant.parse("2024-01-01T00:00:00Z").plusSeconds(10L * tick);
            int before = action("spread").started();
            while (action("spread").started() == before) {
                step(clock, Duration.ofMillis(100), s);
                assertThat(clock.instant()).isBeforeOrEqualTo(due.plusSeconds(5));
            }
            assertThat(clock.instant()).isAfterOrEqualTo(due);
            delays.add(Duration.between(due, clock.instant()).toMillis());
            assertThat(action("spread").ticks.get(tick - 1)).isEqualTo(due);
        }
        assertThat(new HashSet<>(delays)).as("delays " + delays).hasSizeGreaterThan(1);
    }

    @Test
    void aJobSlowToSetUpDoesNotLeaveTheNextJobsScheduledInThePast() {
        // the first http job builds the JDK HttpClient: over a second on a cold JVM
        CronScheduler s = scheduler(new FileJobLock(runDir, "test"), c -> {
            if (c.name().equals("first")) {
                clock.advance(Duration.ofSeconds(10));
            }
            return action(c.name());
        });
        s.apply(cron("""
                - name: first
                  every: 1m
                  push: {message: x}
                - name: second
                  every: 1s
                  push: {message: x}
                """));
        assertThat(view(s, "second").nextRun().toInstant()).isAfter(clock.instant());
        step(clock, Duration.ZERO, s);
        assertThat(view(s, "second").misfires()).isZero();
    }

    @Test
    void reloadAddsRemovesAndReschedulesJobsAndKeepsTheRest() {
        actions.put("kept", new TestAction(true));
        actions.put("changed", new TestAction(true));
        actions.put("added", new TestAction(true));
        CronScheduler s = scheduler("""
                - name: kept
                  every: 10s
                  push: {message: x}
                - name: changed
                  every: 10s
                  push: {message: x}
                - name: removed
                  every: 10s
                  push: {message: x}
                """);
        step(clock, Duration.ofSeconds(10), s); // all three run at :10; "removed" stays running
        assertThat(action("removed").started()).isEqualTo(1);
        s.pause("kept");
        Instant keptNext = Instant.parse("2024-01-01T00:00:20Z");

        s.apply(cron("""
                - name: kept
                  every: 10s
                  push: {message: x}
                - name: changed
                  every: 1m
                  push: {message: x}
                - name: added
                  every: 10s
                  push: {message: x}
                """));
        assertThat(s.names()).containsExactly("kept", "changed", "added");
        CronScheduler.JobView kept = view(s, "kept");
        assertThat(kept.paused()).as("untouched jobs keep their state").isTrue();
        assertThat(kept.runs()).isEqualTo(1);
        s.resume("kept");
        assertThat(view(s, "kept").nextRun().toInstant()).isEqualTo(keptNext);
        CronScheduler.JobView changed = view(s, "changed");
        assertThat(changed.schedule()).isEqualTo("every 1m");
        assertThat(changed.nextRun().toInstant()).isEqualTo(Instant.parse("2024-01-01T00:01:00Z"));
        assertThat(changed.runs()).as("counters survive a change").isEqualTo(1);
        assertThat(view(s, "added").runs()).isZero();

        step(clock, Duration.ofSeconds(10), s);
        assertThat(action("added").started()).isEqualTo(1);
        assertThat(action("kept").started()).isEqualTo(2);
        assertThat(action("changed").started()).isEqualTo(1);
        assertThat(action("removed").started()).as("removed jobs are not scheduled").isEqualTo(1);
        assertThat(s.summary().get("running")).as("the removed job's run goes on").isEqualTo(1);
        action("removed").finish(0);
        Await.until("the removed job's run finishes", () -> s.summary().get("running").equals(0));
    }

    @Test
    void pausedJobsDoNotRunAndResumeDoesNotCatchUp() {
        actions.put("p", new TestAction(true));
        CronScheduler s = scheduler("""
                - name: p
                  every: 1s
                  paused: true
                  push: {message: x}
                """);
        for (int i = 0; i < 3; i++) {
            step(clock, Duration.ofSeconds(1), s);
        }
        assertThat(action("p").started()).isZero();
        assertThat(view(s, "p").nextRun()).isNull();
        assertThat(s.resume("p")).isTrue();
        assertThat(s.resume("p")).isFalse();
        step(clock, Duration.ofSeconds(1), s);
        assertThat(action("p").ticks).containsExactly(Instant.parse("2024-01-01T00:00:04Z"));
        assertThat(view(s, "p").misfires()).isZero();
        assertThat(s.pause("p")).isTrue();
        step(clock, Duration.ofSeconds(1), s);
        assertThat(action("p").started()).isEqualTo(1);
        assertThatThrownBy(() -> s.pause("nope")).hasMessageContaining("no cron job \"nope\"; jobs: p");
    }

    @Test
    void aPauseHoldsTheJobInEveryProcessSharingTheLockUntilAnyOfThemResumesIt() {
        Map<String, TestAction> inA = new ConcurrentHashMap<>();
        Map<String, TestAction> inB = new ConcurrentHashMap<>();
        CronConfig config = cron("""
                - name: once
                  every: 1s
                  push: {message: x}
                - name: both
                  every: 1s
                  run-on: each
                  push: {message: x}
                """);
        CronScheduler sa = process("A", c -> inA.computeIfAbsent(c.name(), n -> new TestAction(true)), config);
        CronScheduler sb = process("B", c -> inB.computeIfAbsent(c.name(), n -> new TestAction(true)), config);
        java.util.function.ToIntFunction<String> runs = job -> (inA.containsKey(job) ? inA.get(job).started() : 0)
                + (inB.containsKey(job) ? inB.get(job).started() : 0);
        step(clock, Duration.ofSeconds(1), sa, sb);
        assertThat(runs.applyAsInt("once")).isEqualTo(1);
        assertThat(runs.applyAsInt("both")).isEqualTo(2);

        assertThat(sa.pause("once")).isTrue();
        assertThat(sb.pause("once")).as("paused for every process already").isFalse();
        assertThat(sb.pause("both")).as("run-on: each jobs pause everywhere too").isTrue();
        assertThat(view(sb, "once").paused()).as("B sees A's pause").isTrue();
        assertThat(view(sa, "both").paused()).as("A sees B's pause").isTrue();
        assertThat(view(sb, "once").nextRun()).as("B still wakes at the job's times").isNotNull();
        for (int i = 0; i < 3; i++) {
            step(clock, Duration.ofSeconds(1), sa, sb);
        }
        assertThat(runs.applyAsInt("once")).as("no process ran the paused job").isEqualTo(1);
        assertThat(runs.applyAsInt("both")).isEqualTo(2);
        CronScheduler restarted = process("C", c -> new TestAction(true), config);
        assertThat(view(restarted, "once").paused()).as("a pause outlives a restart").isTrue();

        assertThat(sb.resume("once")).as("resumed by the process that did not pause it").isTrue();
        assertThat(sa.resume("once")).isFalse();
        step(clock, Duration.ofSeconds(1), sa, sb);
        assertThat(runs.applyAsInt("once")).as("one run for the next time, none for the paused ones").isEqualTo(2);
        assertThat(runs.applyAsInt("both")).as("still paused").isEqualTo(2);
        assertThat(sa.resume("both")).isTrue();
        step(clock, Duration.ofSeconds(1), sa, sb);
        assertThat(runs.applyAsInt("both")).isEqualTo(4);
        assertThat(view(sa, "once").misfires() + view(sb, "once").misfires()).isZero();
    }

    @Test
    void whileThePauseCannotBeReadAProcessKeepsTheLastValueItSaw() {
        FileJobLock files = new FileJobLock(runDir, "A");
        java.util.concurrent.atomic.AtomicBoolean unreadable = new java.util.concurrent.atomic.AtomicBoolean();
        JobLock flaky = new JobLock() { // the shared store (Redis) goes away; the claims stay local
            @Override
            public Claim claim(String job, Instant tick, boolean exclusive, Duration atMost, Duration atLeast) {
                return files.claim(job, tick, exclusive, atMost, atLeast);
            }

            @Override
            public String holder(String job) {
                return files.holder(job);
            }

            @Override
            public boolean pauseEverywhere(String job, boolean paused) {
                return files.pauseEverywhere(job, paused);
            }

            @Override
            public boolean pausedEverywhere(String job) {
                if (unreadable.get()) {
                    throw new IllegalStateException("Redis is not connected");
                }
                return files.pausedEverywhere(job);
            }
        };
        Map<String, TestAction> runs = new ConcurrentHashMap<>();
        CronScheduler s = scheduler(flaky, c -> runs.computeIfAbsent(c.name(), n -> new TestAction(true)));
        s.apply(cron("""
                - name: held
                  every: 1s
                  run-on: each
                  push: {message: x}
                - name: free
                  every: 1s
                  run-on: each
                  push: {message: x}
                """));
        assertThat(s.pause("held")).isTrue();
        step(clock, Duration.ofSeconds(1), s);
        unreadable.set(true);
        for (int i = 0; i < 3; i++) {
            step(clock, Duration.ofSeconds(1), s);
        }
        assertThat(runs.get("held").started()).as("paused before the outage: stays paused through it").isZero();
        assertThat(runs.get("free").started()).as("not paused when last seen: runs as scheduled").isEqualTo(4);
        assertThat(view(s, "held").paused()).isTrue();

        unreadable.set(false);
        files.pauseEverywhere("held", false); // resumed by another process while this one could not see it
        step(clock, Duration.ofSeconds(1), s);
        assertThat(runs.get("held").started()).as("the store is read again as soon as it answers").isEqualTo(1);
    }

    @Test
    void runNowRespectsTheOverlapPolicy() {
        CronScheduler s = scheduler("""
                - name: manual
                  schedule: "@yearly"
                  push: {message: x}
                """);
        CronScheduler.Started first = s.runNow("manual").join();
        assertThat(first.started()).isTrue();
        CronScheduler.Started second = s.runNow("manual").join();
        assertThat(second.started()).isFalse();
        assertThat(second.reason()).contains("still going (overlap: forbid)");
        action("manual").finish(0);
        JobResult r = first.result().join();
        assertThat(r.status()).isEqualTo(JobResult.Status.OK);
        assertThat(r.trigger()).isEqualTo("manual");
        assertThat(r.tick()).isNull();
        JobAction.RunContext manualRun = new JobAction.RunContext("manual", action("manual").ticks.get(0), java.time.ZoneOffset.UTC);
        assertThat(manualRun.placeholders().get("time")).as("whole seconds, as for a scheduled time: PHP's "
                + "DATE_RFC3339 refuses a fraction").isEqualTo("2024-01-01T00:00:00Z");
    }

    @Test
    void stopWaitsForRunningJobs() throws Exception {
        CronScheduler s = scheduler("""
                - name: busy
                  every: 1s
                  push: {message: x}
                """);
        step(clock, Duration.ofSeconds(1), s);
        TestAction a = action("busy");
        Thread stopper = new Thread(() -> s.stop(Duration.ofSeconds(60)));
        stopper.start();
        Await.until("stop is waiting", () -> stopper.getState() == Thread.State.WAITING
                || stopper.getState() == Thread.State.TIMED_WAITING);
        assertThat(stopper.isAlive()).isTrue();
        a.finish(0);
        stopper.join(30_000);
        assertThat(stopper.isAlive()).isFalse();
        assertThat(s.history("busy")).extracting(JobResult::status).containsExactly(JobResult.Status.OK);
    }

    @Test
    void stopCancelsWhatIsStillRunningAtTheTimeout() {
        CronScheduler s = scheduler("""
                - name: stuck
                  every: 1s
                  push: {message: x}
                """);
        step(clock, Duration.ofSeconds(1), s);
        s.stop(Duration.ofMillis(50));
        assertThat(s.history("stuck")).extracting(JobResult::status).containsExactly(JobResult.Status.CANCELLED);
    }

    @Test
    void timersRunRepeatedlyOrOnceAndCanBeDeleted() {
        CronScheduler s = scheduler();
        Timers timers = s.timers();
        AtomicInteger repeated = new AtomicInteger();
        AtomicInteger once = new AtomicInteger();
        AtomicInteger failing = new AtomicInteger();
        int id = timers.add(Duration.ofMillis(20), repeated::incrementAndGet, true);
        int oneShot = timers.delay(Duration.ofMillis(10), once::incrementAndGet);
        int thrower = timers.add(Duration.ofMillis(20), () -> {
            failing.incrementAndGet();
            throw new IllegalStateException("boom");
        });
        Await.until("the repeating timer ran 3 times", () -> repeated.get() >= 3);
        Await.until("the failing timer goes on after exceptions", () -> failing.get() >= 3);
        Await.until("the one-shot timer ran", () -> once.get() == 1);
        Await.until("the one-shot timer is gone", () -> timers.count() == 2);
        assertThat(timers.delete(oneShot)).isFalse();
        assertThat(timers.delete(id)).isTrue();
        assertThat(timers.delete(id)).isFalse();
        assertThat(timers.delete(thrower)).isTrue();
        assertThat(timers.count()).isZero();
        assertThat(once.get()).isEqualTo(1);
        assertThatThrownBy(() -> timers.add(Duration.ZERO, () -> { }, true))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
