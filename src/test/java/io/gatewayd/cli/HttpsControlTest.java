package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.config.GatewayConfig;
import io.gatewayd.lifecycle.DaemonLauncher;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.TlsYaml;
import io.gatewayd.testing.WsClient;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.bouncycastle.asn1.x509.GeneralName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.gatewayd.testing.TestCa.keys;
import static io.gatewayd.testing.TestCa.pem;
import static io.gatewayd.testing.TestCa.privateKey;
import static io.gatewayd.testing.TestCa.sign;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * gatewayctl against an https:// control port whose certificate is the gateway's own:
 * self-signed, or from a private CA, and naming a host name rather than 127.0.0.1 (the usual
 * case). The config's tls.cert-file, or --cacert, is trusted; anything else is refused with a
 * message that says it is about the certificate, never "does not answer".
 */
class HttpsControlTest {
    @TempDir
    Path dir;

    /** A gateway serving {@code cert}/{@code key} on an https control port (and ws:// clients). */
    private TestGateway gateway(Path cert, Path key) {
        return TestGateway.start(TlsYaml.httpsControl(cert, key));
    }

    /** A config for the CLI pointing at the gateway, with {@code cert} as its tls.cert-file. */
    private Path cliConfig(String name, TestGateway gw, Path cert, Path key) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, TlsYaml.httpsControlAt(gw.gateway().controlPort(), cert, key)
                + "paths:\n  run-dir: " + dir.resolve("run-" + name) + "\n");
        return f;
    }

    private Path copy(SelfSignedCertificate c, String prefix) throws Exception {
        Files.copy(c.certificate().toPath(), dir.resolve(prefix + "-cert.pem"));
        Files.copy(c.privateKey().toPath(), dir.resolve(prefix + "-key.pem"));
        return dir.resolve(prefix + "-cert.pem");
    }

    @Test
    void theConfigsOwnSelfSignedCertificateIsTrustedThoughItDoesNotName127001() throws Exception {
        SelfSignedCertificate own = new SelfSignedCertificate("gw.example.com");
        Path cert = copy(own, "own");
        Path key = dir.resolve("own-key.pem");
        try (TestGateway gw = gateway(cert, key); WsClient client = gw.client()) {
            Path config = cliConfig("gw.yaml", gw, cert, key);
            StartCommandTest.Run status = StartCommandTest.run("status", "--config", config.toString());
            assertThat(status.exit()).as(status.toString()).isZero();
            assertThat(status.out()).contains("https://127.0.0.1:" + gw.gateway().controlPort());

            StartCommandTest.Run send = StartCommandTest.run("send", "--config", config.toString(), "--all", "over tls");
            assertThat(send.exit()).as(send.toString()).isZero();
            assertThat(send.out()).contains("delivered to 1 connection");
            assertThat(client.next()).isEqualTo("over tls");

            StartCommandTest.Run call = StartCommandTest.run("call", "--config", config.toString(), "getAllClientCount");
            assertThat(call.exit()).as(call.toString()).isZero();
            assertThat(call.out().trim()).isEqualTo("1");

            // start -d waits for readiness with the same trust
            GatewayConfig parsed = new io.gatewayd.config.ConfigLoader(Map.of()).load(config);
            DaemonLauncher.HealthCheck health = StartCommand.readiness(Installation.current(), parsed);
            assertThat(health.healthy("https://127.0.0.1:" + gw.gateway().controlPort())).isTrue();
        }
    }

    @Test
    void aCertificateGatewayctlDoesNotTrustIsReportedAsSuchNotAsNotAnswering() throws Exception {
        SelfSignedCertificate served = new SelfSignedCertificate("gw.example.com");
        SelfSignedCertificate other = new SelfSignedCertificate("other.example.com");
        Path cert = copy(served, "served");
        Path key = dir.resolve("served-key.pem");
        Path otherCert = copy(other, "other");
        try (TestGateway gw = gateway(cert, key)) {
            String url = "https://127.0.0.1:" + gw.gateway().controlPort();
            Path config = cliConfig("stale.yaml", gw, otherCert, dir.resolve("other-key.pem"));

            StartCommandTest.Run status = StartCommandTest.run("status", "--config", config.toString());
            assertThat(status.exit()).as(status.toString()).isEqualTo(StatusCommand.EXIT_UNKNOWN);
            assertThat(status.err()).contains("the control port at " + url + " answered with a certificate "
                    + "gatewayctl does not trust (CN=gw.example.com, self-signed)")
                    .contains("it is not the config's tls.cert-file " + otherCert)
                    .contains("--cacert FILE").doesNotContain("does not answer").doesNotContain("Exception");

            StartCommandTest.Run send = StartCommandTest.run("send", "--config", config.toString(), "--all", "x");
            assertThat(send.exit()).as(send.toString()).isEqualTo(ControlClient.EXIT_NOT_RUNNING);
            assertThat(send.err()).contains("does not trust (CN=gw.example.com").doesNotContain("not running");

            // --cacert with the wrong certificate: said so too
            StartCommandTest.Run wrongCa = StartCommandTest.run("status", "--config", config.toString(),
                    "--cacert", otherCert.toString());
            assertThat(wrongCa.exit()).as(wrongCa.toString()).isEqualTo(StatusCommand.EXIT_UNKNOWN);
            assertThat(wrongCa.err()).contains("does not trust (CN=gw.example.com")
                    .contains("--cacert " + otherCert + " does not vouch for it");

            // stop does not fall back to SIGTERM over it (nor reload to SIGHUP)
            StartCommandTest.Run stop = StartCommandTest.run("stop", "--config", config.toString(),
                    "--control-url", url);
            assertThat(stop.exit()).as(stop.toString()).isEqualTo(ControlClient.EXIT_NOT_RUNNING);
            assertThat(stop.err()).contains("does not trust").doesNotContain("SIGTERM");
            assertThat(gw.gateway().controlPort()).isPositive();

            // start -d's readiness check says why instead of waiting and killing the gateway
            GatewayConfig parsed = new io.gatewayd.config.ConfigLoader(Map.of()).load(config);
            DaemonLauncher.HealthCheck health = StartCommand.readiness(Installation.current(), parsed);
            assertThatThrownBy(() -> health.healthy(url)).isInstanceOf(DaemonLauncher.UnverifiableException.class)
                    .hasMessageContaining("does not trust (CN=gw.example.com");

            // the right --cacert fixes it, without the config
            Path bare = dir.resolve("bare.yaml");
            Files.writeString(bare, "paths:\n  run-dir: " + dir.resolve("run-bare") + "\n");
            StartCommandTest.Run pinned = StartCommandTest.run("status", "--config", bare.toString(),
                    "--control-url", url, "--cacert", cert.toString());
            assertThat(pinned.exit()).as(pinned.toString()).isZero();
            StartCommandTest.Run without = StartCommandTest.run("status", "--config", bare.toString(),
                    "--control-url", url);
            assertThat(without.exit()).as(without.toString()).isEqualTo(StatusCommand.EXIT_UNKNOWN);
            assertThat(without.err()).contains("does not trust (CN=gw.example.com, self-signed)")
                    .contains("pass --cacert FILE");
        }
    }

    /**
     * The renewal of a certificate (certbot, acme.sh): new files at the same paths, then a reload.
     * Until that reload the gateway serves the old certificate, which the config's file no longer
     * holds: gatewayctl trusts it through the runtime file, or the reload could not be sent.
     */
    @Test
    void reloadAfterTheFilesWereRenewedGetsThroughAndTheNewCertificateIsServed() throws Exception {
        SelfSignedCertificate old = new SelfSignedCertificate("old.example.com");
        SelfSignedCertificate renewed = new SelfSignedCertificate("renewed.example.com");
        Path cert = Files.copy(old.certificate().toPath(), dir.resolve("fullchain.pem"));
        Path key = Files.copy(old.privateKey().toPath(), dir.resolve("privkey.pem"));
        Path config = Files.writeString(dir.resolve("gatewayd.yaml"), TlsYaml.wssAndHttpsControl(cert, key)
                + "paths:\n  run-dir: " + dir.resolve("run") + "\n  log-dir: " + dir.resolve("logs") + "\n");
        io.gatewayd.lifecycle.GatewayProcess process = io.gatewayd.lifecycle.GatewayProcess.start(
                new io.gatewayd.lifecycle.GatewayProcess.Options(dir, Map.of(), config, null, "debug",
                        java.time.Duration.ofSeconds(5), false, null, null));
        try {
            Files.copy(renewed.certificate().toPath(), cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(renewed.privateKey().toPath(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

            StartCommandTest.Run reload = StartCommandTest.run("reload", "--config", config.toString());
            assertThat(reload.exit()).as(reload.toString()).isZero();
            assertThat(process.gateway().tls().certificate().getSubjectX500Principal().getName())
                    .contains("renewed.example.com");

            StartCommandTest.Run status = StartCommandTest.run("status", "--config", config.toString());
            assertThat(status.exit()).as(status.toString()).isZero();
            assertThat(status.out()).contains("CN=renewed.example.com");
        } finally {
            process.gateway().stop(java.time.Duration.ofSeconds(5));
            process.close();
            old.delete();
            renewed.delete();
        }
    }

    @Test
    void benchDrivesAnHttpsControlPortTrustedAsTheOtherCommandsTrustIt() throws Exception {
        SelfSignedCertificate served = new SelfSignedCertificate("gw.example.com");
        SelfSignedCertificate other = new SelfSignedCertificate("other.example.com");
        Path cert = copy(served, "served");
        Path key = dir.resolve("served-key.pem");
        Path otherCert = copy(other, "other");
        try (TestGateway gw = gateway(cert, key)) {
            // the pushes go through bench's own pipelined API connections, the bindUid setup too
            Path config = cliConfig("gw.yaml", gw, cert, key);
            StartCommandTest.Run run = StartCommandTest.run("bench", "unicast", "--config", config.toString(),
                    "--n", "5", "--k", "20", "--warmup", "0", "--api-conns", "2", "--json", "-q");
            assertThat(run.exit()).as(run.toString()).isZero();
            JsonNode r = new ObjectMapper().readTree(run.out());
            assertThat(r.path("control_url").asText()).startsWith("https://");
            assertThat(r.path("ready").asInt()).isEqualTo(5);
            assertThat(r.path("pushes_ok").asInt()).isEqualTo(20);
            assertThat(r.path("received").asInt()).isEqualTo(20);
            assertThat(r.path("lost").asInt()).isZero();

            // a certificate it has no reason to trust: the other commands' message, a run that cannot start
            Path stale = cliConfig("stale.yaml", gw, otherCert, dir.resolve("other-key.pem"));
            StartCommandTest.Run refused = StartCommandTest.run("bench", "unicast", "--config", stale.toString(),
                    "--n", "5", "--k", "20", "-q");
            assertThat(refused.exit()).as(refused.toString()).isEqualTo(GatewayCtl.EXIT_USAGE);
            assertThat(refused.err()).contains("answered with a certificate gatewayctl does not trust "
                    + "(CN=gw.example.com, self-signed)").contains("--cacert FILE").doesNotContain("Exception");
        }
    }

    @Test
    void aPrivateCaIn_cacertIsTrustedWithTheUsualHostNameCheck() throws Exception {
        KeyPair caKeys = keys();
        X509Certificate ca = sign("CN=Test CA", caKeys, "CN=Test CA", caKeys.getPrivate(), true, null, Duration.ofDays(1));
        Path caPem = pem(dir.resolve("ca.pem"), ca);
        KeyPair leafKeys = keys();

        // a leaf for 127.0.0.1, signed by the CA: trusted through --cacert as a CA
        X509Certificate forIp = sign("CN=127.0.0.1", leafKeys, "CN=Test CA", caKeys.getPrivate(), false,
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), Duration.ofDays(1));
        Path key = privateKey(dir.resolve("leaf-key.pem"), leafKeys.getPrivate());
        Path chain = pem(dir.resolve("ip-chain.pem"), forIp, ca);
        Path bare = dir.resolve("bare.yaml");
        Files.writeString(bare, "paths:\n  run-dir: " + dir.resolve("run-bare") + "\n");
        try (TestGateway gw = gateway(chain, key)) {
            String url = "https://127.0.0.1:" + gw.gateway().controlPort();
            StartCommandTest.Run ok = StartCommandTest.run("status", "--config", bare.toString(), "--control-url", url,
                    "--cacert", caPem.toString());
            assertThat(ok.exit()).as(ok.toString()).isZero();
        }

        // a leaf for gw.example.com only, from the same CA: the CA vouches for it, but not for 127.0.0.1
        X509Certificate forName = sign("CN=gw.example.com", leafKeys, "CN=Test CA", caKeys.getPrivate(), false,
                new GeneralName(GeneralName.dNSName, "gw.example.com"), Duration.ofDays(1));
        Path nameChain = pem(dir.resolve("name-chain.pem"), forName, ca);
        try (TestGateway gw = gateway(nameChain, key)) {
            String url = "https://127.0.0.1:" + gw.gateway().controlPort();
            StartCommandTest.Run r = StartCommandTest.run("status", "--config", bare.toString(), "--control-url", url,
                    "--cacert", caPem.toString());
            assertThat(r.exit()).as(r.toString()).isEqualTo(StatusCommand.EXIT_UNKNOWN);
            assertThat(r.err()).contains("does not trust (CN=gw.example.com, it does not name 127.0.0.1)");
        }
    }

    @Test
    void anHttpUrlAtTheTlsPortAndAnHttpsUrlAtAPlainOneSayWhichSchemeToUse() throws Exception {
        SelfSignedCertificate own = new SelfSignedCertificate("gw.example.com");
        Path cert = copy(own, "own");
        Path bare = dir.resolve("bare.yaml");
        Files.writeString(bare, "paths:\n  run-dir: " + dir.resolve("run-bare") + "\n");
        try (TestGateway tls = gateway(cert, dir.resolve("own-key.pem"))) {
            String authority = "127.0.0.1:" + tls.gateway().controlPort();
            for (String command : new String[] {"status", "send", "stop", "reload"}) {
                List<String> args = new java.util.ArrayList<>(List.of(command, "--config", bare.toString(),
                        "--control-url", "http://" + authority));
                if (command.equals("send")) {
                    args.addAll(List.of("--all", "x"));
                }
                StartCommandTest.Run r = StartCommandTest.run(args.toArray(String[]::new));
                assertThat(r.exit()).as(command + ": " + r).isIn(ControlClient.EXIT_NOT_RUNNING, StatusCommand.EXIT_UNKNOWN);
                assertThat(r.err()).as(command).contains("the control port at http://" + authority
                        + " speaks TLS, not plain HTTP: use https://" + authority)
                        .doesNotContain("does not answer").doesNotContain("SIGTERM").doesNotContain("SIGHUP");
            }
        }
        try (TestGateway plain = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n")) {
            String authority = "127.0.0.1:" + plain.gateway().controlPort();
            StartCommandTest.Run r = StartCommandTest.run("status", "--config", bare.toString(),
                    "--control-url", "https://" + authority);
            assertThat(r.exit()).as(r.toString()).isEqualTo(StatusCommand.EXIT_UNKNOWN);
            assertThat(r.err()).contains("the control port at https://" + authority
                    + " speaks plain HTTP, not TLS: use http://" + authority);
        }
    }

    @Test
    void anUnreadableCacertIsAUsageError() throws Exception {
        Path bare = dir.resolve("bare.yaml");
        Files.writeString(bare, "paths:\n  run-dir: " + dir.resolve("run-bare") + "\n");
        StartCommandTest.Run r = StartCommandTest.run("status", "--config", bare.toString(), "--control-url",
                "https://127.0.0.1:1", "--cacert", dir.resolve("missing.pem").toString());
        assertThat(r.exit()).as(r.toString()).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(r.err()).contains("--cacert").contains("missing.pem");
    }
}
