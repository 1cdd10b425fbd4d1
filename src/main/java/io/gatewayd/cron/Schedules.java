package io.gatewayd.cron;

import io.gatewayd.config.Durations;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Parses schedule expressions:
 * <ul>
 *   <li>6 fields {@code sec min hour day-of-month month day-of-week}, or 5 fields without the
 *       seconds (second 0);</li>
 *   <li>per field: {@code *}, numbers, {@code a-b}, lists {@code a,b-c}, steps {@code *}{@code /n},
 *       {@code a-b/n} and {@code n/m} (from n every m, to the end of the range); month names
 *       JAN-DEC, weekday names SUN-SAT, day-of-week 0-7 (0 and 7 are Sunday); {@code ?} in the
 *       day fields means "any";</li>
 *   <li>day-of-month and day-of-week as in standard (Vixie) cron: when both are restricted, a day
 *       matches if <em>either</em> matches; when either starts with {@code *} (or is {@code ?}),
 *       both must match (so the unrestricted one does not count). Workerman's Crontab ANDs them;</li>
 *   <li>macros {@code @yearly @annually @monthly @weekly @daily @midnight @hourly};</li>
 *   <li>{@code @every 10s} (also 1500ms, 5m, 1h): an interval, see {@link IntervalSchedule}.</li>
 * </ul>
 * Errors are {@link IllegalArgumentException}s naming the field, e.g.
 * {@code field 3 (hour) value 25 out of range 0-23}.
 */
public final class Schedules {
    /** The shortest interval a schedule may have. */
    static final Duration MIN_INTERVAL = Duration.ofMillis(10);

    private static final Map<String, String> MACROS = Map.of(
            "@yearly", "0 0 0 1 1 *",
            "@annually", "0 0 0 1 1 *",
            "@monthly", "0 0 0 1 * *",
            "@weekly", "0 0 0 * * 0",
            "@daily", "0 0 0 * * *",
            "@midnight", "0 0 0 * * *",
            "@hourly", "0 0 * * * *");

    private static final List<String> MONTHS = List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG",
            "SEP", "OCT", "NOV", "DEC");
    private static final List<String> DAYS = List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT");

    /** One of the six fields, in 6-field order. */
    enum Field {
        SECOND("second", 0, 59, null),
        MINUTE("minute", 0, 59, null),
        HOUR("hour", 0, 23, null),
        DAY_OF_MONTH("day-of-month", 1, 31, null),
        MONTH("month", 1, 12, MONTHS),
        DAY_OF_WEEK("day-of-week", 0, 7, DAYS);

        final String label;
        final int min;
        final int max;
        final List<String> names; // index + min = value

        Field(String label, int min, int max, List<String> names) {
            this.label = label;
            this.min = min;
            this.max = max;
            this.names = names;
        }

        /** The values "*" stands for (day-of-week: 0-6, so Sunday is not there twice). */
        int starMax() {
            return this == DAY_OF_WEEK ? 6 : max;
        }

        boolean allowsQuestionMark() {
            return this == DAY_OF_MONTH || this == DAY_OF_WEEK;
        }
    }

    private Schedules() {
    }

    /**
     * Parses a cron expression, a macro or {@code @every DURATION}.
     *
     * @throws IllegalArgumentException with a message that names the field and the problem
     */
    public static Schedule parse(String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("is empty; expected a cron expression such as \"0 */5 * * * *\", "
                    + "a macro such as @daily, or @every 10s");
        }
        String text = expression.trim();
        if (text.startsWith("@")) {
            String lower = text.toLowerCase(Locale.ROOT);
            if (lower.equals("@every") || lower.startsWith("@every ") || lower.startsWith("@every\t")) {
                String rest = text.substring("@every".length()).trim();
                Duration d;
                try {
                    d = Durations.parse(rest);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("@every needs a duration such as 10s, 1500ms, 5m or 1h, got \""
                            + rest + "\"");
                }
                return every(d, text);
            }
            String six = MACROS.get(lower);
            if (six == null) {
                throw new IllegalArgumentException("unknown macro \"" + text + "\"; expected one of @yearly, @annually, "
                        + "@monthly, @weekly, @daily, @midnight, @hourly, or @every DURATION");
            }
            return CronSchedule.of(text, six.split(" "), 0);
        }
        String[] fields = text.split("\\s+");
        if (fields.length == 5) {
            String[] six = new String[6];
            six[0] = "0";
            System.arraycopy(fields, 0, six, 1, 5);
            return CronSchedule.of(text, six, 1);
        }
        if (fields.length == 6) {
            return CronSchedule.of(text, fields, 0);
        }
        throw new IllegalArgumentException("has " + fields.length + " field" + (fields.length == 1 ? "" : "s")
                + "; expected 5 (minute hour day-of-month month day-of-week), 6 (second minute hour "
                + "day-of-month month day-of-week), a macro such as @daily, or @every 10s");
    }

    /** A fixed interval, aligned to the Unix epoch (see {@link IntervalSchedule}). */
    public static Schedule every(Duration interval) {
        return every(interval, "@every " + Durations.format(interval));
    }

    /** The interval of an {@code every}/{@code @every} schedule; null for a cron expression. */
    public static Duration intervalOf(Schedule schedule) {
        return schedule instanceof IntervalSchedule i ? i.interval() : null;
    }

    /**
     * The shortest time between two consecutive fire times: the interval, or for a cron
     * expression the shortest gap on the wall clock (see {@link CronSchedule#shortestGap()}).
     */
    public static Duration shortestGap(Schedule schedule) {
        if (schedule instanceof IntervalSchedule i) {
            return i.interval();
        }
        return ((CronSchedule) schedule).shortestGap();
    }

    private static Schedule every(Duration interval, String expression) {
        if (interval.compareTo(MIN_INTERVAL) < 0) {
            throw new IllegalArgumentException("interval " + Durations.format(interval) + " is too short; the minimum is "
                    + Durations.format(MIN_INTERVAL));
        }
        if (interval.toNanos() % 1_000_000 != 0) {
            throw new IllegalArgumentException("interval " + interval + " must be a whole number of milliseconds");
        }
        return new IntervalSchedule(interval, expression);
    }

    /**
     * The values one field matches.
     *
     * @param position the field's number as the user wrote it (1-based), for messages
     */
    static BitSet values(Field f, String text, int position) {
        String where = "field " + position + " (" + f.label + ") ";
        BitSet set = new BitSet(f.max + 1);
        if (text.isEmpty()) {
            throw new IllegalArgumentException(where + "is empty");
        }
        for (String part : text.split(",", -1)) {
            if (part.isEmpty()) {
                throw new IllegalArgumentException(where + "\"" + text + "\" has an empty list item");
            }
            String base = part;
            int step = 1;
            boolean stepped = false;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                base = part.substring(0, slash);
                String s = part.substring(slash + 1);
                step = number(f, s, where, "step");
                int size = f.starMax() - f.min + 1;
                if (step < 1 || step > size) {
                    throw new IllegalArgumentException(where + "step " + step + " out of range 1-" + size);
                }
                stepped = true;
            }
            int lo;
            int hi;
            if (base.equals("*") || (base.equals("?") && f.allowsQuestionMark())) {
                lo = f.min;
                hi = f.starMax();
            } else if (base.equals("?")) {
                throw new IllegalArgumentException(where + "\"?\" is only allowed in day-of-month and day-of-week");
            } else if (base.indexOf('-') > 0) {
                int dash = base.indexOf('-');
                lo = value(f, base.substring(0, dash), where);
                hi = value(f, base.substring(dash + 1), where);
                if (lo > hi) {
                    throw new IllegalArgumentException(where + "range " + base + " goes backwards; write it as a list, "
                            + "e.g. " + base.substring(0, dash) + "-" + f.max + "," + f.min + "-" + base.substring(dash + 1));
                }
            } else {
                lo = value(f, base, where);
                hi = stepped ? f.starMax() : lo; // n/m: from n every m to the end of the range
            }
            for (int v = lo; v <= hi; v += step) {
                set.set(v);
            }
        }
        if (f == Field.DAY_OF_WEEK && set.get(7)) {
            set.clear(7);
            set.set(0); // 7 is Sunday too
        }
        return set;
    }

    private static int value(Field f, String s, String where) {
        if (f.names != null && s.length() == 3 && Character.isLetter(s.charAt(0))) {
            int i = f.names.indexOf(s.toUpperCase(Locale.ROOT));
            if (i < 0) {
                throw new IllegalArgumentException(where + "name \"" + s + "\" is unknown; expected one of "
                        + String.join(", ", f.names));
            }
            return i + f.min;
        }
        int v = number(f, s, where, "value");
        if (v < f.min || v > f.max) {
            throw new IllegalArgumentException(where + "value " + v + " out of range " + f.min + "-" + f.max);
        }
        return v;
    }

    private static int number(Field f, String s, String where, String what) {
        if (s.isEmpty() || s.length() > 9 || !s.chars().allMatch(Character::isDigit)) {
            String names = f.names != null && what.equals("value") ? " or a name such as " + f.names.get(0) : "";
            String hint = s.toUpperCase(Locale.ROOT).matches("[0-9]*[LW#][0-9]*") ? " (L, W and # are not supported)" : "";
            throw new IllegalArgumentException(where + what + " \"" + s + "\" is not a number" + names + hint);
        }
        return Integer.parseInt(s);
    }

    /** A set as cron-utils reads it: "*" for the whole range, else an explicit list. */
    static String render(Field f, BitSet set) {
        if (set.cardinality() == f.starMax() - f.min + 1 && set.nextSetBit(0) == f.min) {
            return "*";
        }
        List<String> out = new ArrayList<>();
        for (int v = set.nextSetBit(0); v >= 0; v = set.nextSetBit(v + 1)) {
            out.add(Integer.toString(v));
        }
        return String.join(",", out);
    }
}
