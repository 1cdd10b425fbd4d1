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
        try (ClusterNodes cluster = new ClusterNodes(List.of(), null)) {
            cluster.nodes.add(TestGateway.start(ClusterNodes.yaml(REDIS.url(), cluster.prefix, null)
                    + "outbound:\n  max-pending-bytes: 1MiB\n"));
            cluster.nodes.add(TestGateway.start(ClusterNodes.yaml(REDIS.url(), cluster.prefix, null)
                    + "outbound:\n  max-pending-bytes: 64KiB\n"));
            cluster.awaitFormed();
            WsClient onBig = cluster.connect(0);
            WsClient onSmall = cluster.connect(1);
            cluster.awaitClientCount(2);

            String big = "x".repeat(64 * 1024 + 1);
            var router = cluster.get(0).gateway().router();
            router.sendToAll(OutboundMessage.text(big), null, Set.of()).join();
            assertThat(onBig.next(Duration.ofSeconds(20))).as("the node whose clients can take it delivers").isEqualTo(big);
            router.sendToAll(OutboundMessage.text(big), List.of(onSmall.clientId()), Set.of()).join();
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
}
