package io.gatewayd.cluster;

import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node restarted quickly (systemd, well within the 30 s in which other nodes remember the
 * copies of a multi-key push) keeps its node id. Its envelopes must not be taken for the ones it
 * sent before the restart: a push to several groups would be dropped as an "already seen" copy.
 */
class ClusterRestartTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @Test
    void aRestartedNodesMultiKeyPushesAreNotDroppedAsCopiesOfItsPushesBeforeTheRestart() {
        // no self-probes during the test: the envelope ids a node uses are then the same in both
        // lives (join probe, hello, then the pushes), which is what made the clash certain
        try (ClusterNodes cluster = new ClusterNodes(REDIS.url(), 2, "  probe-interval: 10m\n  probe-timeout: 10m\n")) {
            WsClient x = cluster.connect(1);
            WsClient y = cluster.connect(1);
            cluster.awaitClientCount(2);
            TestGateway b = cluster.get(1);
            b.call("joinGroup", Map.of("client_id", x.clientId(), "group", "g1"));
            b.call("joinGroup", Map.of("client_id", y.clientId(), "group", "g2"));

            int pushes = 5;
            for (int i = 0; i < pushes; i++) {
                assertThat(cluster.get(0).call("sendToGroup", Map.of("groups", List.of("g1", "g2"),
                        "message", "before " + i)).path("delivered").asLong()).isEqualTo(2);
            }
            TestGateway a = cluster.restart(0);
            for (int i = 0; i < pushes; i++) {
                assertThat(a.call("sendToGroup", Map.of("groups", List.of("g1", "g2"), "message", "after " + i))
                        .path("delivered").asLong()).as("push %d after the restart", i).isEqualTo(2);
            }
            for (WsClient c : List.of(x, y)) {
                List<String> got = new ArrayList<>();
                while (got.size() < 2 * pushes) {
                    got.add(c.next(Duration.ofSeconds(30)));
                }
                assertThat(got).as(c.clientId()).containsExactly("before 0", "before 1", "before 2", "before 3",
                        "before 4", "after 0", "after 1", "after 2", "after 3", "after 4");
            }
        }
    }
}
