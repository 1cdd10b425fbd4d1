package io.gatewayd.cluster;

import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A push to several uids or groups is published once per key's channel, so a node whose clients
 * are behind two of those keys gets it twice and must deliver it once. That holds with
 * control.dedup-max-entries: 0, which turns off msg_id dedup only.
 */
class ClusterMultiKeyPushTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @Test
    void aNodeBehindTwoOfThePushsKeysDeliversItOnceWithMsgIdDedupOff() {
        String dedupOff = "control:\n  listen: http://127.0.0.1:0\n  dedup-max-entries: 0\n";
        try (ClusterNodes cluster = ClusterNodes.eachWith(REDIS.url(), dedupOff, dedupOff)) {
            WsClient x = cluster.connect(1);
            WsClient y = cluster.connect(1);
            cluster.awaitClientCount(2);
            var caller = cluster.get(0);
            // through the caller: answered once node 1 has subscribed to the keys' channels
            caller.call("bindUid", Map.of("client_id", x.clientId(), "uid", "u1"));
            caller.call("bindUid", Map.of("client_id", y.clientId(), "uid", "u2"));
            caller.call("joinGroup", Map.of("client_id", x.clientId(), "group", "g1"));
            caller.call("joinGroup", Map.of("client_id", y.clientId(), "group", "g2"));

            assertThat(caller.call("sendToUid", Map.of("uids", List.of("u1", "u2"), "message", "to uids"))
                    .path("delivered").asLong()).isEqualTo(2);
            assertThat(caller.call("sendToGroup", Map.of("groups", List.of("g1", "g2"), "message", "to groups"))
                    .path("delivered").asLong()).isEqualTo(2);
            for (WsClient c : List.of(x, y)) {
                caller.call("sendToClient", Map.of("client_id", c.clientId(), "message", "end"));
                List<String> got = new ArrayList<>();
                for (String m = c.next(Duration.ofSeconds(30)); !m.equals("end"); m = c.next(Duration.ofSeconds(30))) {
                    got.add(m);
                }
                assertThat(got).as(c.clientId()).containsExactly("to uids", "to groups");
            }
        }
    }
}
