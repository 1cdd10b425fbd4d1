package io.gatewayd.cli;

import ch.qos.logback.classic.Level;
import io.gatewayd.server.ServerTls;
import io.gatewayd.testing.LogCapture;
import io.gatewayd.testing.TestCa;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.TlsYaml;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A certificate about to expire is warned about at start, at reload and by the periodic check,
 * naming the file, the date and the fix, and `gatewayctl status` says so; one with time left is not.
 */
class CertificateExpiryTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final LogCapture log = new LogCapture(ServerTls.class);

    private static String yaml(TestCa ca) {
        return TlsYaml.httpsControl(ca.chainPem(), ca.keyPem());
    }

    /** The config gatewayctl reads to reach {@code gw}, trusting {@code ca}'s certificate as the gateway's own. */
    private Path cliConfig(TestGateway gw, TestCa ca) throws Exception {
        Path f = dir.resolve("cli.yaml");
        Files.writeString(f, TlsYaml.httpsControlAt(gw.gateway().controlPort(), ca.chainPem(), ca.keyPem())
                + "paths:\n  run-dir: " + dir.resolve("run") + "\n");
        return f;
    }

    private List<String> warnings() {
        return log.messages(Level.WARN);
    }

    /** The end of {@code ca}'s server certificate as messages give it. */
    private static String end(TestCa ca) throws Exception {
        try (var in = Files.newInputStream(ca.chainPem())) {
            X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            return DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC)
                    .format(leaf.getNotAfter().toInstant());
        }
    }

    @Test
    void aCertificateEndingWithinTwoWeeksIsWarnedAboutAtStartReloadAndTheDailyCheckAndInStatus() throws Exception {
        Duration fiveDays = Duration.ofDays(5).plusHours(1);
        TestCa soon = TestCa.create(dir, "soon", fiveDays);
        try (TestGateway gw = TestGateway.start(yaml(soon))) {
            assertThat(warnings()).singleElement().asString().contains(soon.chainPem().toString(),
                    "expires in 5 days (" + end(soon) + ")", "renew it and run `gatewayctl reload`");

            StartCommandTest.Run status = StartCommandTest.run("status", "--config", cliConfig(gw, soon).toString());
            assertThat(status.exit()).as(status.toString()).isZero();
            assertThat(status.out()).contains("certificate expires in 5 days (" + end(soon)
                    + "); renew it and run `gatewayctl reload`");

            Duration twoDays = Duration.ofDays(2).plusHours(1);
            TestCa stillShort = TestCa.create(dir, "short", twoDays);
            gw.gateway().reload(TestGateway.config(yaml(stillShort)));
            assertThat(warnings()).hasSize(2);
            assertThat(warnings().get(1)).contains(stillShort.chainPem().toString(),
                    "expires in 2 days (" + end(stillShort) + ")");

            gw.gateway().tls().warnIfExpiringSoon(); // what the daily check runs
            assertThat(warnings()).hasSize(3);
        }
    }

    @Test
    void aCertificateWithMoreThanTwoWeeksLeftIsNotWarnedAbout() throws Exception {
        Duration ninetyDays = Duration.ofDays(90).plusHours(1);
        TestCa later = TestCa.create(dir, "later", ninetyDays);
        try (TestGateway gw = TestGateway.start(yaml(later))) {
            gw.gateway().tls().warnIfExpiringSoon();
            assertThat(warnings()).isEmpty();
            StartCommandTest.Run status = StartCommandTest.run("status", "--config", cliConfig(gw, later).toString());
            assertThat(status.exit()).as(status.toString()).isZero();
            assertThat(status.out()).contains("certificate expires in 90 days (" + end(later) + ")")
                    .doesNotContain("renew");
        }
    }

    /**
     * The time left is rounded to the nearest day, and said in hours under two days: it said
     * "13 days" for 13 days 23 hours, and "0 days" for a certificate valid for another 20 hours.
     */
    @Test
    void theTimeLeftIsNeverRoundedDownToZeroDays() throws Exception {
        TestCa almostFourteen = TestCa.create(dir, "almost14", Duration.ofDays(13).plusHours(23));
        try (TestGateway gw = TestGateway.start(yaml(almostFourteen))) {
            assertThat(warnings()).singleElement().asString().contains("expires in 14 days (" + end(almostFourteen) + ")");
            StartCommandTest.Run status = StartCommandTest.run("status", "--config",
                    cliConfig(gw, almostFourteen).toString());
            assertThat(status.out()).as(status.toString()).contains("certificate expires in 14 days ("
                    + end(almostFourteen) + "); renew it");
        }
        TestCa hours = TestCa.create(dir, "hours", Duration.ofHours(20));
        try (TestGateway gw = TestGateway.start(yaml(hours))) {
            assertThat(warnings()).hasSize(2);
            assertThat(warnings().get(1)).contains("expires in 20 hours (" + end(hours) + ")");
            StartCommandTest.Run status = StartCommandTest.run("status", "--config", cliConfig(gw, hours).toString());
            assertThat(status.out()).as(status.toString()).contains("certificate expires in 20 hours (" + end(hours)
                    + "); renew it");
        }
    }
}
