package io.gatewayd.cron;

import io.gatewayd.config.Durations;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;

/**
 * {@code @every 10s} / {@code every: 1500ms}: fires at whole multiples of the interval counted
 * from the Unix epoch. Aligning to the epoch rather than to process start gives every process the
 * same fire times, which is what lets {@code run-on: one} recognise a tick another process already
 * ran. Elapsed time, so daylight saving time changes do not affect it.
 */
final class IntervalSchedule implements Schedule {
    private final long millis;
    private final String expression;

    IntervalSchedule(Duration interval, String expression) {
        this.millis = interval.toMillis();
        this.expression = expression;
    }

    @Override
    public ZonedDateTime next(ZonedDateTime after) {
        Instant a = after.toInstant();
        long ms = a.toEpochMilli(); // floors sub-millisecond parts
        long next = Math.floorDiv(ms, millis) * millis + millis;
        return ZonedDateTime.ofInstant(Instant.ofEpochMilli(next), after.getZone());
    }

    @Override
    public String expression() {
        return expression;
    }

    Duration interval() {
        return Duration.ofMillis(millis);
    }

    @Override
    public String toString() {
        return "every " + Durations.format(interval());
    }
}
