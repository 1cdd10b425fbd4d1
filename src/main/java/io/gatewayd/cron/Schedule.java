package io.gatewayd.cron;

import java.time.ZonedDateTime;

/**
 * When a job runs: a pure function from an instant to the next fire time, so it can be tested
 * against any clock. Implementations are immutable and thread-safe.
 *
 * @see Schedules#parse(String) for the expression forms
 */
public interface Schedule {

    /**
     * The first fire time strictly after {@code after}, in {@code after}'s zone (the job's time
     * zone); null if the schedule never fires again.
     */
    ZonedDateTime next(ZonedDateTime after);

    /** The expression as written in the config. */
    String expression();
}
