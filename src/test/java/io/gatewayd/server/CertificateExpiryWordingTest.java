package io.gatewayd.server;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** How long a certificate has left, as warnings and status say it, at the edges of each unit. */
class CertificateExpiryWordingTest {
    private static final Instant END = Instant.parse("2026-12-01T20:23:47Z");

    private static String left(Duration d) {
        return CertificateExpiry.describe(END, END.minus(d));
    }

    @Test
    void nearestDayFromTwoDaysOnNearestHourOrMinuteBelowNeverZero() {
        assertThat(left(Duration.ofDays(13).plusHours(23))).isEqualTo("expires in 14 days (2026-12-01 20:23 UTC)");
        assertThat(left(Duration.ofDays(13).plusHours(11))).startsWith("expires in 13 days");
        assertThat(left(Duration.ofDays(2))).startsWith("expires in 2 days");
        assertThat(left(Duration.ofDays(2).minusMinutes(1))).startsWith("expires in 48 hours");
        assertThat(left(Duration.ofHours(20))).startsWith("expires in 20 hours");
        assertThat(left(Duration.ofMinutes(90))).startsWith("expires in 2 hours");
        assertThat(left(Duration.ofMinutes(89))).startsWith("expires in 89 minutes");
        assertThat(left(Duration.ofSeconds(10))).startsWith("expires in 1 minute (");
        assertThat(left(Duration.ZERO)).isEqualTo("has expired (2026-12-01 20:23 UTC)");
        assertThat(left(Duration.ofDays(-3))).startsWith("has expired");
    }

    @Test
    void itEndsSoonUnderFourteenDays() {
        assertThat(CertificateExpiry.endsSoon(END, END.minus(Duration.ofDays(14)))).isFalse();
        assertThat(CertificateExpiry.endsSoon(END, END.minus(Duration.ofDays(14).minusSeconds(1)))).isTrue();
        assertThat(CertificateExpiry.endsSoon(END, END.plusSeconds(1))).isTrue();
    }
}
