package io.gatewayd.cron;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What a job does. {@link #start} is called on a cron worker thread and must not block for long:
 * it starts the work and returns a future (http and exec wait without holding a thread).
 */
interface JobAction {

    CompletableFuture<Outcome> start(RunContext ctx);

    /** How a run ended; {@code output} is cut to a KiB when recorded. */
    record Outcome(JobResult.Status status, Integer code, String output) {
        static Outcome ok(Integer code, String output) {
            return new Outcome(JobResult.Status.OK, code, output);
        }

        static Outcome failed(Integer code, String output) {
            return new Outcome(JobResult.Status.FAILED, code, output);
        }
    }

    /** One run: what it is for, and a signal to stop early (overlap: replace, shutdown). */
    final class RunContext {
        final String job;
        final Instant tick; // the scheduled time, or the start time of a manual run
        final ZoneId zone;
        final CompletableFuture<Void> cancelled = new CompletableFuture<>();

        RunContext(String job, Instant tick, ZoneId zone) {
            this.job = job;
            this.tick = tick;
            this.zone = zone;
        }

        /** ${job}, ${time} (ISO-8601 with offset, in the job's zone) and ${timestamp} (unix seconds). */
        Map<String, String> placeholders() {
            return Map.of("job", job,
                    "time", DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(ZonedDateTime.ofInstant(tick, zone)),
                    "timestamp", Long.toString(tick.getEpochSecond()));
        }

        boolean isCancelled() {
            return cancelled.isDone();
        }
    }
}
