package io.gatewayd.cluster;

import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cluster.share-event-loops: true}: Lettuce's connections live on the gateway's client
 * loops, so Redis replies, delivery reports and published messages are handled on the same
 * threads that serve clients and the control port. Bind-then-push across nodes, pushes to a uid,
 * a group and everyone, and a query over every node's mirror must work as with a Redis thread of
 * its own, and no call may wait on a loop for a reply that loop would have to read.
 */
class ClusterSharedLoopsTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @Test
    void pushesAndQueriesWorkWithRedisOnTheClientLoops() {
        try (ClusterNodes cluster = new ClusterNodes(REDIS.url(), 2, "  share-event-loops: true\n")) {
            for (int n = 0; n < 2; n++) {
                assertThat(cluster.cluster(n).path("redis").path("shares_event_loops").asBoolean())
                        .as("node %d runs Redis on its client loops", n).isTrue();
            }
            WsClient a = cluster.connect(0);
            WsClient b = cluster.connect(1);
            cluster.awaitClientCount(2);

            for (int k = 0; k < 20; k++) { // bound through one node, pushed through the other, at once
                String uid = "shared-" + k;
                assertThat(cluster.get(0).call("bindUid", Map.of("client_id", b.clientId(), "uid", uid)).asBoolean())
                        .isTrue();
                assertThat(cluster.get(1).call("sendToUid", Map.of("uid", uid, "message", "u" + k))
                        .path("delivered").asLong()).isEqualTo(1);
                assertThat(b.next()).isEqualTo("u" + k);
            }
            assertThat(cluster.get(1).call("joinGroup", Map.of("client_id", a.clientId(), "group", "g")).asBoolean())
                    .isTrue();
            assertThat(cluster.get(1).call("sendToGroup", Map.of("group", "g", "message", "to-g"))
                    .path("delivered").asLong()).isEqualTo(1);
            assertThat(a.next()).isEqualTo("to-g");

            assertThat(cluster.get(0).call("sendToAll", Map.of("message", "all")).path("delivered").asLong())
                    .isEqualTo(2);
            assertThat(a.next()).isEqualTo("all");
            assertThat(b.next()).isEqualTo("all");

            assertThat(cluster.get(0).call("getClientIdByUid", Map.of("uid", "shared-19")).toString())
                    .isEqualTo("[\"" + b.clientId() + "\"]");
            assertThat(cluster.get(1).call("getAllClientIdCount", Map.of()).asInt()).isEqualTo(2);
        }
    }
}
