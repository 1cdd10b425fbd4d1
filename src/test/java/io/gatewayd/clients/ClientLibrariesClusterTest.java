package io.gatewayd.clients;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TcpProxy;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static io.gatewayd.clients.ClientLibrariesTest.onPath;
import static io.gatewayd.clients.ClientLibrariesTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What only cluster mode answers, through the PHP and Python clients: a push retried with its
 * msg_id is delivered once, the delivery report beside the count, and a query that lacks a node's
 * part says so (partial, missing_nodes) in the client's last answer instead of passing as whole.
 */
class ClientLibrariesClusterTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    static String yaml(String redisUrl, String prefix) {
        // the probe would find the frozen subscription dead after probe-timeout and subscribe anew:
        // long enough that the frozen node stays missing while php and python start on a loaded box
        return "cluster:\n  redis: \"" + redisUrl + "\"\n  key-prefix: " + prefix + "\n  heartbeat: 200ms\n"
                + "  node-ttl: 2s\n  mirror-ttl: 6s\n  probe-interval: 1s\n  probe-timeout: 120s\n"
                + "  ack-timeout: 15s\n  query-timeout: 1s\n";
    }

    @Test
    void clientsRetryWithMsgIdAndSeeDeliveryReportsAndPartialQueries() throws Exception {
        String php = onPath("php");
        String python = onPath("python3");
        Assumptions.assumeTrue(php != null && python != null, "php or python3 is not installed; skipping");
        String phpPushes = """
                require 'clients/php/Gateway.php';
                use Gatewayd\\Gateway;
                Gateway::$apiUrl = $argv[1];
                foreach (['first', 'retry'] as $label) {
                    $n = Gateway::sendToAll('php once', msg_id: 'php-' . $argv[2]);
                    echo $label, ' ', $n, ' ', json_encode(Gateway::lastAnswer()), "\\n";
                }
                """;
        String pythonPushes = """
                import json, sys
                sys.path.insert(0, "clients/python")
                from gateway import Gateway
                gw = Gateway(sys.argv[1])
                for label in ("first", "retry"):
                    n = gw.sendToAll("py once", msg_id="py-" + sys.argv[2])
                    print(label, n, json.dumps(gw.last_answer, separators=(",", ":")))
                """;
        String phpQuery = """
                require 'clients/php/Gateway.php';
                use Gatewayd\\Gateway;
                Gateway::$apiUrl = $argv[1];
                $sessions = Gateway::getAllClientSessions();
                $a = Gateway::lastAnswer();
                echo count($sessions), ' ', json_encode($a['partial'] ?? false), ' ', json_encode($a['missing_nodes'] ?? null), "\\n";
                """;
        String pythonQuery = """
                import json, sys
                sys.path.insert(0, "clients/python")
                from gateway import Gateway
                gw = Gateway(sys.argv[1])
                sessions = gw.getAllClientSessions()
                a = gw.last_answer
                print(len(sessions), json.dumps(a.get("partial", False)), json.dumps(a.get("missing_nodes")))
                """;
        String prefix = "c" + UUID.randomUUID().toString().substring(0, 8);
        try (TcpProxy proxy = new TcpProxy(REDIS.port());
             TestGateway n0 = TestGateway.start(yaml(REDIS.url(), prefix));
             TestGateway n1 = TestGateway.start(yaml("redis://127.0.0.1:" + proxy.port() + "/0", prefix));
             WsClient c0 = n0.client();
             WsClient c1 = n1.client()) {
            for (TestGateway g : List.of(n0, n1)) {
                Await.until("node " + g.gateway().nodeId() + " sees both nodes and both clients", Duration.ofSeconds(60), () -> {
                    JsonNode st = g.get("/api/status").json().path("result").path("cluster");
                    return "ok".equals(st.path("state").asText()) && st.path("nodes").size() == 2
                            && g.call("getAllClientIdCount", java.util.Map.of()).asInt() == 2;
                });
            }
            String url = "http://127.0.0.1:" + n0.gateway().controlPort();
            String id = UUID.randomUUID().toString();
            String report = "{\"result\":{\"delivered\":2,\"delivered_local\":1,\"remote_nodes\":1}}";
            String retried = "{\"result\":{\"delivered\":0,\"delivered_local\":0,\"remote_nodes\":1}}";
            assertThat(run(List.of(php, "-r", phpPushes, url, id)))
                    .isEqualTo("first 2 " + report + "\nretry 0 " + retried + "\n");
            assertThat(run(List.of(python, "-c", pythonPushes, url, id)))
                    .isEqualTo("first 2 " + report + "\nretry 0 " + retried + "\n");
            for (WsClient c : List.of(c0, c1)) {
                assertThat(c.next()).isEqualTo("php once");
                assertThat(c.next()).as("each push once: the retries were dropped").isEqualTo("py once");
            }

            assertThat(proxy.freezeSubscribers()).isEqualTo(1);
            String missing = "[\"" + n1.gateway().nodeId() + "\"]";
            assertThat(run(List.of(php, "-r", phpQuery, url))).isEqualTo("1 true " + missing + "\n");
            assertThat(run(List.of(python, "-c", pythonQuery, url))).isEqualTo("1 true " + missing + "\n");
        }
    }
}
