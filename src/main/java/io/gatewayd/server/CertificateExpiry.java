package io.gatewayd.server;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Optional;

/**
 * Whether the served certificate is close enough to its end that someone must act: a renewal
 * that failed silently (ACME hook, cron) otherwise shows only as clients refusing the handshake.
 */
public final class CertificateExpiry {
    /** Let's Encrypt renews 30 days ahead: 14 days left means a renewal has been failing for two weeks. */
    public static final int WARN_DAYS = 14;

    private CertificateExpiry() {
    }

    /** Whole days from {@code now} to the certificate's end; negative once expired. */
    public static long daysLeft(X509Certificate cert, Instant now) {
        return Duration.between(now, cert.getNotAfter().toInstant()).toDays();
    }

    /** The day it ends (UTC). */
    public static LocalDate endDate(X509Certificate cert) {
        return LocalDate.ofInstant(cert.getNotAfter().toInstant(), ZoneOffset.UTC);
    }

    /** The warning to log, naming the file, the date and the fix; empty when there is time left. */
    public static Optional<String> warning(X509Certificate cert, Path file, Instant now) {
        long days = daysLeft(cert, now);
        if (days >= WARN_DAYS) {
            return Optional.empty();
        }
        boolean expired = !now.isBefore(cert.getNotAfter().toInstant());
        return Optional.of("TLS certificate " + cert.getSubjectX500Principal().getName() + " in " + file
                + (expired ? " has expired (" + endDate(cert) + "): clients refuse it"
                        : " expires in " + days + (days == 1 ? " day" : " days") + " (" + endDate(cert) + ")")
                + "; renew it and run `gatewayctl reload`");
    }
}
