package io.gatewayd.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WebhookReceiver;
import io.gatewayd.testing.WebhookReceiver.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that ended its side of the connection while the backend handles its message is still
 * reached by a push addressed to its client_id through another node: the owner's local router
 * finds it among the clients waiting for their answers.
 */
class ClusterHalfClosedClientTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();
    private static final String SECRET = "test-webhook-secret-0123456789";

    @Test
    void aPushFromAnotherNodeReachesAClientWaitingForItsAnswer() throws Exception {
        try (WebhookReceiver backend = new WebhookReceiver(SECRET)) {
            String node = """
                    listeners:
                      - url: websocket://127.0.0.1:0
                      - url: text://127.0.0.1:0
                    client-messages:
                      policy: webhook
                    """ + backend.webhooksYaml();
            try (ClusterNodes cluster = ClusterNodes.eachWith(REDIS.url(), node, node)) {
                TestGateway owner = cluster.get(0);
                TestGateway other = cluster.get(1);
                backend.answer(call -> {
                    if (!call.event().equals("message")) {
                        return Reply.ok();
                    }
                    Await.until("the owner reads the FIN", () -> owner.gateway().registry().get(call.clientId()) == null);
                    long delivered = other.call("sendToClient", Map.of("client_id", call.clientId(), "message", "pushed"))
                            .path("delivered").asLong();
                    return Reply.json("{\"reply\":\"pong after " + delivered + "\"}");
                });
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", owner.gateway().port("text")), 10_000);
                    s.setSoTimeout(20_000);
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                    String id = new ObjectMapper().readTree(in.readLine()).get("client_id").asText();
                    OutputStream out = s.getOutputStream();
                    out.write("ping\n".getBytes(StandardCharsets.UTF_8));
                    out.flush();
                    s.shutdownOutput();

                    List<String> lines = new ArrayList<>();
                    for (String line; (line = in.readLine()) != null; ) {
                        lines.add(line);
                    }
                    assertThat(lines).as("what " + id + " read after its FIN, then the end of stream")
                            .containsExactly("pushed", "pong after 1");
                }
            }
        }
    }
}
