package io.gatewayd.cron;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An action the test finishes by hand: each run stays open until {@link #finish} (or a cancel,
 * which ends it as CANCELLED). Records how many runs were open at once.
 */
final class TestAction implements JobAction {
    final List<CompletableFuture<Outcome>> runs = new CopyOnWriteArrayList<>();
    final List<Instant> ticks = new CopyOnWriteArrayList<>();
    final AtomicInteger open = new AtomicInteger();
    final AtomicInteger maxOpen = new AtomicInteger();
    private final boolean finishAtOnce;

    TestAction(boolean finishAtOnce) {
        this.finishAtOnce = finishAtOnce;
    }

    @Override
    public CompletableFuture<Outcome> start(RunContext ctx) {
        ticks.add(ctx.tick);
        int n = open.incrementAndGet();
        maxOpen.accumulateAndGet(n, Math::max);
        CompletableFuture<Outcome> f = new CompletableFuture<>();
        ctx.cancelled.thenRun(() -> end(f, new Outcome(JobResult.Status.CANCELLED, null, "cancelled")));
        runs.add(f);
        if (finishAtOnce) {
            end(f, Outcome.ok(null, "done " + ctx.tick));
        }
        return f;
    }

    /** Counts the run as closed before anyone can see it complete. */
    private synchronized void end(CompletableFuture<Outcome> f, Outcome o) {
        if (!f.isDone()) {
            open.decrementAndGet();
            f.complete(o);
        }
    }

    void finish(int run) {
        end(runs.get(run), Outcome.ok(0, "finished"));
    }

    int started() {
        return runs.size();
    }
}
