package io.gatewayd.registry;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.util.Locale;

/**
 * The one rule for uid and group keys, wherever they come from: the control API, a webhook's
 * answer, a connect token's claims. Keys are text; numbers are read as PHP's (string) cast prints
 * them, so 123, 123.0, 1.23e2 and "123" are the same key, as they are in a PHP array. Text that
 * would not round-trip or could not be seen is refused: empty or blank keys, control characters
 * (U+0000 to U+001F) and lone UTF-16 surrogates (which UTF-8 output turns into '?'). Unlike
 * GatewayWorker, "0" is a valid key.
 */
public final class Keys {
    /** The largest number of significant digits PHP's (string) cast prints (precision=14). */
    private static final int PHP_DIGITS = 14;

    private Keys() {
    }

    /** A key that breaks the rule; the message completes "the key ..." (e.g. "must not be empty"). */
    public static final class InvalidKeyException extends IllegalArgumentException {
        public InvalidKeyException(String message) {
            super(message);
        }
    }

    /** Whether {@code v} is of a type a key can be given as (a string or a number). */
    public static boolean isKeyType(JsonNode v) {
        return v.isTextual() || v.isNumber();
    }

    /** The key a string or number stands for; other JSON types are the caller's to refuse. */
    public static String of(JsonNode v) {
        if (v.isTextual()) {
            return text(v.textValue());
        }
        if (v.isIntegralNumber()) {
            return v.bigIntegerValue().toString();
        }
        if (v.isNumber()) {
            return number(v);
        }
        throw new InvalidKeyException("must be a string or number");
    }

    /** {@code s} as a key, once checked. */
    public static String text(String s) {
        if (s.isEmpty()) {
            throw new InvalidKeyException("must not be empty");
        }
        boolean blank = true;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x20) {
                throw new InvalidKeyException("must not contain control characters (U+0000 to U+001F), found "
                        + codePoint(c) + " at index " + i);
            }
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    throw new InvalidKeyException(loneSurrogate(c, i));
                }
            }
            if (blank && !Character.isWhitespace(c) && !Character.isSpaceChar(c)) {
                blank = false;
            }
        }
        if (blank) {
            throw new InvalidKeyException("must not be blank (only whitespace)");
        }
        return s;
    }

    /** "is not valid UTF-16/Unicode text: a lone surrogate U+D800 at index 3 (...)". */
    public static String loneSurrogate(char c, int index) {
        return "is not valid UTF-16/Unicode text: a lone surrogate " + codePoint(c) + " at index " + index
                + " (a \\ud800-\\udfff escape without its pair)";
    }

    /**
     * A number with a fraction or exponent, as PHP's (string) cast prints it: integral values as
     * integers (1e3 and 1000.0 are "1000", 1.0 is "1"), others in plain decimals ("1.5"). Values
     * PHP would print in exponent form or round (beyond 14 digits, under 0.0001, 1e400) are
     * refused: the caller should send the key as a string.
     */
    private static String number(JsonNode v) {
        BigDecimal d;
        if (v.isBigDecimal()) {
            d = v.decimalValue();
        } else {
            double x = v.doubleValue();
            if (!Double.isFinite(x)) {
                throw new InvalidKeyException("is a number out of range; send the key as a string");
            }
            d = BigDecimal.valueOf(x);
        }
        if (d.signum() == 0) {
            return "0";
        }
        // digits before the decimal point (negative for 0.00x): checked before anything expands the
        // value, so 1e999999999 costs nothing
        long intDigits = (long) d.precision() - d.scale();
        BigDecimal plain = d.stripTrailingZeros();
        if (intDigits > PHP_DIGITS || intDigits < -3 || plain.precision() > PHP_DIGITS) {
            String shown = d.toString();
            throw new InvalidKeyException("is the number " + (shown.length() > 40 ? shown.substring(0, 40) + "..." : shown)
                    + ", which has no exact key text (PHP would print it rounded or in exponent form); send the key "
                    + "as a string");
        }
        return plain.scale() <= 0 ? plain.toBigIntegerExact().toString() : plain.toPlainString();
    }

    private static String codePoint(char c) {
        return String.format(Locale.ROOT, "U+%04X", (int) c);
    }
}
