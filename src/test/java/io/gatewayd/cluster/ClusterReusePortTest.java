package io.gatewayd.cluster;

import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three nodes sharing one client port (reuse-port), as in README "Cluster": clients connect to the
 * one port, and a push through any node reaches each of them once, whichever node it landed on.
 */
class ClusterReusePortTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @Test
    void threeNodesOnOnePortActAsOneGateway() throws Exception {
        Assumptions.assumeTrue(IoUring.isAvailable() || Epoll.isAvailable(), "reuse-port needs a native transport");
        String prefix = "rp" + UUID.randomUUID().toString().substring(0, 6);
        String cluster = ClusterNodes.yaml(REDIS.url(), prefix, null);
        List<TestGateway> nodes = new ArrayList<>();
        List<WsClient> clients = new ArrayList<>();
        try {
            // the first node binds a port of its own choosing and the others join it there: a port
            // found free beforehand and closed again could be taken before the first node binds it
            nodes.add(TestGateway.start(listener(0) + cluster));
            int port = nodes.get(0).gateway().port("websocket");
            for (int i = 1; i < 3; i++) {
                nodes.add(TestGateway.start(listener(port) + cluster));
            }
            for (TestGateway g : nodes) {
                io.gatewayd.testing.Await.until("node sees 3 nodes", ClusterNodes.DEADLINE,
                        () -> g.get("/api/status").json().at("/result/cluster/nodes").size() == 3);
            }
            for (int i = 0; i < 24; i++) {
                clients.add(WsClient.connectAndInit(URI.create("ws://127.0.0.1:" + port + "/")));
            }
            int sum = 0;
            for (TestGateway g : nodes) {
                sum += g.gateway().registry().size();
            }
            assertThat(sum).isEqualTo(24);
            for (int i = 0; i < 3; i++) {
                assertThat(nodes.get(i).call("sendToAll", Map.of("message", "from-" + i)).path("delivered").asInt())
                        .isEqualTo(24);
            }
            for (WsClient c : clients) {
                List<String> got = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    got.add(c.next(Duration.ofSeconds(30)));
                }
                assertThat(got).containsExactlyInAnyOrder("from-0", "from-1", "from-2");
                assertThat(c.poll()).isNull();
            }
        } finally {
            clients.forEach(WsClient::close);
            nodes.forEach(TestGateway::close);
        }
    }

    private static String listener(int port) {
        return "listeners:\n  - url: websocket://127.0.0.1:" + port + "\n    reuse-port: true\n";
    }
}
