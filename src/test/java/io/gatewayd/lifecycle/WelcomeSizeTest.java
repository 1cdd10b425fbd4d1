package io.gatewayd.lifecycle;

import io.gatewayd.config.ConfigException;
import io.gatewayd.config.ConfigLoader;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A welcome message is written outside the pushes' size check, so one that can render larger than
 * outbound.max-pending-bytes is refused with the config: at load and at reload (which keeps the
 * running config).
 */
class WelcomeSizeTest {
    /** Every placeholder, at its longest: 20 + 16 + 55 + 5 + "websocket://127.0.0.1:65535" (27). */
    private static final int PLACEHOLDERS = 20 + 16 + 55 + 5 + 27;
    private static final String HEAD = "{\"id\":\"${client_id}\",\"at\":${timestamp},\"ip\":\"${remote_ip}\","
            + "\"port\":${remote_port},\"via\":\"${listener}\",\"v\":";

    @TempDir
    Path home;

    /** A template of exactly {@code bytes} once every placeholder is at its longest. */
    private static String welcome(String version, int bytes) {
        String open = HEAD + version + ",\"pad\":\"";
        int literal = bytes - PLACEHOLDERS;
        return open + "x".repeat(literal - open.length() + "${client_id}${timestamp}${remote_ip}${remote_port}${listener}".length() - 2) + "\"}";
    }

    private static String config(String welcome) {
        return """
                listeners:
                  - url: websocket://127.0.0.1:0
                  - url: text://127.0.0.1:0
                    welcome: false
                control:
                  listen: http://127.0.0.1:0
                  tokens: [secret-token]
                outbound:
                  max-pending-bytes: 1KiB
                welcome:
                  message: '%s'
                """.formatted(welcome);
    }

    @Test
    void aWelcomeThatCanRenderPastThePendingBoundIsRefusedAtLoadNamingKeyFileSizeAndLimit() throws Exception {
        Path file = home.resolve("gatewayd.yaml");
        Files.writeString(file, config(welcome("1", 1024)));
        assertThat(new ConfigLoader(Map.of()).load(file).welcome().message()).as("exactly at the bound")
                .contains("\"v\":1");

        Files.writeString(file, config(welcome("1", 1025)));
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":11: welcome.message can be 1025 bytes once its placeholders are "
                        + "filled in (" + (1025 - PLACEHOLDERS) + " bytes of text, ${client_id} up to 20, "
                        + "${timestamp} up to 16, ${remote_ip} up to 55, ${remote_port} up to 5, ${listener} up to 27)")
                .hasMessageContaining("more than outbound.max-pending-bytes (1KiB = 1024 bytes)")
                .hasMessageContaining("Shorten its text to at most " + (1024 - PLACEHOLDERS) + " bytes, raise "
                        + "outbound.max-pending-bytes to at least 1025 bytes, or turn the welcome off with "
                        + "welcome.enabled: false");

        Files.writeString(file, config(welcome("1", 1025)).replace("welcome:\n", "welcome:\n  enabled: false\n"));
        assertThat(new ConfigLoader(Map.of()).load(file).welcome().enabled()).as("no client gets it").isFalse();
    }

    @Test
    void aReloadWithAWelcomeTooLargeIsRefusedAndTheRunningWelcomeStays() throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Path file = home.resolve("conf/gatewayd.yaml");
        Files.writeString(file, config(welcome("1", 1024)));
        GatewayProcess process = GatewayProcess.start(new GatewayProcess.Options(home, Map.of(), file, null, "info",
                Duration.ofSeconds(5), false, null, null));
        try {
            Files.writeString(file, config(welcome("2", 4096)));
            TestGateway.Response bad = post(process, "admin/reload");
            assertThat(bad.status()).as(bad.body()).isEqualTo(400);
            assertThat(bad.errorCode()).isEqualTo("config_invalid");
            assertThat(bad.errorMessage()).contains(file + ":11: welcome.message can be 4096 bytes",
                    "outbound.max-pending-bytes (1KiB = 1024 bytes)", "running config stays");
            java.net.URI ws = java.net.URI.create("ws://127.0.0.1:" + process.gateway().port("websocket") + "/");
            try (WsClient c = WsClient.connect(ws)) {
                assertThat(WsClient.json(c.next(Duration.ofSeconds(20))).path("v").asInt()).as("the welcome in force before the reload").isEqualTo(1);
            }
        } finally {
            process.gateway().stop(Duration.ofSeconds(5));
            process.close();
        }
    }

    private static TestGateway.Response post(GatewayProcess process, String method) throws Exception {
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                                process.gateway().controlUrl().resolve("/api/" + method))
                        .header("Authorization", "Bearer secret-token")
                        .timeout(Duration.ofSeconds(30))
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return new TestGateway.Response(r.statusCode(), r.body());
    }
}
