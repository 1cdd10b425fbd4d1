package io.gatewayd.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.InstallationTest;
import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Result;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Relative tls.cert-file/key-file are relative to the installation directory for the gateway
 * and for gatewayctl alike, wherever each is started: a foreground start from another directory
 * that holds a different certificate under the same relative path still serves the
 * installation's, and gatewayctl run from a third directory trusts it and reloads it. A cron
 * exec job without dir runs there too, as under a daemon.
 */
class RelativeTlsPathsIT extends InstallationTest {
    @Test
    void relativeCertificatePathsAreRelativeToTheInstallationForTheGatewayAndGatewayctl() throws Exception {
        writeCert(inst.home(), new SelfSignedCertificate("home.example.com"));
        Path elsewhere = Files.createDirectories(dir.resolve("elsewhere"));
        writeCert(elsewhere, new SelfSignedCertificate("elsewhere.example.com"));
        Path third = Files.createDirectories(dir.resolve("third"));
        inst.writeConfig(TempInstallation.CONFIG.replace("http://127.0.0.1:0", "https://127.0.0.1:0")
                + "tls:\n  cert-file: conf/tls/fullchain.pem\n  key-file: conf/tls/privkey.pem\n"
                + "cron:\n  - name: where\n    schedule: \"@yearly\"\n    exec:\n      command: [\"sh\", \"-c\", \"pwd > ran-here\"]\n");

        Path out = dir.resolve("foreground.out");
        Process gateway = inst.spawnIn(elsewhere, out, "start");
        Await.until("the foreground gateway to write its pid file", Duration.ofSeconds(90),
                () -> Files.exists(inst.pidFile()) || !gateway.isAlive());
        assertThat(gateway.isAlive()).as(Files.readString(out)).isTrue();

        Result status = inst.runIn(third, "status", "--json");
        assertThat(status.exit()).as(status.toString()).isZero();
        JsonNode tls = new ObjectMapper().readTree(status.out()).path("tls");
        assertThat(tls.path("subject").asText()).as(status.out()).isEqualTo("CN=home.example.com");
        assertThat(tls.path("cert_file").asText())
                .isEqualTo(inst.home().resolve("conf/tls/fullchain.pem").toString());

        Result cron = inst.runIn(third, "cron", "run", "where", "--wait");
        assertThat(cron.exit()).as(cron.toString()).isZero();
        assertThat(elsewhere.resolve("ran-here")).doesNotExist();
        assertThat(Files.readString(inst.home().resolve("ran-here")).trim())
                .isEqualTo(inst.home().toRealPath().toString());

        Result reload = inst.runIn(third, "reload");
        assertThat(reload.exit()).as(reload.toString()).isZero();

        Result stop = inst.runIn(third, "stop");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        Await.until("the foreground gateway to exit", Duration.ofSeconds(60), () -> !gateway.isAlive());
    }

    private static void writeCert(Path base, SelfSignedCertificate c) throws Exception {
        Path tls = Files.createDirectories(base.resolve("conf/tls"));
        Files.copy(c.certificate().toPath(), tls.resolve("fullchain.pem"));
        Files.copy(c.privateKey().toPath(), tls.resolve("privkey.pem"));
    }
}
