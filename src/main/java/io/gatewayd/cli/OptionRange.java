package io.gatewayd.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

import java.lang.reflect.Field;
import java.math.BigDecimal;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks the numeric options against their {@link Bounds}: a value outside, or one that does not
 * convert, is a usage error naming the option, the value and the range. One place for every
 * option, so that `--ws-port 99999999999` (past the int range, which picocli itself would answer
 * with "is not an int") and `--ws-port 70000` get the same message.
 */
final class OptionRange {
    private static final Set<Class<?>> WHOLE = Set.of(int.class, Integer.class, long.class, Long.class,
            short.class, Short.class, byte.class, Byte.class, java.math.BigInteger.class);
    private static final Set<Class<?>> DECIMAL = Set.of(double.class, Double.class, float.class, Float.class,
            BigDecimal.class);
    private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");

    private OptionRange() {
    }

    /** Whether {@code arg} holds a number, and so must declare its {@link Bounds}. */
    static boolean numeric(ArgSpec arg) {
        return WHOLE.contains(arg.type()) || DECIMAL.contains(arg.type());
    }

    /** The bounds {@code arg} declares, or null. */
    static Bounds bounds(ArgSpec arg) {
        return arg.userObject() instanceof Field f ? f.getAnnotation(Bounds.class) : null;
    }

    /**
     * Every numeric option given on the command line, from the top command down to the one that
     * runs; not when help is asked for, which picocli prints whatever else the line holds.
     */
    static void check(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.isUsageHelpRequested() || p.isVersionHelpRequested()) {
                return;
            }
        }
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            for (ArgSpec arg : p.matchedArgs()) {
                Bounds b = bounds(arg);
                Object value = arg.getValue();
                if (b != null && value instanceof Number n && !within(n, b)) {
                    List<String> given = arg.originalStringValues();
                    String text = given.isEmpty() ? String.valueOf(value) : given.get(given.size() - 1);
                    throw new ParameterException(p.commandSpec().commandLine(),
                            message(arg, b, text, parsed.originalArgs()), arg, text);
                }
            }
        }
    }

    /**
     * The message for a value picocli could not convert, when it belongs to a bounded option:
     * whole digits past the type are out of range like any other; anything else is not a number
     * of the kind the option takes. Null: not ours, picocli's message stands.
     */
    static String conversionProblem(ParameterException e, String[] args) {
        ArgSpec arg = e.getArgSpec();
        Bounds b = arg == null ? null : bounds(arg);
        if (b == null || !(e.getCause() instanceof CommandLine.TypeConversionException) || e.getValue() == null) {
            return null;
        }
        return message(arg, b, e.getValue(), List.of(args));
    }

    private static boolean within(Number n, Bounds b) {
        if ((n instanceof Double || n instanceof Float) && !Double.isFinite(n.doubleValue())) {
            return false;
        }
        BigDecimal v = n instanceof java.math.BigInteger i ? new BigDecimal(i) : new BigDecimal(n.toString());
        return v.compareTo(new BigDecimal(b.min())) >= 0 && v.compareTo(new BigDecimal(b.max())) <= 0;
    }

    private static String message(ArgSpec arg, Bounds b, String given, List<String> args) {
        boolean whole = WHOLE.contains(arg.type());
        String kind;
        String shown;
        if (INTEGER.matcher(given).matches() || !whole && isNumber(given)) {
            kind = "";
            shown = given;
        } else {
            kind = whole ? "a whole number " : "a number ";
            shown = "'" + given + "'";
        }
        return name(arg, args) + " must be " + kind + "between " + b.min() + " and " + b.max()
                + (b.unit().isEmpty() ? "" : " " + b.unit()) + (b.note().isEmpty() ? "" : " (" + b.note() + ")")
                + ", got " + shown;
    }

    private static boolean isNumber(String s) {
        try {
            Double.parseDouble(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The option's name as typed: bench's --c is also --concurrency, and the message names the one used. */
    private static String name(ArgSpec arg, List<String> args) {
        if (!(arg instanceof CommandLine.Model.OptionSpec o)) {
            return arg.paramLabel();
        }
        for (int i = args.size() - 1; i >= 0; i--) {
            for (String name : o.names()) {
                if (args.get(i).equals(name) || args.get(i).startsWith(name + "=")) {
                    return name;
                }
            }
        }
        return o.longestName();
    }
}
