package io.gatewayd.server;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * Whether the served certificate is close enough to its end that someone must act: a renewal
 * that failed silently (ACME hook, cron) otherwise shows only as clients refusing the handshake.
 */
public final class CertificateExpiry {
    /** Let's Encrypt renews 30 days ahead: 14 days left means a renewal has been failing for two weeks. */
    static final int WARN_DAYS = 14;
    private static final DateTimeFormatter END = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")
            .withZone(ZoneOffset.UTC);

    private CertificateExpiry() {
    }

    /** Whole days from {@code now} to the certificate's end (rounded down); negative once expired. */
    static long daysLeft(X509Certificate cert, Instant now) {
        return Duration.between(now, cert.getNotAfter().toInstant()).toDays();
    }

    /** True when less than {@link #WARN_DAYS} days are left, or none. */
    public static boolean endsSoon(Instant end, Instant now) {
        return Duration.between(now, end).compareTo(Duration.ofDays(WARN_DAYS)) < 0;
    }

    /**
     * "expires in 5 days (2026-12-01 20:23 UTC)", or "has expired (...)". The time left is rounded
     * to the nearest day from two days on and to the nearest hour (minute) below that, so it is
     * never off by more than half its unit and never says 0 while the certificate is still valid;
     * the exact end follows for whoever needs more than that.
     */
    public static String describe(Instant end, Instant now) {
        Duration left = Duration.between(now, end);
        String at = " (" + END.format(end) + ")";
        if (left.isNegative() || left.isZero()) {
            return "has expired" + at;
        }
        if (left.compareTo(Duration.ofDays(2)) >= 0) {
            return "expires in " + plural(left.plusHours(12).toDays(), "day") + at;
        }
        if (left.compareTo(Duration.ofMinutes(90)) >= 0) {
            return "expires in " + plural(left.plusMinutes(30).toHours(), "hour") + at;
        }
        return "expires in " + plural(Math.max(1, left.plusSeconds(30).toMinutes()), "minute") + at;
    }

    private static String plural(long n, String unit) {
        return n + " " + unit + (n == 1 ? "" : "s");
    }

    /** The warning to log, naming the file, the end and the fix; empty when there is time left. */
    public static Optional<String> warning(X509Certificate cert, Path file, Instant now) {
        Instant end = cert.getNotAfter().toInstant();
        if (!endsSoon(end, now)) {
            return Optional.empty();
        }
        boolean expired = !now.isBefore(end);
        return Optional.of("TLS certificate " + cert.getSubjectX500Principal().getName() + " in " + file + " "
                + describe(end, now) + (expired ? ": clients refuse it" : "")
                + "; renew it and run `gatewayctl reload`");
    }
}
