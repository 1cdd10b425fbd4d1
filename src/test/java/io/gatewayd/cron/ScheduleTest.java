package io.gatewayd.cron;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Next fire times, worked out by hand (weekdays checked against a calendar, DST transitions
 * against the tz database: Europe/Berlin 2024-03-31 02:00 CET -> 03:00 CEST and 2024-10-27
 * 03:00 CEST -> 02:00 CET; America/New_York 2024-03-10 02:00 EST -> 03:00 EDT and 2024-11-03
 * 02:00 EDT -> 01:00 EST). 2024-01-01 is a Monday.
 */
class ScheduleTest {

    /** expression | zone | after (with offset) | expected next (with offset). */
    private static final String TABLE = """
            # ---- 6 fields: seconds
            * * * * * *          | UTC | 2024-01-01T00:00:00Z      | 2024-01-01T00:00:01Z
            * * * * * *          | UTC | 2024-01-01T00:00:00.500Z  | 2024-01-01T00:00:01Z
            * * * * * *          | UTC | 2024-12-31T23:59:59Z      | 2025-01-01T00:00:00Z
            */5 * * * * *        | UTC | 2024-01-01T00:00:00Z      | 2024-01-01T00:00:05Z
            */5 * * * * *        | UTC | 2024-01-01T00:00:03Z      | 2024-01-01T00:00:05Z
            */5 * * * * *        | UTC | 2024-01-01T00:00:57Z      | 2024-01-01T00:01:00Z
            5/15 * * * * *       | UTC | 2024-01-01T00:00:00Z      | 2024-01-01T00:00:05Z
            5/15 * * * * *       | UTC | 2024-01-01T00:00:05Z      | 2024-01-01T00:00:20Z
            5/15 * * * * *       | UTC | 2024-01-01T00:00:50Z      | 2024-01-01T00:01:05Z
            10-20/5 * * * * *    | UTC | 2024-01-01T00:00:12Z      | 2024-01-01T00:00:15Z
            10-20/5 * * * * *    | UTC | 2024-01-01T00:00:20Z      | 2024-01-01T00:01:10Z
            0,30 * * * * *       | UTC | 2024-01-01T00:00:00Z      | 2024-01-01T00:00:30Z
            0,30 * * * * *       | UTC | 2024-01-01T00:00:30Z      | 2024-01-01T00:01:00Z
            15 30 * * * *        | UTC | 2024-01-01T00:00:00Z      | 2024-01-01T00:30:15Z
            15 30 * * * *        | UTC | 2024-01-01T00:30:15Z      | 2024-01-01T01:30:15Z
            0 0 * * * *          | UTC | 2024-01-01T10:59:59Z      | 2024-01-01T11:00:00Z
            59 59 23 * * *       | UTC | 2024-01-01T00:00:00Z      | 2024-01-01T23:59:59Z
            59 59 23 * * *       | UTC | 2024-01-01T23:59:59Z      | 2024-01-02T23:59:59Z
            0 0 12 * * *         | UTC | 2024-06-15T12:00:00Z      | 2024-06-16T12:00:00Z
            30 * * * * *         | UTC | 2024-01-01T00:00:29.999Z  | 2024-01-01T00:00:30Z
            # ---- 5 fields: second 0
            * * * * *            | UTC | 2024-01-01T00:00:00Z      | 2024-01-01T00:01:00Z
            * * * * *            | UTC | 2024-01-01T00:00:30Z      | 2024-01-01T00:01:00Z
            */15 * * * *         | UTC | 2024-01-01T00:14:59Z      | 2024-01-01T00:15:00Z
            */15 * * * *         | UTC | 2024-01-01T00:45:00Z      | 2024-01-01T01:00:00Z
            30 2 * * *           | UTC | 2024-01-01T00:00:00Z      | 2024-01-01T02:30:00Z
            30 2 * * *           | UTC | 2024-01-01T02:30:00Z      | 2024-01-02T02:30:00Z
            0 9-17 * * *         | UTC | 2024-01-01T17:30:00Z      | 2024-01-02T09:00:00Z
            0 9-17/4 * * *       | UTC | 2024-01-01T09:00:00Z      | 2024-01-01T13:00:00Z
            0 9-17/4 * * *       | UTC | 2024-01-01T17:00:00Z      | 2024-01-02T09:00:00Z
            5 0 * * *            | UTC | 2024-02-28T23:00:00Z      | 2024-02-29T00:05:00Z
            0 22 * * 1-5         | UTC | 2024-01-05T22:00:00Z      | 2024-01-08T22:00:00Z
            0 0 1,15 * *         | UTC | 2024-01-02T00:00:00Z      | 2024-01-15T00:00:00Z
            0 0 1,15 * *         | UTC | 2024-01-15T00:00:00Z      | 2024-02-01T00:00:00Z
            23 0-20/2 * * *      | UTC | 2024-01-01T00:30:00Z      | 2024-01-01T02:23:00Z
            0 4 8-14 * *         | UTC | 2024-01-14T04:00:00Z      | 2024-02-08T04:00:00Z
            # ---- weekdays and names (0 and 7 are Sunday)
            0 0 0 * * 0          | UTC | 2024-01-01T00:00:00Z      | 2024-01-07T00:00:00Z
            0 0 0 * * 7          | UTC | 2024-01-01T00:00:00Z      | 2024-01-07T00:00:00Z
            0 0 0 * * SUN        | UTC | 2024-01-01T00:00:00Z      | 2024-01-07T00:00:00Z
            0 0 0 * * MON        | UTC | 2024-01-01T00:00:00Z      | 2024-01-08T00:00:00Z
            0 0 0 * * mon-fri    | UTC | 2024-01-05T00:00:00Z      | 2024-01-08T00:00:00Z
            0 0 0 * * SAT,SUN    | UTC | 2024-01-01T00:00:00Z      | 2024-01-06T00:00:00Z
            0 0 0 * * 5-7        | UTC | 2024-01-06T00:00:00Z      | 2024-01-07T00:00:00Z
            0 0 0 * * 5-7        | UTC | 2024-01-07T00:00:00Z      | 2024-01-12T00:00:00Z
            0 0 0 * JAN,JUL *    | UTC | 2024-01-31T00:00:00Z      | 2024-07-01T00:00:00Z
            0 0 0 1 jun *        | UTC | 2024-01-01T00:00:00Z      | 2024-06-01T00:00:00Z
            0 0 0 1 JUN-AUG *    | UTC | 2024-06-01T00:00:00Z      | 2024-07-01T00:00:00Z
            0 0 0 1 */3 *        | UTC | 2024-01-01T00:00:00Z      | 2024-04-01T00:00:00Z
            0 0 0 1 2/3 *        | UTC | 2024-01-01T00:00:00Z      | 2024-02-01T00:00:00Z
            0 0 0 1 2/3 *        | UTC | 2024-02-01T00:00:00Z      | 2024-05-01T00:00:00Z
            0 0 0 1 2/3 *        | UTC | 2024-11-01T00:00:00Z      | 2025-02-01T00:00:00Z
            0 0 0 ? * MON        | UTC | 2024-01-01T00:00:00Z      | 2024-01-08T00:00:00Z
            0 0 0 1 * ?          | UTC | 2024-01-01T00:00:00Z      | 2024-02-01T00:00:00Z
            # ---- day-of-month OR day-of-week when both are restricted; AND when one starts with *
            0 0 0 13 * 5         | UTC | 2024-01-01T00:00:00Z      | 2024-01-05T00:00:00Z
            0 0 0 13 * 5         | UTC | 2024-01-12T00:00:00Z      | 2024-01-13T00:00:00Z
            0 0 0 13 * 5         | UTC | 2024-01-13T00:00:00Z      | 2024-01-19T00:00:00Z
            0 0 1,15 * 3         | UTC | 2024-01-01T00:00:00Z      | 2024-01-03T00:00:00Z
            0 0 0 */2 * 1        | UTC | 2024-01-01T00:00:00Z      | 2024-01-15T00:00:00Z
            0 0 0 1 * */2        | UTC | 2024-01-01T00:00:00Z      | 2024-02-01T00:00:00Z
            0 0 0 31 * 1         | UTC | 2024-01-30T00:00:00Z      | 2024-01-31T00:00:00Z
            0 0 0 31 * 1         | UTC | 2024-01-31T00:00:00Z      | 2024-02-05T00:00:00Z
            # ---- month ends and leap years
            0 0 0 31 * *         | UTC | 2024-01-31T00:00:00Z      | 2024-03-31T00:00:00Z
            0 0 0 31 * *         | UTC | 2024-03-31T00:00:00Z      | 2024-05-31T00:00:00Z
            0 0 0 31 * *         | UTC | 2024-07-31T00:00:00Z      | 2024-08-31T00:00:00Z
            0 0 0 31 * *         | UTC | 2024-08-31T00:00:00Z      | 2024-10-31T00:00:00Z
            0 0 0 30 * *         | UTC | 2024-01-30T00:00:00Z      | 2024-03-30T00:00:00Z
            0 0 0 29 2 *         | UTC | 2024-01-01T00:00:00Z      | 2024-02-29T00:00:00Z
            0 0 0 29 2 *         | UTC | 2024-02-29T00:00:00Z      | 2028-02-29T00:00:00Z
            0 0 0 29 2 *         | UTC | 2025-03-01T00:00:00Z      | 2028-02-29T00:00:00Z
            0 0 0 29 2 *         | UTC | 2099-03-01T00:00:00Z      | 2104-02-29T00:00:00Z
            0 0 0 28-29 2 *      | UTC | 2023-02-28T00:00:00Z      | 2024-02-28T00:00:00Z
            0 0 0 28-29 2 *      | UTC | 2024-02-28T00:00:00Z      | 2024-02-29T00:00:00Z
            59 59 23 31 12 *     | UTC | 2024-06-01T00:00:00Z      | 2024-12-31T23:59:59Z
            0 0 0 1 * *          | UTC | 2024-12-15T00:00:00Z      | 2025-01-01T00:00:00Z
            0 0 12 28-31 * *     | UTC | 2024-02-29T12:00:00Z      | 2024-03-28T12:00:00Z
            0 0 0 1 1 *          | UTC | 2024-01-01T00:00:00Z      | 2025-01-01T00:00:00Z
            # ---- macros
            @yearly              | UTC | 2024-06-01T00:00:00Z      | 2025-01-01T00:00:00Z
            @annually            | UTC | 2024-12-31T23:59:59Z      | 2025-01-01T00:00:00Z
            @monthly             | UTC | 2024-01-31T10:00:00Z      | 2024-02-01T00:00:00Z
            @weekly              | UTC | 2024-01-01T00:00:00Z      | 2024-01-07T00:00:00Z
            @daily               | UTC | 2024-02-28T13:00:00Z      | 2024-02-29T00:00:00Z
            @midnight            | UTC | 2024-02-29T00:00:00Z      | 2024-03-01T00:00:00Z
            @hourly              | UTC | 2024-01-01T23:00:00Z      | 2024-01-02T00:00:00Z
            @hourly              | UTC | 2024-01-01T23:00:00.001Z  | 2024-01-02T00:00:00Z
            @Daily               | UTC | 2024-01-01T05:00:00Z      | 2024-01-02T00:00:00Z
            # ---- intervals: multiples of the interval since the epoch, elapsed time
            @every 10s           | UTC | 2024-01-01T00:00:00Z      | 2024-01-01T00:00:10Z
            @every 10s           | UTC | 2024-01-01T00:00:03.500Z  | 2024-01-01T00:00:10Z
            @every 1500ms        | UTC | 2024-01-01T00:00:00Z      | 2024-01-01T00:00:01.500Z
            @every 1500ms        | UTC | 2024-01-01T00:00:01.500Z  | 2024-01-01T00:00:03Z
            @every 5m            | UTC | 2024-01-01T00:04:59Z      | 2024-01-01T00:05:00Z
            @every 7s            | UTC | 2024-01-01T00:00:00Z      | 2024-01-01T00:00:04Z
            @every 1h            | Europe/Berlin    | 2024-01-01T00:30:00+01:00 | 2024-01-01T01:00:00+01:00
            @every 1h            | America/New_York | 2024-11-03T01:30:00-04:00 | 2024-11-03T01:00:00-05:00
            # ---- Europe/Berlin spring forward: 02:00-02:59 does not exist; such times run once at 03:00 CEST
            0 30 2 * * *         | Europe/Berlin | 2024-03-31T01:00:00+01:00 | 2024-03-31T03:00:00+02:00
            0 30 2 * * *         | Europe/Berlin | 2024-03-31T03:00:00+02:00 | 2024-04-01T02:30:00+02:00
            0 30 2 * * *         | Europe/Berlin | 2024-03-30T02:30:00+01:00 | 2024-03-31T03:00:00+02:00
            0 */15 2 * * *       | Europe/Berlin | 2024-03-31T01:59:59+01:00 | 2024-03-31T03:00:00+02:00
            0 */15 2 * * *       | Europe/Berlin | 2024-03-31T03:00:00+02:00 | 2024-04-01T02:00:00+02:00
            0 0 3 * * *          | Europe/Berlin | 2024-03-31T01:00:00+01:00 | 2024-03-31T03:00:00+02:00
            0 */30 * * * *       | Europe/Berlin | 2024-03-31T01:30:00+01:00 | 2024-03-31T03:00:00+02:00
            0 */30 * * * *       | Europe/Berlin | 2024-03-31T03:00:00+02:00 | 2024-03-31T03:30:00+02:00
            0 0 0 * * *          | Europe/Berlin | 2024-03-30T12:00:00+01:00 | 2024-03-31T00:00:00+01:00
            0 0 12 * * *         | Europe/Berlin | 2024-03-31T00:00:00+01:00 | 2024-03-31T12:00:00+02:00
            # ---- Europe/Berlin fall back: 02:00-02:59 happens twice; such times run once, at the first (CEST)
            0 30 2 * * *         | Europe/Berlin | 2024-10-27T01:00:00+02:00 | 2024-10-27T02:30:00+02:00
            0 30 2 * * *         | Europe/Berlin | 2024-10-27T02:30:00+02:00 | 2024-10-28T02:30:00+01:00
            0 30 2 * * *         | Europe/Berlin | 2024-10-27T02:15:00+01:00 | 2024-10-28T02:30:00+01:00
            0 */20 2 * * *       | Europe/Berlin | 2024-10-27T02:40:00+02:00 | 2024-10-28T02:00:00+01:00
            0 0 * * * *          | Europe/Berlin | 2024-10-27T01:30:00+02:00 | 2024-10-27T02:00:00+02:00
            0 0 * * * *          | Europe/Berlin | 2024-10-27T02:00:00+02:00 | 2024-10-27T03:00:00+01:00
            0 0 3 * * *          | Europe/Berlin | 2024-10-27T02:59:59+02:00 | 2024-10-27T03:00:00+01:00
            0 0 1 * * *          | Europe/Berlin | 2024-10-26T12:00:00+02:00 | 2024-10-27T01:00:00+02:00
            # ---- America/New_York spring forward: 02:00-02:59 does not exist
            0 30 2 * * *         | America/New_York | 2024-03-10T01:00:00-05:00 | 2024-03-10T03:00:00-04:00
            0 30 2 * * *         | America/New_York | 2024-03-10T03:00:00-04:00 | 2024-03-11T02:30:00-04:00
            0 0 2 * * *          | America/New_York | 2024-03-09T02:00:00-05:00 | 2024-03-10T03:00:00-04:00
            0 59 1 * * *         | America/New_York | 2024-03-10T00:00:00-05:00 | 2024-03-10T01:59:00-05:00
            30 * 2 * * *         | America/New_York | 2024-03-10T01:59:59-05:00 | 2024-03-10T03:00:00-04:00
            30 * 2 * * *         | America/New_York | 2024-03-10T03:00:00-04:00 | 2024-03-11T02:00:30-04:00
            # ---- America/New_York fall back: 01:00-01:59 happens twice
            0 30 1 * * *         | America/New_York | 2024-11-03T00:00:00-04:00 | 2024-11-03T01:30:00-04:00
            0 30 1 * * *         | America/New_York | 2024-11-03T01:30:00-04:00 | 2024-11-04T01:30:00-05:00
            0 30 1 * * *         | America/New_York | 2024-11-03T01:10:00-05:00 | 2024-11-04T01:30:00-05:00
            0 0 2 * * *          | America/New_York | 2024-11-03T01:30:00-04:00 | 2024-11-03T02:00:00-05:00
            0 */30 * * * *       | America/New_York | 2024-11-03T01:30:00-04:00 | 2024-11-03T02:00:00-05:00
            0 0 0 * * *          | America/New_York | 2024-11-02T12:00:00-04:00 | 2024-11-03T00:00:00-04:00
            0 0 12 * * SUN       | America/New_York | 2024-11-01T00:00:00-04:00 | 2024-11-03T12:00:00-05:00
            # ---- zones without DST
            0 0 9 * * *          | Asia/Tokyo    | 2024-01-01T09:00:00+09:00 | 2024-01-02T09:00:00+09:00
            0 0 0 1 1 *          | Asia/Kolkata  | 2024-06-01T00:00:00+05:30 | 2025-01-01T00:00:00+05:30
            """;

    static Stream<Arguments> table() {
        List<Arguments> rows = new ArrayList<>();
        for (String line : TABLE.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] c = line.split("\\|");
            rows.add(Arguments.of(c[0].trim(), c[1].trim(), c[2].trim(), c[3].trim()));
        }
        return rows.stream();
    }

    @Test
    void theTableHasAtLeast100Rows() {
        assertThat(table().count()).isGreaterThanOrEqualTo(100);
    }

    @ParameterizedTest(name = "{0} in {1} after {2} -> {3}")
    @MethodSource("table")
    void nextFireTime(String expression, String zone, String after, String expected) {
        ZoneId z = ZoneId.of(zone);
        ZonedDateTime from = OffsetDateTime.parse(after).atZoneSameInstant(z);
        ZonedDateTime next = Schedules.parse(expression).next(from);
        assertThat(next).as("next fire time").isNotNull();
        assertThat(next.toOffsetDateTime()).isEqualTo(OffsetDateTime.parse(expected));
        assertThat(next.getZone()).isEqualTo(z);
    }

    @Test
    void aDayOfSpringForwardRunsEachGapTimeOnceAndFallBackRunsEachWallTimeOnce() {
        // walk a whole DST day minute by minute: every fire time is distinct and increasing
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        for (String day : List.of("2024-03-31T00:00:00+01:00", "2024-10-27T00:00:00+02:00")) {
            Schedule every15 = Schedules.parse("*/15 * * * *");
            ZonedDateTime t = OffsetDateTime.parse(day).atZoneSameInstant(berlin);
            List<String> fired = new ArrayList<>();
            for (int i = 0; i < 8 + 4 * 3; i++) {
                t = every15.next(t);
                fired.add(t.toOffsetDateTime().toString());
            }
            assertThat(fired).doesNotHaveDuplicates().isSorted();
            if (day.startsWith("2024-03")) {
                // 00:00..01:45 CET, then the gap's four times collapse into 03:00 CEST
                assertThat(fired).contains("2024-03-31T01:45+01:00", "2024-03-31T03:00+02:00", "2024-03-31T03:15+02:00")
                        .noneMatch(s -> s.startsWith("2024-03-31T02:"));
            } else {
                // 02:00..02:45 once (CEST), never again in CET
                assertThat(fired).contains("2024-10-27T02:45+02:00", "2024-10-27T03:00+01:00")
                        .noneMatch(s -> s.startsWith("2024-10-27T02:") && s.endsWith("+01:00"));
            }
        }
    }

    static Stream<Arguments> gaps() {
        return Stream.of(
                Arguments.of("* * * * * *", "1s"),
                Arguments.of("*/5 * * * * *", "5s"),
                Arguments.of("*/15 * * * *", "15m"),
                Arguments.of("0 0 0,12 * * *", "12h"),
                Arguments.of("0 0 9-17 * * MON-FRI", "1h"),
                // 23:59 to 00:00 the next day, not 59 minutes within a day
                Arguments.of("0 0,59 0,23 * * *", "1m"),
                Arguments.of("@every 10s", "10s"),
                Arguments.of("@weekly", "168h"),
                Arguments.of("@monthly", "672h"), // February
                Arguments.of("@yearly", "8760h"),
                // month ends: April 30 to May 1; July 31 to August 31; leap days four years apart
                Arguments.of("0 0 0 1,30 * *", "24h"),
                Arguments.of("0 0 0 31 * *", "744h"),
                Arguments.of("0 0 0 29 2 *", "35064h"),
                // both day fields restricted: either matches (Monday the 31st, Tuesday the 1st)
                Arguments.of("0 0 12 1 * MON", "24h"),
                // "*/2" makes the day fields AND: Mondays on odd days, two weeks apart within a
                // month but one week across the end of a 31-day month (Monday 29th, Monday 5th)
                Arguments.of("0 0 12 */2 * MON", "168h"));
    }

    /**
     * The shortest gap, against the fire times themselves: walked from 2000 (a leap year) for up to
     * 100 times or 30 years (every row's closest pair comes by then; cron-utils takes up to 10 ms a
     * time for some), none is closer, and the closest pair is that close.
     */
    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @MethodSource("gaps")
    void theShortestGapBetweenFireTimes(String expression, String expected) {
        Schedule s = Schedules.parse(expression);
        java.time.Duration gap = Schedules.shortestGap(s);
        assertThat(io.gatewayd.config.Durations.format(gap)).isEqualTo(expected);
        ZonedDateTime t = s.next(ZonedDateTime.parse("2000-01-01T00:00:00Z"));
        ZonedDateTime end = t.plusYears(30);
        java.time.Duration seen = null;
        for (int i = 0; i < 100 && t.isBefore(end); i++) {
            ZonedDateTime n = s.next(t);
            java.time.Duration d = java.time.Duration.between(t, n);
            seen = seen == null || d.compareTo(seen) < 0 ? d : seen;
            t = n;
        }
        assertThat(seen).as("the closest fire times walked").isEqualTo(gap);
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("0 0 25 * * *", "field 3 (hour) value 25 out of range 0-23"),
                Arguments.of("0 25 * * *", "field 2 (hour) value 25 out of range 0-23"),
                Arguments.of("60 * * * * *", "field 1 (second) value 60 out of range 0-59"),
                Arguments.of("* * * 0 * *", "field 4 (day-of-month) value 0 out of range 1-31"),
                Arguments.of("* * * * 13 *", "field 5 (month) value 13 out of range 1-12"),
                Arguments.of("* * * * * 8", "field 6 (day-of-week) value 8 out of range 0-7"),
                Arguments.of("* * * * FOO *", "field 5 (month) name \"FOO\" is unknown"),
                Arguments.of("* * * * x *", "field 5 (month) value \"x\" is not a number or a name such as JAN"),
                Arguments.of("*/0 * * * * *", "field 1 (second) step 0 out of range 1-60"),
                Arguments.of("5-3 * * * * *", "field 1 (second) range 5-3 goes backwards"),
                Arguments.of("1,,2 * * * * *", "field 1 (second) \"1,,2\" has an empty list item"),
                Arguments.of("? * * * * *", "field 1 (second) \"?\" is only allowed in day-of-month and day-of-week"),
                Arguments.of("0 0 0 L * *", "(L, W and # are not supported)"),
                Arguments.of("* * * *", "has 4 fields"),
                Arguments.of("", "is empty"),
                Arguments.of("@often", "unknown macro \"@often\""),
                Arguments.of("@every soon", "@every needs a duration"),
                Arguments.of("@every 1ms", "interval 1ms is too short"),
                Arguments.of("0 0 0 30 2 *", "never fires"));
    }

    @ParameterizedTest(name = "\"{0}\" -> {1}")
    @MethodSource("invalid")
    void invalidExpressionsNameTheField(String expression, String message) {
        assertThatThrownBy(() -> Schedules.parse(expression))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }
}
