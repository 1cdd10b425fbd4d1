package io.gatewayd.cron;

import java.time.Instant;

/**
 * One finished run of a job, as {@code cron list} and {@code /api/cron/history} show it.
 *
 * @param tick       the scheduled time it ran for (null: a manual run)
 * @param started    when it started
 * @param durationMs how long it took
 * @param status     ok, failed, timeout or cancelled
 * @param code       the HTTP status or exit code, when there is one
 * @param output     the first KiB of the response body or command output (or the error)
 * @param trigger    schedule, misfire (run-once after missed ticks) or manual
 */
public record JobResult(Instant tick, Instant started, long durationMs, Status status, Integer code, String output,
                        String trigger) {
    /** The most output a result keeps. */
    public static final int OUTPUT_HEAD = 1024;

    public enum Status {
        OK, FAILED, TIMEOUT, CANCELLED;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The first KiB (at a character boundary) of {@code s}. */
    static String head(String s) {
        if (s == null || s.length() <= OUTPUT_HEAD) {
            return s;
        }
        int end = OUTPUT_HEAD;
        if (Character.isHighSurrogate(s.charAt(end - 1))) {
            end--;
        }
        return s.substring(0, end) + "...";
    }
}
