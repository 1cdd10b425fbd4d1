package io.gatewayd.cron;

import io.gatewayd.api.ApiException;
import io.gatewayd.api.ApiMethods;
import io.gatewayd.api.Params;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * {@code /api/cron/list}, {@code /api/cron/history}, {@code /api/cron/run}, {@code /api/cron/pause},
 * {@code /api/cron/resume}: the control API of the jobs (authenticated like every /api/ path).
 * Results use snake_case keys, as the rest of the API does.
 */
public final class CronApi {
    private CronApi() {
    }

    /** @param cron the scheduler; a supplier so the methods can be registered before it exists */
    public static void register(ApiMethods api, Supplier<CronScheduler> cron) {
        api.register("cron/list", true, "", "[{name, schedule, timezone, next_run, last_run, last_result, ...}]",
                p -> offLoop(cron, () -> cron.get().list().stream().map(CronApi::view).toList()));
        api.register("cron/history", true, "name", "[{tick, started, duration_ms, status, code, output, trigger}], "
                + "newest first", p -> offLoop(cron, () -> cron.get().history(name(p)).stream().map(CronApi::result).toList()));
        api.register("cron/run", false, "name, wait? (boolean: answer when the run ends)",
                "{name, started, reason?, result?}", p -> {
                    String name = name(p);
                    boolean wait = p.node().path("wait").asBoolean(false);
                    CompletableFuture<CronScheduler.Started> f = guarded(() -> cron.get().runNow(name)).thenCompose(s -> s);
                    return f.thenCompose(s -> {
                        Map<String, Object> out = new LinkedHashMap<>();
                        out.put("name", name);
                        out.put("started", s.started());
                        if (!s.started()) {
                            out.put("reason", s.reason());
                            return CompletableFuture.completedFuture(out);
                        }
                        if (!wait) {
                            return CompletableFuture.completedFuture(out);
                        }
                        return s.result().thenApply(r -> {
                            out.put("result", result(r));
                            return out;
                        });
                    });
                });
        api.register("cron/pause", false, "name", "{name, paused, changed}",
                p -> offLoop(cron, () -> toggled(name(p), shared("pause", () -> cron.get().pause(name(p))), true)));
        api.register("cron/resume", false, "name", "{name, paused, changed}",
                p -> offLoop(cron, () -> toggled(name(p), shared("resume", () -> cron.get().resume(name(p))), false)));
    }

    /** A pause or resume whose shared state (lock directory, Redis) cannot be written: 503, nothing changed. */
    private static boolean shared(String what, Supplier<Boolean> toggle) {
        try {
            return toggle.get();
        } catch (IllegalStateException | java.io.UncheckedIOException e) {
            throw new ApiException(503, "cron_lock_unavailable", "cannot " + what + " the job for every process: "
                    + e.getMessage() + "; nothing changed, retry when it is back");
        }
    }

    private static Map<String, Object> toggled(String name, boolean changed, boolean paused) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("paused", paused);
        m.put("changed", changed);
        return m;
    }

    private static String name(Params p) {
        return p.key("name");
    }

    private static <T> CompletableFuture<T> guarded(Supplier<T> s) {
        try {
            return CompletableFuture.completedFuture(s.get());
        } catch (NoSuchElementException e) {
            throw new ApiException(404, "unknown_job", e.getMessage());
        }
    }

    /** Runs on a cron worker: the handlers are called on an event loop, and these read lock files. */
    private static <T> CompletableFuture<T> offLoop(Supplier<CronScheduler> cron, Supplier<T> s) {
        try {
            return CompletableFuture.supplyAsync(() -> guarded(s).join(), cron.get().workers());
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new ApiException(503, "stopping", "the gateway is stopping");
        }
    }

    private static String millis(java.time.Instant t) {
        return t.truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString();
    }

    static Map<String, Object> view(CronScheduler.JobView v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", v.name());
        m.put("schedule", v.schedule());
        m.put("timezone", v.timezone());
        m.put("run_on", v.runOn());
        m.put("overlap", v.overlap());
        m.put("paused", v.paused());
        m.put("next_run", v.nextRun() == null ? null : CronScheduler.rfc3339(v.nextRun().toOffsetDateTime()));
        m.put("last_run", v.last() == null ? null : millis(v.last().started()));
        m.put("last_result", v.last() == null ? null : result(v.last()));
        m.put("runs", v.runs());
        m.put("failures", v.failures());
        m.put("cancelled", v.cancelled());
        m.put("skips", v.skips());
        m.put("misfires", v.misfires());
        m.put("elsewhere", v.elsewhere());
        m.put("running", v.running());
        m.put("lock_holder", v.lockHolder());
        return m;
    }

    static Map<String, Object> result(JobResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tick", r.tick() == null ? null : millis(r.tick()));
        m.put("started", millis(r.started()));
        m.put("duration_ms", r.durationMs());
        m.put("status", r.status().label());
        m.put("code", r.code());
        m.put("output", r.output());
        m.put("trigger", r.trigger());
        return m;
    }

}
