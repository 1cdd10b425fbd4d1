package io.gatewayd.cluster;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ClusterSmokeTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @Test
    void smoke() throws Exception {
        String yaml = """
                cluster:
                  redis: %s
                  key-prefix: smoke
                  heartbeat: 200ms
                  node-ttl: 1s
                  mirror-ttl: 5s
                """.formatted(REDIS.url());
        try (TestGateway a = TestGateway.start(yaml); TestGateway b = TestGateway.start(yaml);
             WsClient ca = a.client(); WsClient cb = b.client()) {
            Await.until("both healthy", () -> a.get("/health").body().contains("ok") && b.get("/health").body().contains("ok"));
            System.out.println(a.get("/api/status").body());
            System.out.println(a.call("sendToClient", Map.of("client_id", cb.clientId(), "message", "hi")));
            System.out.println(cb.next());
            System.out.println(a.call("bindUid", Map.of("client_id", cb.clientId(), "uid", "u1")));
            System.out.println(b.call("sendToUid", Map.of("uid", "u1", "message", "to-u1")));
            System.out.println(cb.next());
            System.out.println(a.call("sendToAll", Map.of("message", "all")));
            System.out.println(ca.next() + " " + cb.next());
            System.out.println(a.call("getAllClientIdCount", Map.of()));
            System.out.println(a.call("getAllClientIdList", Map.of()));
            System.out.println(a.call("getClientIdByUid", Map.of("uid", "u1")));
            System.out.println(a.call("getAllClientSessions", Map.of()));
            System.out.println(REDIS.keys("smoke:*"));
            assertThat(a.call("getAllClientIdCount", Map.of()).asInt()).isEqualTo(2);
        }
    }
}
