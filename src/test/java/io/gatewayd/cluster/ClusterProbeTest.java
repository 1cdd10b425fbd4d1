package io.gatewayd.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TcpProxy;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A subscription that dies silently (the connection stays open, nothing arrives: a known
 * Centrifugo failure behind broken middleboxes) is found by the self-probe and rebuilt. While it
 * is dead, a scatter-gather query says which node is missing instead of answering short.
 */
class ClusterProbeTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @Test
    void aSilentlyDeadSubscriptionIsFoundByTheProbeAndQueriesSayPartial() throws Exception {
        try (TcpProxy proxy = new TcpProxy(REDIS.port());
             ClusterNodes cluster = new ClusterNodes(List.of(REDIS.url(), REDIS.url(),
                     "redis://127.0.0.1:" + proxy.port() + "/0"),
                     // query-timeout: what the healthy node 1 has to answer in on a loaded box;
                     // probe-timeout: node 2 must stay frozen past the whole query, and a probe
                     // sent just before the freeze fails a probe-timeout after it (4s left 3 s)
                     "  probe-interval: 1s\n  probe-timeout: 10s\n  query-timeout: 3s\n")) {
            WsClient c2 = cluster.connect(2);
            TestGateway n0 = cluster.get(0);
            String node2 = cluster.get(2).gateway().nodeId();
            n0.call("setSession", Map.of("client_id", c2.clientId(), "session", Map.of("a", 1)));
            long failedBefore = cluster.cluster(2).at("/probe/failed").asLong();

            assertThat(proxy.freezeSubscribers()).isEqualTo(1);
            TestGateway.Response r = n0.post("getAllClientSessions", Map.of());
            assertThat(r.status()).isEqualTo(200);
            JsonNode body = r.json();
            assertThat(body.path("partial").asBoolean()).as(body.toString()).isTrue();
            assertThat(body.path("missing_nodes").toString()).isEqualTo("[\"" + node2 + "\"]");
            assertThat(body.path("result").has(c2.clientId())).isFalse();

            Await.until("node 2's probe notices", ClusterNodes.DEADLINE,
                    () -> cluster.cluster(2).at("/probe/failed").asLong() > failedBefore);
            cluster.awaitFormed();
            assertThat(n0.call("sendToClient", Map.of("client_id", c2.clientId(), "message", "through"))
                    .path("delivered").asInt()).isEqualTo(1);
            assertThat(c2.next()).isEqualTo("through");
            body = n0.post("getAllClientSessions", Map.of()).json();
            assertThat(body.has("partial")).isFalse();
            assertThat(body.at("/result/" + c2.clientId() + "/a").asInt()).isEqualTo(1);
        }
    }
}
