package io.gatewayd.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a cluster does when Redis goes away: local clients keep being served, cluster-wide calls
 * answer 503 cluster_unavailable with what was delivered locally, /health says degraded; when
 * Redis is back everything flows again, nothing from the outage arrives late or twice, and a
 * retry with the same msg_id reaches only the clients that missed it. A killed subscription
 * (CLIENT KILL TYPE pubsub) is noticed and rebuilt.
 */
class ClusterFailureTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    private static JsonNode get(java.net.URI base, String path) {
        try {
            var r = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(base.resolve(path))
                    .timeout(Duration.ofSeconds(20)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return WsClient.json(r.body());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Sends a sentinel from the client's own node and returns what came before it, sorted. */
    private static List<String> drain(TestGateway own, WsClient c) {
        String sentinel = "sentinel-" + UUID.randomUUID();
        own.call("sendToClient", Map.of("client_id", c.clientId(), "message", sentinel));
        List<String> got = new ArrayList<>();
        for (String m = c.next(Duration.ofSeconds(30)); !m.equals(sentinel); m = c.next(Duration.ofSeconds(30))) {
            got.add(m);
        }
        Collections.sort(got);
        return got;
    }

    @Test
    void redisRestartDegradesThenRecoversWithoutLateOrDoubleDelivery() throws Exception {
        try (ClusterNodes cluster = new ClusterNodes(REDIS.url(), 3, null)) {
            TestGateway n0 = cluster.get(0);
            TestGateway n1 = cluster.get(1);
            TestGateway n2 = cluster.get(2);
            WsClient c0 = cluster.connect(0);
            WsClient c1 = cluster.connect(1);
            WsClient c2 = cluster.connect(2);
            n0.call("bindUid", Map.of("client_id", c1.clientId(), "uid", "u1"));
            assertThat(n0.call("sendToAll", Map.of("message", "before")).path("delivered").asInt()).isEqualTo(3);

            REDIS.stop();
            cluster.awaitHealth("degraded");
            TestGateway.Response health = n0.get("/health");
            assertThat(health.status()).isEqualTo(200);
            assertThat(n0.get("/api/status").json().at("/result/cluster/redis/state").asText()).isEqualTo("down");

            // local work goes on
            assertThat(n0.call("sendToClient", Map.of("client_id", c0.clientId(), "message", "local-during"))
                    .path("delivered").asInt()).isEqualTo(1);
            String msgId = "retry-" + UUID.randomUUID();
            TestGateway.Response r = n0.post("sendToAll", Map.of("message", "outage", "msg_id", msgId));
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.errorCode()).isEqualTo("cluster_unavailable");
            assertThat(r.json().at("/error/delivered_local").asInt()).isEqualTo(1);
            assertThat(r.errorMessage()).contains("msg_id");
            r = n1.post("sendToUid", Map.of("uid", "u1", "message", "during-u1"));
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.json().at("/error/delivered_local").asInt()).isEqualTo(1);
            r = n0.post("sendToClient", Map.of("client_id", c2.clientId(), "message", "never"));
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.json().at("/error/delivered_local").asInt()).isZero();
            r = n0.post("getAllClientIdCount", Map.of());
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.errorCode()).isEqualTo("cluster_unavailable");
            r = n0.post("bindUid", Map.of("client_id", c2.clientId(), "uid", "x"));
            assertThat(r.status()).as("an operation on another node's client").isEqualTo(503);

            REDIS.start(); // empty: no persistence
            cluster.awaitFormed();
            cluster.awaitHealth("ok");

            // the backend retries the failed push (to another node) with the same msg_id: the
            // client that already got it is skipped, the others get it now
            JsonNode retry = n2.call("sendToAll", Map.of("message", "outage", "msg_id", msgId));
            assertThat(retry.path("delivered").asInt()).isEqualTo(2);
            assertThat(n1.call("sendToAll", Map.of("message", "after")).path("delivered").asInt()).isEqualTo(3);
            assertThat(n2.call("sendToUid", Map.of("uid", "u1", "message", "u1-after")).path("delivered").asInt())
                    .as("the mirror and the uid subscription were rebuilt").isEqualTo(1);
            assertThat(n2.call("getAllClientIdCount", Map.of()).asInt()).isEqualTo(3);

            assertThat(drain(n0, c0)).containsExactly("after", "before", "local-during", "outage");
            assertThat(drain(n1, c1)).containsExactly("after", "before", "during-u1", "outage", "u1-after");
            assertThat(drain(n2, c2)).containsExactly("after", "before", "outage");
            JsonNode st = cluster.cluster(0);
            assertThat(st.at("/redis/outages").asLong()).isGreaterThanOrEqualTo(1);
            assertThat(st.at("/redis/last_outage_ms").asLong()).isPositive();
        }
    }

    @Test
    void aSecondLiveProcessWithTheSameNodeIdIsRefusedUntilTheFirstIsGone() throws Exception {
        String prefix = "dup" + UUID.randomUUID().toString().substring(0, 6);
        String cluster = ClusterNodes.yaml(REDIS.url(), prefix, null);
        TestGateway first = TestGateway.start("node:\n  lan-ip: 127.0.0.1\ncontrol:\n  listen: http://127.0.0.1:0\n"
                + cluster);
        TestGateway second = null;
        try {
            // same lan-ip and control port (on another loopback address): the same node id
            int port = first.gateway().controlPort();
            Await.until("the first joins", ClusterNodes.DEADLINE,
                    () -> "ok".equals(first.get("/health").json().path("status").asText()));
            second = TestGateway.start("node:\n  lan-ip: 127.0.0.1\ncontrol:\n  listen: http://127.0.0.2:" + port
                    + "\n" + cluster);
            TestGateway two = second;
            assertThat(two.gateway().nodeId()).isEqualTo(first.gateway().nodeId());
            // TestGateway's helpers call 127.0.0.1, which is the first one: ask the second directly
            java.net.URI secondUrl = two.gateway().controlUrl();
            Await.until("the second says why it does not join", ClusterNodes.DEADLINE,
                    () -> get(secondUrl, "/api/status").at("/result/cluster/redis/error").asText("")
                            .contains("another live gatewayd already uses node id"));
            assertThat(get(secondUrl, "/health").path("status").asText()).isEqualTo("degraded");
            assertThat(first.get("/health").json().path("status").asText()).isEqualTo("ok");
            first.close();
            Await.until("the second joins once the first is gone", ClusterNodes.DEADLINE,
                    () -> "ok".equals(get(secondUrl, "/health").path("status").asText()));
        } finally {
            first.close();
            if (second != null) {
                second.close();
            }
        }
    }

    @Test
    void aPushRedisDoesNotConfirmIsA503AndARetryWithItsMsgIdReachesEachClientOnce() throws Exception {
        // ack-timeout below command-timeout: the push gives up while the PUBLISH is still in
        // Redis' hands (stalled, not disconnected); it used to answer 200 with no remote node
        try (ClusterNodes cluster = new ClusterNodes(REDIS.url(), 2, "ack-timeout: 1s\ncommand-timeout: 5s")) {
            TestGateway n0 = cluster.get(0);
            TestGateway n1 = cluster.get(1);
            WsClient c0 = cluster.connect(0);
            WsClient c1 = cluster.connect(1);
            String msgId = "stall-" + UUID.randomUUID();
            assertThat(REDIS.command("CLIENT", "PAUSE", "2500", "WRITE")).isEqualTo("OK"); // PUBLISH waits
            TestGateway.Response r = n0.post("sendToAll", Map.of("message", "stall", "msg_id", msgId));
            assertThat(r.status()).as(r.toString()).isEqualTo(503);
            assertThat(r.errorCode()).isEqualTo("cluster_unavailable");
            assertThat(r.json().at("/error/delivered_local").asInt()).isEqualTo(1);
            assertThat(r.errorMessage()).contains("did not confirm the publish").contains("late").contains("msg_id");

            REDIS.command("SET", "paused-until", "now"); // a write: answered once the pause is over
            cluster.awaitFormed();
            cluster.awaitHealth("ok");
            JsonNode retry = n1.call("sendToAll", Map.of("message", "stall", "msg_id", msgId));
            assertThat(retry.path("delivered").asInt()).as("the node that delivered it skips the retry")
                    .isLessThanOrEqualTo(1);
            assertThat(drain(n0, c0)).as("delivered once on the node that took the call").containsExactly("stall");
            assertThat(drain(n1, c1)).as("late or by the retry, but once").containsExactly("stall");
        }
    }

    @Test
    void aKilledSubscriptionIsNoticedAndRebuilt() throws Exception {
        try (ClusterNodes cluster = new ClusterNodes(REDIS.url(), 3, null)) {
            WsClient c2 = cluster.connect(2);
            cluster.get(1).call("bindUid", Map.of("client_id", c2.clientId(), "uid", "k"));
            long[] before = new long[3];
            for (int n = 0; n < 3; n++) {
                before[n] = cluster.cluster(n).at("/probe/resubscribes").asLong();
            }
            String killed = REDIS.command("CLIENT", "KILL", "TYPE", "pubsub");
            assertThat(Integer.parseInt(killed)).isGreaterThanOrEqualTo(3);
            for (int n = 0; n < 3; n++) {
                int node = n;
                Await.until("node " + n + " resubscribed", ClusterNodes.DEADLINE,
                        () -> cluster.cluster(node).at("/probe/resubscribes").asLong() > before[node]);
            }
            cluster.awaitFormed();
            assertThat(cluster.get(0).call("sendToUid", Map.of("uid", "k", "message", "again")).path("delivered").asInt())
                    .isEqualTo(1);
            assertThat(c2.next()).isEqualTo("again");
            assertThat(cluster.get(0).call("sendToAll", Map.of("message", "all")).path("delivered").asInt()).isEqualTo(1);
            assertThat(drain(cluster.get(2), c2)).containsExactly("all");
        }
    }
}
