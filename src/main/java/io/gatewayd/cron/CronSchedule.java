package io.gatewayd.cron;

import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.BitSet;
import java.util.Optional;

/**
 * A cron expression. cron-utils does the calendar arithmetic (month lengths, leap years,
 * weekdays); this wrapper owns three things it gets wrong or does differently:
 * <ol>
 *   <li><b>Field syntax and errors.</b> We parse and validate each field ourselves (names,
 *       {@code n/m}, 7 = Sunday, error messages naming the field) and hand cron-utils explicit value
 *       lists only.</li>
 *   <li><b>Day-of-month OR day-of-week.</b> cron-utils' definition here ANDs the two fields; for
 *       standard cron's OR (both restricted) we evaluate two expressions, one per day field, and
 *       take the earlier fire time.</li>
 *   <li><b>Daylight saving time.</b> cron-utils, given a zone, silently skips a wall time that falls
 *       in a spring-forward gap (a daily 02:30 job does not run on that day in Europe/Berlin). So we
 *       let it search <em>local wall times</em> only (evaluated in UTC, which has no transitions) and
 *       map each candidate to an instant ourselves: a time in a gap runs once, at the first valid
 *       instant after the gap (the transition); a time in a fall-back overlap runs once, at its
 *       first occurrence (the earlier offset), and the repeated wall times are not run again.</li>
 * </ol>
 */
final class CronSchedule implements Schedule {
    private static final CronDefinition DEFINITION = CronDefinitionBuilder.defineCron()
            .withSeconds().withValidRange(0, 59).and()
            .withMinutes().withValidRange(0, 59).and()
            .withHours().withValidRange(0, 23).and()
            .withDayOfMonth().withValidRange(1, 31).supportsQuestionMark().and()
            .withMonth().withValidRange(1, 12).and()
            .withDayOfWeek().withValidRange(0, 7).withMondayDoWValue(1).withIntMapping(7, 0)
            .supportsQuestionMark().and()
            .matchDayOfWeekAndDayOfMonth()
            .instance();
    private static final CronParser PARSER = new CronParser(DEFINITION);
    /** Where the "does it ever fire" check starts: a leap year, so Feb 29 is found. */
    private static final LocalDateTime PROBE = LocalDateTime.of(2000, 1, 1, 0, 0);

    private final String expression;
    private final ExecutionTime[] executions; // OR of these
    private final BitSet[] values; // per field, in 6-field order
    private final boolean dayFieldsOr;

    private CronSchedule(String expression, ExecutionTime[] executions, BitSet[] values, boolean dayFieldsOr) {
        this.expression = expression;
        this.executions = executions;
        this.values = values;
        this.dayFieldsOr = dayFieldsOr;
    }

    /**
     * @param six    the six fields (seconds first)
     * @param offset 1 when the user wrote 5 fields (field numbers in messages are the user's)
     */
    static CronSchedule of(String expression, String[] six, int offset) {
        Schedules.Field[] fields = Schedules.Field.values();
        String[] rendered = new String[6];
        BitSet[] values = new BitSet[6];
        for (int i = 0; i < 6; i++) {
            values[i] = Schedules.values(fields[i], six[i], i + 1 - offset);
            rendered[i] = Schedules.render(fields[i], values[i]);
        }
        boolean domStar = six[3].startsWith("*") || six[3].equals("?");
        boolean dowStar = six[5].startsWith("*") || six[5].equals("?");
        ExecutionTime[] executions;
        if (domStar || dowStar) {
            executions = new ExecutionTime[] {execution(rendered, rendered[3], rendered[5])};
        } else {
            executions = new ExecutionTime[] {execution(rendered, rendered[3], "*"), execution(rendered, "*", rendered[5])};
        }
        CronSchedule s = new CronSchedule(expression, executions, values, executions.length == 2);
        if (s.nextLocal(PROBE) == null) {
            throw new IllegalArgumentException("never fires: no date matches day-of-month \"" + six[3]
                    + "\" in month \"" + six[4] + "\"");
        }
        return s;
    }

    private static ExecutionTime execution(String[] f, String dom, String dow) {
        String e = f[0] + " " + f[1] + " " + f[2] + " " + dom + " " + f[4] + " " + dow;
        return ExecutionTime.forCron(PARSER.parse(e));
    }

    /** The first matching local wall time strictly after {@code cursor} (second resolution). */
    synchronized LocalDateTime nextLocal(LocalDateTime cursor) {
        ZonedDateTime from = cursor.truncatedTo(ChronoUnit.SECONDS).atZone(ZoneOffset.UTC);
        LocalDateTime best = null;
        for (ExecutionTime e : executions) {
            Optional<ZonedDateTime> n = e.nextExecution(from);
            if (n.isPresent() && (best == null || n.get().toLocalDateTime().isBefore(best))) {
                best = n.get().toLocalDateTime();
            }
        }
        return best;
    }

    @Override
    public ZonedDateTime next(ZonedDateTime after) {
        ZoneRules rules = after.getZone().getRules();
        Instant a = after.toInstant();
        LocalDateTime cursor = after.toLocalDateTime();
        // Each round either returns or moves the cursor past a gap or overlap; a handful suffice.
        for (int round = 0; round < 1000; round++) {
            LocalDateTime local = nextLocal(cursor);
            if (local == null) {
                return null;
            }
            ZoneOffsetTransition t = rules.getTransition(local);
            Instant at;
            if (t == null) {
                at = local.atZone(after.getZone()).toInstant();
            } else if (t.isGap()) {
                // A wall time that does not exist today runs once when the clock jumps past it.
                at = t.getInstant();
                if (!at.isAfter(a)) {
                    cursor = t.getDateTimeAfter().minusSeconds(1); // next candidate: the gap's end or later
                    continue;
                }
            } else {
                // A wall time that occurs twice runs at its first occurrence only.
                at = local.toInstant(t.getOffsetBefore());
                if (!at.isAfter(a)) {
                    cursor = t.getDateTimeBefore().minusSeconds(1); // skip the repeated wall times
                    continue;
                }
            }
            if (at.isAfter(a)) {
                return ZonedDateTime.ofInstant(at, after.getZone());
            }
            cursor = local;
        }
        throw new IllegalStateException("no fire time found after " + after + " for \"" + expression + "\"");
    }

    /**
     * The shortest time between two consecutive fire times, on the wall clock: the times of a day
     * come from the second, minute and hour fields alone, and the shortest step from one matching
     * day to the next is found by walking the days of a 400-year Gregorian cycle (every calendar
     * repeats in it: month ends, leap days, weekdays). A daylight-saving shift is left out: it
     * shortens a gap on one night a year at most (a job at 02:30 runs at 03:00 on the
     * spring-forward night, half an hour before its 03:30 run), and counting it would refuse an
     * ordinary hourly job's jitter for that night's sake.
     */
    Duration shortestGap() {
        long first = -1;
        long last = -1;
        long within = Long.MAX_VALUE;
        BitSet seconds = values[0];
        BitSet minutes = values[1];
        BitSet hours = values[2];
        for (int h = hours.nextSetBit(0); h >= 0; h = hours.nextSetBit(h + 1)) {
            for (int m = minutes.nextSetBit(0); m >= 0; m = minutes.nextSetBit(m + 1)) {
                for (int s = seconds.nextSetBit(0); s >= 0; s = seconds.nextSetBit(s + 1)) {
                    long t = h * 3600L + m * 60L + s;
                    if (last >= 0) {
                        within = Math.min(within, t - last);
                    } else {
                        first = t;
                    }
                    last = t;
                }
            }
        }
        long days = shortestDayStep();
        long across = days == Long.MAX_VALUE ? Long.MAX_VALUE : days * 86_400 - (last - first);
        return Duration.ofSeconds(Math.min(within, across));
    }

    /** Days from one matching day to the next, at the least (1 as soon as two days in a row match). */
    private long shortestDayStep() {
        LocalDate start = PROBE.toLocalDate();
        // one day more than the cycle's 146097 so the step from its last match into the next cycle counts
        LocalDate end = start.plusYears(401);
        LocalDate previous = null;
        long best = Long.MAX_VALUE;
        for (LocalDate d = start; d.isBefore(end) && best > 1; ) {
            if (!values[4].get(d.getMonthValue())) {
                d = d.withDayOfMonth(1).plusMonths(1);
                continue;
            }
            if (matchesDay(d)) {
                if (previous != null) {
                    best = Math.min(best, ChronoUnit.DAYS.between(previous, d));
                }
                previous = d;
            }
            d = d.plusDays(1);
        }
        return best;
    }

    private boolean matchesDay(LocalDate d) {
        boolean dom = values[3].get(d.getDayOfMonth());
        boolean dow = values[5].get(d.getDayOfWeek().getValue() % 7);
        return dayFieldsOr ? dom || dow : dom && dow;
    }

    @Override
    public String expression() {
        return expression;
    }

    @Override
    public String toString() {
        return expression;
    }
}
