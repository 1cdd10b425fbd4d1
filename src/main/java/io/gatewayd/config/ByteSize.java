package io.gatewayd.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A size in bytes as written in the config: a plain integer, or a number with a unit
 * (B, KiB, MiB, GiB; K/KB, M/MB, G/GB are read as the same powers of 1024).
 */
public record ByteSize(long bytes) {
    private static final Pattern FORM = Pattern.compile("\\s*(\\d+)\\s*([a-zA-Z]*)\\s*");

    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("size must not be negative");
        }
    }

    public static ByteSize ofBytes(long bytes) {
        return new ByteSize(bytes);
    }

    public static ByteSize ofKiB(long kib) {
        return new ByteSize(kib * 1024);
    }

    public static ByteSize ofMiB(long mib) {
        return new ByteSize(mib * 1024 * 1024);
    }

    /** Parses "65536", "64KiB", "1 MiB". */
    public static ByteSize parse(String text) {
        Matcher m = FORM.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a size such as 65536, 64KiB or 1MiB, got \"" + text + "\"");
        }
        long n = Long.parseLong(m.group(1));
        long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1L;
            case "k", "kb", "kib" -> 1024L;
            case "m", "mb", "mib" -> 1024L * 1024;
            case "g", "gb", "gib" -> 1024L * 1024 * 1024;
            default -> throw new IllegalArgumentException(
                    "unknown size unit \"" + m.group(2) + "\" in \"" + text + "\" (use B, KiB, MiB or GiB)");
        };
        return new ByteSize(Math.multiplyExact(n, unit));
    }

    public int intBytes() {
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    @Override
    public String toString() {
        if (bytes != 0 && bytes % (1024L * 1024 * 1024) == 0) {
            return bytes / (1024L * 1024 * 1024) + "GiB";
        }
        if (bytes != 0 && bytes % (1024L * 1024) == 0) {
            return bytes / (1024L * 1024) + "MiB";
        }
        if (bytes != 0 && bytes % 1024 == 0) {
            return bytes / 1024 + "KiB";
        }
        return Long.toString(bytes);
    }
}
