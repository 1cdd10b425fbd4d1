package io.gatewayd.lifecycle;

import io.gatewayd.testing.InstallationTest;
import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Ready;
import io.gatewayd.testing.TempInstallation.Result;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real bin/gatewayctl with an https:// control port serving a self-signed certificate
 * that does not name 127.0.0.1 (the gateway's own certificate, as in production): start -d,
 * status, send and stop all work through the config's tls.cert-file, and a certificate
 * gatewayctl has no reason to trust is reported as such.
 */
class HttpsControlIT extends InstallationTest {
    @Test
    void theWholeLifecycleWorksOverHttpsWithTheGatewaysOwnSelfSignedCertificate() throws Exception {
        SelfSignedCertificate own = new SelfSignedCertificate("gw.example.com");
        Path tls = Files.createDirectories(inst.home().resolve("conf/tls"));
        Files.copy(own.certificate().toPath(), tls.resolve("fullchain.pem"));
        Files.copy(own.privateKey().toPath(), tls.resolve("privkey.pem"));
        // relative paths, as in a packaged config: relative to the installation
        inst.writeConfig(TempInstallation.CONFIG.replace("http://127.0.0.1:0", "https://127.0.0.1:0")
                + "tls:\n  cert-file: conf/tls/fullchain.pem\n  key-file: conf/tls/privkey.pem\n");

        Ready ready = inst.startDaemon("--wait", "60");
        assertThat(ready.control().getScheme()).isEqualTo("https");

        Result status = inst.run("status");
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(status.out()).contains("pid " + ready.pid());

        Result send = inst.run("send", "--all", "hi");
        assertThat(send.exit()).as(send.toString()).isZero();
        assertThat(send.out()).contains("delivered to 0 connections");

        // a certificate gatewayctl has no reason to trust: said so, not "does not answer"
        SelfSignedCertificate other = new SelfSignedCertificate("other.example.com");
        Path bare = dir.resolve("bare.yaml");
        Files.writeString(bare, "paths:\n  run-dir: " + dir.resolve("nothing-here") + "\n");
        Result untrusted = inst.run("status", "--config", bare.toString(), "--control-url",
                ready.control().toString(), "--cacert", other.certificate().getPath());
        assertThat(untrusted.exit()).as(untrusted.toString()).isEqualTo(4);
        assertThat(untrusted.err()).contains("answered with a certificate gatewayctl does not trust "
                + "(CN=gw.example.com, self-signed)").doesNotContain("does not answer");

        Result stop = inst.run("stop");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(stop.out()).contains("stopped (pid " + ready.pid() + ")");
        assertThat(stop.err()).doesNotContain("SIGTERM");
        assertThat(TempInstallation.alive(ready.pid())).isFalse();
    }
}
