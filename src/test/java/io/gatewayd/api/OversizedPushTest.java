package io.gatewayd.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A push bigger than outbound.max-pending-bytes can reach no client: the API refuses it instead
 * of answering "delivered" and closing every recipient as a slow consumer.
 */
class OversizedPushTest {
    static final int MAX_PENDING = 64 * 1024;

    // a body limit above the pending bound is what lets such a message reach the API at all; an
    // ephemeral port, as a control: section replaces TestGateway's and the default port is fixed
    static final String CONFIG = """
            control:
              listen: http://127.0.0.1:0
              max-body-size: 1MiB
            outbound:
              max-pending-bytes: 64KiB
            """;

    @Test
    void aPushNoClientCouldTakeIsRefusedAndNobodyIsDisconnected() {
        try (TestGateway gw = TestGateway.start(CONFIG)) {
            List<WsClient> clients = clients(gw, 3);
            try {
                TestGateway.Response r = gw.post("sendToAll", Map.of("message", "x".repeat(MAX_PENDING + 1)));
                assertThat(r.status()).as(r.body()).isEqualTo(413);
                assertThat(r.errorCode()).isEqualTo("message_too_large");
                assertThat(r.errorMessage())
                        .contains("\"message\" is " + (MAX_PENDING + 1) + " bytes")
                        .contains("outbound.max-pending-bytes (64KiB = 65536 bytes)")
                        .contains("nothing was sent")
                        .contains("at most 65536 bytes, or raise outbound.max-pending-bytes");
                assertThat(r.json().get("error").get("size").asLong()).isEqualTo(MAX_PENDING + 1);
                assertThat(r.json().get("error").get("max_bytes").asLong()).isEqualTo(MAX_PENDING);

                String atTheBound = "y".repeat(MAX_PENDING);
                assertThat(gw.call("sendToAll", Map.of("message", atTheBound)).get("delivered").asInt()).isEqualTo(3);
                for (WsClient c : clients) {
                    assertThat(c.next(Duration.ofSeconds(20))).as("the first thing after the refused push")
                            .isEqualTo(atTheBound);
                }
                assertStillConnected(gw, clients);
            } finally {
                clients.forEach(WsClient::close);
            }
        }
    }

    @Test
    void everyPushMethodAndBinaryMessagesAreRefusedAlike() {
        try (TestGateway gw = TestGateway.start(CONFIG)) {
            List<WsClient> clients = clients(gw, 2);
            try {
                WsClient first = clients.get(0);
                gw.call("bindUid", Map.of("client_id", first.clientId(), "uid", "u1"));
                gw.call("joinGroup", Map.of("client_id", first.clientId(), "group", "g1"));
                String big = "z".repeat(MAX_PENDING + 100);
                for (var call : List.of(
                        Map.entry("sendToClient", Map.of("client_id", first.clientId(), "message", big)),
                        Map.entry("sendToUid", Map.of("uid", "u1", "message", big)),
                        Map.entry("sendToGroup", Map.of("group", "g1", "message", big)),
                        Map.entry("sendToAll", Map.of("client_ids", List.of(first.clientId()), "message", big)))) {
                    TestGateway.Response r = gw.post(call.getKey(), call.getValue());
                    assertThat(r.status()).as(call.getKey() + ": " + r.body()).isEqualTo(413);
                    assertThat(r.errorCode()).isEqualTo("message_too_large");
                }
                String b64 = Base64.getEncoder().encodeToString(new byte[MAX_PENDING + 1]);
                TestGateway.Response r = gw.post("sendToAll", Map.of("message_base64", b64));
                assertThat(r.status()).as(r.body()).isEqualTo(413);
                assertThat(r.errorMessage()).startsWith("\"message_base64\" is " + (MAX_PENDING + 1) + " bytes");

                gw.call("sendToAll", Map.of("message", "after"));
                for (WsClient c : clients) {
                    assertThat(c.next(Duration.ofSeconds(20))).isEqualTo("after");
                }
                assertStillConnected(gw, clients);
            } finally {
                clients.forEach(WsClient::close);
            }
        }
    }

    @Test
    void aBatchRefusesTheOversizedItemAndRunsTheOthers() {
        try (TestGateway gw = TestGateway.start(CONFIG)) {
            List<WsClient> clients = clients(gw, 2);
            try {
                JsonNode items = gw.call("batch", List.of(
                        Map.of("method", "sendToAll", "params", Map.of("message", "x".repeat(MAX_PENDING + 1))),
                        Map.of("method", "sendToAll", "params", Map.of("message", "small"))));
                assertThat(items.get(0).path("error").path("code").asText()).as(items.toString())
                        .isEqualTo("message_too_large");
                assertThat(items.get(0).path("error").path("message").asText()).contains("outbound.max-pending-bytes");
                assertThat(items.get(1).path("result").path("delivered").asInt()).as(items.toString()).isEqualTo(2);
                for (WsClient c : clients) {
                    assertThat(c.next(Duration.ofSeconds(20))).isEqualTo("small");
                }
                assertStillConnected(gw, clients);
            } finally {
                clients.forEach(WsClient::close);
            }
        }
    }

    @Test
    void closeClientWithALastMessageNoPushCouldDeliverIsRefusedAndTheClientStaysOpen() {
        try (TestGateway gw = TestGateway.start(CONFIG)) {
            List<WsClient> clients = clients(gw, 1);
            WsClient c = clients.get(0);
            try {
                TestGateway.Response r = gw.post("closeClient",
                        Map.of("client_id", c.clientId(), "message", "x".repeat(MAX_PENDING + 1)));
                assertThat(r.status()).as(r.body()).isEqualTo(413);
                assertThat(r.errorCode()).isEqualTo("message_too_large");
                assertThat(r.errorMessage())
                        .startsWith("\"message\" is " + (MAX_PENDING + 1) + " bytes")
                        .contains("outbound.max-pending-bytes (64KiB = 65536 bytes)")
                        // one client, which was leaving anyway: not a push's "every recipient would be closed"
                        .contains("the most a client may have waiting, its last message included, so it was not sent;")
                        .doesNotContain("recipient");
                assertThat(r.json().get("error").get("size").asLong()).isEqualTo(MAX_PENDING + 1);
                assertThat(r.json().get("error").get("max_bytes").asLong()).isEqualTo(MAX_PENDING);
                String b64 = Base64.getEncoder().encodeToString(new byte[MAX_PENDING + 1]);
                r = gw.post("closeClient", Map.of("client_id", c.clientId(), "message_base64", b64));
                assertThat(r.status()).as(r.body()).isEqualTo(413);
                assertThat(r.errorMessage()).startsWith("\"message_base64\" is " + (MAX_PENDING + 1) + " bytes");
                // refused whether or not the client is online, as pushes are
                r = gw.post("closeClient", Map.of("client_id", "7f0000010b5400000001", "message", "x".repeat(MAX_PENDING + 1)));
                assertThat(r.status()).as(r.body()).isEqualTo(413);
                assertStillConnected(gw, clients);

                String atTheBound = "y".repeat(MAX_PENDING);
                assertThat(gw.call("closeClient", Map.of("client_id", c.clientId(), "message", atTheBound)).asBoolean())
                        .isTrue();
                assertThat(c.next(Duration.ofSeconds(20))).as("the first thing after the refused closes")
                        .isEqualTo(atTheBound);
                assertThat(c.awaitClose(Duration.ofSeconds(20))).isEqualTo(1000);
            } finally {
                clients.forEach(WsClient::close);
            }
        }
    }

    private static List<WsClient> clients(TestGateway gw, int n) {
        List<WsClient> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            clients.add(gw.client());
        }
        return clients;
    }

    private static void assertStillConnected(TestGateway gw, List<WsClient> clients) {
        assertThat(gw.gateway().stats().slowClientsDropped.sum()).as("clients closed as slow consumers").isZero();
        assertThat(gw.call("getAllClientIdCount", Map.of()).asInt()).isEqualTo(clients.size());
        for (WsClient c : clients) {
            assertThat(c.isClosed()).as(c.clientId() + " closed: " + c.closeReason()).isFalse();
        }
    }
}
