package io.gatewayd.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The admin endpoints of a gateway run as a process (in this JVM). */
class GatewayProcessTest {
    private static final String CONFIG = """
            listeners:
              - url: websocket://127.0.0.1:0
            control:
              listen: http://127.0.0.1:0
              tokens: [secret-token]
            welcome:
              message: '{"type":"SERVER_INIT","client_id":"${client_id}","v":1}'
            """;

    @TempDir
    Path home;
    Path config;
    GatewayProcess process;


    @BeforeEach
    void start() throws Exception {
        Files.createDirectories(home.resolve("conf"));
        config = home.resolve("conf/gatewayd.yaml");
        Files.writeString(config, CONFIG);
        process = GatewayProcess.start(new GatewayProcess.Options(home, Map.of(), config, null, "debug",
                Duration.ofSeconds(5), false, null, null));
    }

    @AfterEach
    void stop() {
        process.gateway().stop(Duration.ofSeconds(5));
        process.close();
    }

    private TestGateway.Response post(String method, String json) {
        try {
            var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                                    process.gateway().controlUrl().resolve("/api/" + method))
                            .header("Authorization", "Bearer secret-token")
                            .timeout(Duration.ofSeconds(30))
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            return new TestGateway.Response(r.statusCode(), r.body());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private java.net.URI ws() {
        return java.net.URI.create("ws://127.0.0.1:" + process.gateway().port("websocket") + "/");
    }

    @Test
    void publishesPidAndRuntimeFiles() throws Exception {
        Path pid = home.resolve("run/gatewayd.pid");
        assertThat(Files.readString(pid).trim()).isEqualTo(Long.toString(ProcessHandle.current().pid()));
        RuntimeInfo info = process.pidFile().readRuntime();
        assertThat(info.controlUrl()).isEqualTo(process.gateway().controlUrl().toString());
        assertThat(info.listeners()).isEqualTo(process.gateway().listenerUrls());
        assertThat(Files.readString(process.pidFile().runtimePath())).doesNotContain("secret-token");
    }

    @Test
    void adminEndpointsNeedTheToken() throws Exception {
        var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        process.gateway().controlUrl().resolve("/api/admin/stop"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(process.gateway().state()).isEqualTo(io.gatewayd.Gateway.State.RUNNING);
    }

    @Test
    void reloadAppliesAValidConfigAndRefusesABrokenOneNamingTheKey() throws Exception {
        Files.writeString(config, CONFIG.replace("\"v\":1", "\"v\":2"));
        TestGateway.Response ok = post("admin/reload", "{}");
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.json().path("result").path("config_file").asText()).isEqualTo(config.toString());
        try (WsClient c = WsClient.connect(ws())) {
            assertThat(c.init().path("v").asInt()).isEqualTo(2);
        }

        Files.writeString(config, CONFIG.replace("listen: http://127.0.0.1:0", "listen: http://127.0.0.1:0\n  max-body-size: 1")
                .replace("\"v\":1", "\"v\":3"));
        TestGateway.Response bad = post("admin/reload", "{}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errorCode()).isEqualTo("config_invalid");
        assertThat(bad.errorMessage()).contains("control.max-body-size", "running config stays");
        try (WsClient c = WsClient.connect(ws())) {
            assertThat(c.init().path("v").asInt()).as("old config in force").isEqualTo(2);
        }
    }

    @Test
    void connectionsListsRowsFilteredByUidAndGroup() {
        try (WsClient a = WsClient.connectAndInit(ws()); WsClient b = WsClient.connectAndInit(ws())) {
            assertThat(post("bindUid", "{\"client_id\":\"" + a.clientId() + "\",\"uid\":\"alice\"}").status()).isEqualTo(200);
            assertThat(post("joinGroup", "{\"client_id\":\"" + b.clientId() + "\",\"group\":\"g1\"}").status()).isEqualTo(200);

            JsonNode all = post("admin/connections", "{}").json().path("result");
            assertThat(all.path("total").asInt()).isEqualTo(2);
            JsonNode alice = post("admin/connections", "{\"uid\":\"alice\"}").json().path("result");
            assertThat(alice.path("total").asInt()).isEqualTo(1);
            JsonNode row = alice.path("connections").get(0);
            assertThat(row.path("client_id").asText()).isEqualTo(a.clientId());
            assertThat(row.path("uid").asText()).isEqualTo("alice");
            assertThat(row.path("protocol").asText()).isEqualTo("websocket");
            assertThat(row.path("remote").asText()).startsWith("127.0.0.1:");
            assertThat(row.path("messages_out").asLong()).as("the welcome").isEqualTo(1);
            assertThat(row.has("pending_bytes")).isTrue();
            JsonNode g1 = post("admin/connections", "{\"group\":\"g1\"}").json().path("result");
            assertThat(g1.path("connections").get(0).path("groups").get(0).asText()).isEqualTo("g1");
            JsonNode limited = post("admin/connections", "{\"limit\":1}").json().path("result");
            assertThat(limited.path("shown").asInt()).isEqualTo(1);
            assertThat(limited.path("total").asInt()).isEqualTo(2);
            assertThat(post("admin/connections", "{\"limit\":0}").errorCode()).isEqualTo("invalid_param");
        }
    }

    @Test
    void clientsOfAListenerARemovedByReloadStillShowInStatus() throws Exception {
        try (WsClient c = WsClient.connectAndInit(ws())) {
            Files.writeString(config, CONFIG.replace("websocket://127.0.0.1:0", "text://127.0.0.1:0"));
            assertThat(post("admin/reload", "{}").status()).isEqualTo(200);
            JsonNode listeners = post("status", "{}").json().path("result").path("listeners");
            assertThat(listeners.size()).as(listeners.toString()).isEqualTo(2);
            assertThat(listeners.get(0).path("protocol").asText()).isEqualTo("text");
            assertThat(listeners.get(0).path("connections").asInt()).isZero();
            assertThat(listeners.get(1).path("protocol").asText()).isEqualTo("websocket");
            assertThat(listeners.get(1).path("closed").asBoolean()).isTrue();
            assertThat(listeners.get(1).path("connections").asInt()).as("the client kept across the reload").isEqualTo(1);
        }
    }

    @Test
    void afterAReloadListenersAreListedInTheConfigsOrder() throws Exception {
        Files.writeString(config, CONFIG.replace("  - url: websocket://127.0.0.1:0\n",
                "  - url: frame://127.0.0.1:0\n  - url: websocket://127.0.0.1:0\n  - url: text://127.0.0.1:0\n"));
        TestGateway.Response reload = post("admin/reload", "{}");
        assertThat(reload.status()).as(reload.body()).isEqualTo(200);
        List<String> order = List.of("frame", "websocket", "text");
        List<String> answered = new java.util.ArrayList<>();
        reload.json().path("result").path("listeners").forEach(u -> answered.add(u.asText()));
        assertThat(schemes(answered)).as("the reload's answer, which gatewayctl prints").isEqualTo(order);
        List<String> status = new java.util.ArrayList<>();
        post("status", "{}").json().path("result").path("listeners").forEach(l -> status.add(l.path("protocol").asText()));
        assertThat(status).as("status").isEqualTo(order);
        assertThat(schemes(process.pidFile().readRuntime().listeners())).as("the runtime file").isEqualTo(order);
    }

    private static List<String> schemes(List<String> urls) {
        return urls.stream().map(u -> u.substring(0, u.indexOf(':'))).toList();
    }

    @Test
    void aLimitShowsTheOldestConnections() {
        List<WsClient> clients = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                clients.add(WsClient.connectAndInit(ws()));
            }
            JsonNode all = post("admin/connections", "{}").json().path("result").path("connections");
            assertThat(all.size()).isEqualTo(12);
            List<String> oldestThree = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                oldestThree.add(all.get(i).path("client_id").asText());
            }
            JsonNode limited = post("admin/connections", "{\"limit\":3}").json().path("result");
            assertThat(limited.path("total").asInt()).isEqualTo(12);
            List<String> shown = new java.util.ArrayList<>();
            limited.path("connections").forEach(r -> shown.add(r.path("client_id").asText()));
            assertThat(shown).as("the first rows of the full list, not any three").isEqualTo(oldestThree);
        } finally {
            clients.forEach(WsClient::close);
        }
    }

    @Test
    void adminStopAnswersThenStopsClosingClientsWith1001() {
        try (WsClient c = WsClient.connectAndInit(ws())) {
            TestGateway.Response r = post("admin/stop", "{\"timeout\":5}");
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.json().path("result").path("state").asText()).isEqualTo("stopping");
            assertThat(r.json().path("result").path("connections").asInt()).isEqualTo(1);
            assertThat(c.awaitClose(Duration.ofSeconds(30))).isEqualTo(1001);
            process.terminated().orTimeout(30, TimeUnit.SECONDS).join();
        }
    }
}
