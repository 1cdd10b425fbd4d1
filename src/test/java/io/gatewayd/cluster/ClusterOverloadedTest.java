package io.gatewayd.cluster;

import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.routing.Router;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TcpProxy;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node already waiting for as many answers from other nodes as it keeps (here: a peer whose
 * subscription is silently dead, so nothing it is asked is answered) refuses what needs another
 * node's answer with 503 overloaded, as a single node whose queues are full does, not with
 * cluster_unavailable: Redis and the cluster are fine, and a retry later helps.
 */
class ClusterOverloadedTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @Test
    void theCallingNodeWithTooManyAnswersPendingAnswersOverloaded() throws Exception {
        try (TcpProxy proxy = new TcpProxy(REDIS.port());
             ClusterNodes cluster = new ClusterNodes(List.of(REDIS.url(), "redis://127.0.0.1:" + proxy.port() + "/0"),
                     // the frozen node must not notice and resubscribe, and what it was asked must
                     // stay pending for the whole test
                     "  probe-interval: 10m\n  probe-timeout: 10m\n  ack-timeout: 2m\n")) {
            WsClient here = cluster.connect(0);
            WsClient there = cluster.connect(1);
            cluster.awaitClientCount(2);
            TestGateway a = cluster.get(0);
            Cluster node = ((ClusterRouter) a.gateway().router()).cluster();
            node.maxPending = 2;

            assertThat(proxy.freezeSubscribers()).isEqualTo(1);
            List<CompletableFuture<Router.Delivered>> unanswered = new ArrayList<>();
            for (int i = 0; i < node.maxPending; i++) {
                unanswered.add(a.gateway().router().sendToClient(there.clientId(), OutboundMessage.text("lost " + i)));
            }
            Await.until("node 0 waits for " + node.maxPending + " answers", ClusterNodes.DEADLINE,
                    () -> cluster.cluster(0).path("pending_answers").asInt() == node.maxPending);

            for (var call : List.of(
                    Map.entry("sendToClient", Map.<String, Object>of("client_id", there.clientId(), "message", "m")),
                    Map.entry("sendToAll", Map.<String, Object>of("client_ids",
                            List.of(here.clientId(), there.clientId()), "message", "not sent")),
                    Map.entry("closeClient", Map.<String, Object>of("client_id", there.clientId())),
                    Map.entry("getAllClientSessions", Map.<String, Object>of()))) {
                TestGateway.Response r = a.post(call.getKey(), call.getValue());
                assertThat(r.status()).as(call.getKey() + ": " + r.body()).isEqualTo(503);
                assertThat(r.errorCode()).as(call.getKey() + ": " + r.body()).isEqualTo("overloaded");
                assertThat(r.errorMessage()).as(call.getKey())
                        .contains("already waiting for other nodes' answers to 2 cluster requests").endsWith("retry later");
            }
            a.call("sendToClient", Map.of("client_id", here.clientId(), "message", "end"));
            assertThat(here.next(Duration.ofSeconds(20))).as("the refused push reached nobody on node 0").isEqualTo("end");
            assertThat(unanswered).noneMatch(CompletableFuture::isDone);
        }
    }
}
