package io.gatewayd.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class WebSocketClientTest {
    static TestGateway gw;

    @BeforeAll
    static void start() {
        gw = TestGateway.start();
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void everyClientGetsServerInitWithAWellFormedClientIdOfThisNode() {
        try (WsClient c = WsClient.connect(gw.wsUri())) {
            JsonNode init = c.init();
            assertThat(init.get("type").asText()).isEqualTo("SERVER_INIT");
            assertThat(init.get("client_id").asText()).matches("[0-9a-f]{20}");
            assertThat(init.get("client_id").asText()).startsWith(gw.gateway().nodeId());
            long now = System.currentTimeMillis() / 1000;
            assertThat(init.get("timestamp").asLong()).isBetween(now - 60, now + 1);
        }
    }

    @Test
    void clientIdsAreRandomNotCounted() {
        Set<Long> connectionParts = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            try (WsClient c = gw.client()) {
                connectionParts.add(Long.parseLong(c.clientId().substring(12), 16));
            }
        }
        assertThat(connectionParts).hasSize(8);
        long spread = connectionParts.stream().mapToLong(Long::longValue).max().getAsLong()
                - connectionParts.stream().mapToLong(Long::longValue).min().getAsLong();
        assertThat(spread).as("a counter would give consecutive ids").isGreaterThan(1000);
    }

    @Test
    void anyRequestPathIsAccepted() {
        try (WsClient c = WsClient.connectAndInit(gw.wsUri("/some/app/path?x=1"))) {
            assertThat(c.clientId()).hasSize(20);
        }
    }

    @Test
    void aTypedJsonMessageIsEchoedWithClientIdAndTimestamp() {
        try (WsClient c = gw.client()) {
            c.send("{\"type\":\"MANAGE_HEARTBEAT\"}");
            JsonNode reply = c.nextJson();
            assertThat(reply.get("type").asText()).isEqualTo("MANAGE_HEARTBEAT");
            assertThat(reply.get("client_id").asText()).isEqualTo(c.clientId());
            assertThat(reply.get("timestamp").isIntegralNumber()).isTrue();
        }
    }

    @Test
    void emojiArriveAsUtf8TextNotAsSurrogateEscapes() {
        try (WsClient c = gw.client()) {
            c.send("{\"type\":\"\uD83D\uDE00\"}"); // an emoji type, echoed
            assertThat(c.next()).contains("\"type\":\"\uD83D\uDE00\"").doesNotContain("\\u");
            gw.call("sendToClient", java.util.Map.of("client_id", c.clientId(), "message",
                    java.util.Map.of("t", "\uD83D\uDE00")));
            assertThat(c.next()).isEqualTo("{\"t\":\"\uD83D\uDE00\"}");
        }
    }

    @Test
    void messagesWithoutTypeOrNotJsonAreIgnored() {
        try (WsClient c = gw.client()) {
            c.send("hello");
            c.send("{\"content\":\"no type\"}");
            c.send("{\"type\":\"BROKEN\""); // truncated JSON
            c.send("{\"type\":{\"nested\":true}}");
            JsonNode reply = c.nextJson();
            assertThat(reply.get("type").get("nested").asBoolean())
                    .as("only the last message is answered, with its type value as is").isTrue();
        }
    }

    @Test
    void pushedTextAndBinaryMessagesArrive() {
        try (WsClient c = gw.client()) {
            gw.call("sendToClient", Map.of("client_id", c.clientId(), "message", "plain text"));
            assertThat(c.next()).isEqualTo("plain text");
            gw.call("sendToClient", Map.of("client_id", c.clientId(), "message", new java.util.TreeMap<>(Map.of("type", "X", "n", 1))));
            assertThat(c.next()).as("JSON values travel as compact JSON").isEqualTo("{\"n\":1,\"type\":\"X\"}");
            gw.call("sendToClient", Map.of("client_id", c.clientId(), "message_base64", "AAEC"));
            assertThat(c.next()).isEqualTo("binary:AAEC");
        }
    }

    @Test
    void aFrameOverTheLimitClosesWith1009() {
        try (TestGateway small = TestGateway.start("""
                listeners:
                  - url: websocket://127.0.0.1:0
                    max-frame-size: 1KiB
                """);
             WsClient c = small.client()) {
            c.send("x".repeat(2000));
            assertThat(c.awaitClose(Duration.ofSeconds(10))).isEqualTo(1009);
            io.gatewayd.testing.Await.until("the client leaves the registry", () -> small.gateway().registry().size() == 0);
        }
    }
}
