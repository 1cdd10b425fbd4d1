package io.gatewayd.cli;

import java.math.BigInteger;

/** Range checks of numeric options: a value outside is a usage error naming the option and the range. */
final class OptionRange {
    private OptionRange() {
    }

    /** {@code value} (null: not given, the default applies) must be within min..max. */
    static void between(String option, Number value, long min, long max) {
        if (value != null && outside(value, min, max)) {
            throw new CliException(GatewayCtl.EXIT_USAGE, option + " must be between " + min + " and " + max
                    + ", got " + value);
        }
    }

    /** A BigInteger is compared whole: its longValue() would wrap a value past the long range into it. */
    private static boolean outside(Number value, long min, long max) {
        if (value instanceof BigInteger b) {
            return b.compareTo(BigInteger.valueOf(min)) < 0 || b.compareTo(BigInteger.valueOf(max)) > 0;
        }
        return value.longValue() < min || value.longValue() > max;
    }

    /** A finite number within min..max, in {@code unit}. */
    static void finiteBetween(String option, double value, double min, double max, String unit) {
        if (!Double.isFinite(value) || value < min || value > max) {
            throw new CliException(GatewayCtl.EXIT_USAGE, option + " must be between " + plain(min) + " and "
                    + plain(max) + " " + unit + ", got " + plain(value));
        }
    }

    private static String plain(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
    }
}
