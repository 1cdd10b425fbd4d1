package io.gatewayd.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.routing.MessageTooLargeException;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Nodes with different outbound.max-pending-bytes: a push the sending node's clients can take
 * but another node's cannot is refused there, logged and counted, and none of its clients is
 * closed as a slow consumer.
 */
class ClusterOversizedPushTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @Test
    void aNodeWithASmallerLimitDropsAndCountsThePushInsteadOfClosingItsClients() {
        try (ClusterNodes cluster = ClusterNodes.eachWith(REDIS.url(),
                "outbound:\n  max-pending-bytes: 1MiB\n", "outbound:\n  max-pending-bytes: 64KiB\n")) {
            WsClient onBig = cluster.connect(0);
            WsClient onSmall = cluster.connect(1);
            cluster.awaitClientCount(2);

            String big = "x".repeat(64 * 1024 + 1);
            var router = cluster.get(0).gateway().router();
            router.sendToAll(OutboundMessage.text(big), null, Set.of()).join();
            assertThat(onBig.next(Duration.ofSeconds(20))).as("the node whose clients can take it delivers").isEqualTo(big);
            // to a client by id the owner answers, and its refusal is the caller's answer
            assertThatThrownBy(router.sendToAll(OutboundMessage.text(big), List.of(onSmall.clientId()), Set.of())::join)
                    .cause().isInstanceOf(MessageTooLargeException.class)
                    .hasMessageContaining("outbound.max-pending-bytes of node " + cluster.get(1).gateway().nodeId()
                            + " (64KiB = 65536 bytes)");
            Await.until("node 1 counts the two pushes it could not deliver", ClusterNodes.DEADLINE,
                    () -> cluster.cluster(1).path("messages").path("too_large_dropped").asLong() == 2);

            // the node with the smaller limit refuses before publishing, even to a client on the other node
            var smallRouter = cluster.get(1).gateway().router();
            for (var f : List.of(smallRouter.sendToClient(onBig.clientId(), OutboundMessage.text(big)),
                    smallRouter.sendToAll(OutboundMessage.text(big), List.of(onBig.clientId()), Set.of()),
                    smallRouter.sendToAll(OutboundMessage.text(big), null, Set.of()))) {
                assertThatThrownBy(f::join).cause().isInstanceOf(MessageTooLargeException.class)
                        .hasMessageContaining("outbound.max-pending-bytes (64KiB = 65536 bytes)");
            }
            router.sendToAll(OutboundMessage.text("after"), null, Set.of()).join();
            assertThat(onBig.next(Duration.ofSeconds(20))).as("nothing of the refused pushes reached node 0").isEqualTo("after");
            assertThat(cluster.cluster(0).path("messages").path("too_large_dropped").asLong()).isZero();
            assertThat(onSmall.next(Duration.ofSeconds(20))).as("the first thing after the dropped pushes").isEqualTo("after");
            assertThat(onSmall.isClosed()).as("closed: " + onSmall.closeReason()).isFalse();
            assertThat(cluster.get(1).gateway().stats().slowClientsDropped.sum()).isZero();
            JsonNode count = cluster.get(1).call("getAllClientIdCount", Map.of());
            assertThat(count.asInt()).isEqualTo(2);
        }
    }

    /**
     * sendToClient, sendToAll with client_ids and closeClient on a client of a node with a smaller
     * limit: that node refuses, and the caller gets its refusal (413 naming it and its limit)
     * rather than "delivered": 0 / true, and the client is neither closed nor sent anything.
     */
    @Test
    void theOwnersRefusalOfADirectOperationIsTheCallersAnswer() {
        String control = "control:\n  listen: http://127.0.0.1:0\n  max-body-size: 1MiB\n";
        try (ClusterNodes cluster = ClusterNodes.eachWith(REDIS.url(),
                control + "outbound:\n  max-pending-bytes: 1MiB\n", control + "outbound:\n  max-pending-bytes: 64KiB\n")) {
            WsClient onBig = cluster.connect(0);
            WsClient onSmall = cluster.connect(1);
            cluster.awaitClientCount(2);
            TestGateway big = cluster.get(0);
            String small = cluster.get(1).gateway().nodeId();
            String message = "x".repeat(64 * 1024 + 1);

            for (var call : List.of(
                    Map.entry("sendToClient", Map.of("client_id", onSmall.clientId(), "message", message)),
                    Map.entry("closeClient", Map.of("client_id", onSmall.clientId(), "message", message)))) {
                TestGateway.Response r = big.post(call.getKey(), call.getValue());
                assertThat(r.status()).as(call.getKey() + ": " + r.body()).isEqualTo(413);
                assertThat(r.errorCode()).isEqualTo("message_too_large");
                assertThat(r.errorMessage()).startsWith("\"message\" is 65537 bytes, more than "
                        + "outbound.max-pending-bytes of node " + small + " (64KiB = 65536 bytes)");
                JsonNode err = r.json().get("error");
                assertThat(err.get("size").asLong()).isEqualTo(64 * 1024 + 1);
                assertThat(err.get("max_bytes").asLong()).isEqualTo(64 * 1024);
                assertThat(err.get("node").asText()).isEqualTo(small);
                assertThat(err.get("delivered").asLong()).isZero();
                assertThat(r.errorMessage()).as(call.getKey()).contains(call.getKey().equals("closeClient")
                        ? "its last message included, so that node did not send it;"
                        : "its recipients would be closed as slow consumers, so that node sent nothing;");
            }
            // the owner answers for its clients only: what went to the others stands and is said
            TestGateway.Response r = big.post("sendToAll",
                    Map.of("client_ids", List.of(onBig.clientId(), onSmall.clientId()), "message", message));
            assertThat(r.status()).as(r.body()).isEqualTo(413);
            assertThat(r.json().get("error").get("delivered").asLong()).as(r.body()).isEqualTo(1);
            assertThat(r.errorMessage()).contains("(1 connection(s) on other nodes got the message)");
            assertThat(onBig.next(Duration.ofSeconds(20))).isEqualTo(message);

            // the node that takes the call refuses by its own limit before asking the owner
            r = cluster.get(1).post("closeClient", Map.of("client_id", onBig.clientId(), "message", message));
            assertThat(r.status()).as(r.body()).isEqualTo(413);
            assertThat(r.errorMessage()).contains("outbound.max-pending-bytes (64KiB = 65536 bytes)")
                    .contains("its last message included, so it was not sent;").doesNotContain("recipient");
            assertThat(r.json().get("error").has("node")).isFalse();

            big.call("sendToAll", Map.of("message", "after"));
            for (WsClient c : List.of(onBig, onSmall)) {
                assertThat(c.next(Duration.ofSeconds(20))).as("the first thing after the refusals").isEqualTo("after");
                assertThat(c.isClosed()).as("closed: " + c.closeReason()).isFalse();
            }
            assertThat(cluster.get(1).gateway().stats().slowClientsDropped.sum()).isZero();
            assertThat(big.call("closeClient", Map.of("client_id", onSmall.clientId(), "message", "bye")).asBoolean())
                    .isTrue();
            assertThat(onSmall.next(Duration.ofSeconds(20))).isEqualTo("bye");
            assertThat(onSmall.awaitClose(Duration.ofSeconds(20))).isEqualTo(1000);
        }
    }
}
