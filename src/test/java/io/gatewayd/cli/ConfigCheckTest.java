package io.gatewayd.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gatewayctl config check} prints the effective config without any secret in it. */
class ConfigCheckTest {
    @Test
    void secretsAndUrlCredentialsAreMasked(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("gw.yaml");
        Files.writeString(f, """
                control:
                  tokens: [tok-sekrit-1]
                cluster:
                  redis: "redis://app:redis-pw-1@127.0.0.1:6379/0"
                webhooks:
                  url: "http://hook:hook-pw-1@127.0.0.1:8080/gatewayd"
                  secret: "webhook-signing-secret-0123456789abcdef"
                """);
        StartCommandTest.Run r = StartCommandTest.run("config", "check", "--config", f.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("redis://app:***@127.0.0.1:6379/0").contains("http://hook:***@127.0.0.1:8080")
                .doesNotContain("tok-sekrit-1").doesNotContain("webhook-signing-secret").doesNotContain("redis-pw-1").doesNotContain("hook-pw-1");
    }

    @Test
    void aRedisUrlWithOnlyAPasswordIsMaskedToo(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("gw.yaml");
        Files.writeString(f, "cluster:\n  redis: \"redis://redis-pw-2@127.0.0.1:6379/0\"\n");
        StartCommandTest.Run r = StartCommandTest.run("config", "check", "--config", f.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("redis://***@127.0.0.1:6379/0").doesNotContain("redis-pw-2");
    }

    @Test
    void aCertificateFileThatIsNotThereIsAConfigError(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("gw.yaml");
        Files.writeString(f, "listeners:\n  - url: wss://127.0.0.1:8443\ntls:\n  cert-file: " + dir.resolve("nope.pem")
                + "\n  key-file: " + dir.resolve("nope.key") + "\n");
        StartCommandTest.Run r = StartCommandTest.run("config", "check", "--config", f.toString());
        assertThat(r.exit()).as("start would refuse it: " + r.out()).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(r.err()).contains("tls.cert-file").contains("nope.pem").contains("does not exist")
                .doesNotContain("Exception");
    }
}
