package io.gatewayd.cluster;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client moved from uid B to uid A on its node while another node pushes to [A, B]: the owning
 * node must be behind one of the two channels at the moment of the push. That takes two things,
 * checked here on what Redis itself was told (its MONITOR stream, in the order it ran them):
 * the owner subscribes to A before it unsubscribes from B, and the push is published on both
 * channels in one step, so no subscription change can fall between the two publishes.
 */
class ClusterRebindPushTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    @Test
    void theOwnerSubscribesTheNewUidBeforeDroppingTheOldAndAMultiKeyPushIsPublishedAtOnce() throws Exception {
        try (ClusterNodes cluster = new ClusterNodes(REDIS.url(), 2, "");
             Socket monitor = new Socket()) {
            WsClient x = cluster.connect(1);
            cluster.awaitClientCount(1);
            var caller = cluster.get(0);
            // through the caller: answered once node 1 has subscribed as the binding needs
            caller.call("bindUid", Map.of("client_id", x.clientId(), "uid", "uB"));

            monitor.connect(new InetSocketAddress("127.0.0.1", REDIS.port()), 2000);
            monitor.getOutputStream().write("MONITOR\r\n".getBytes(StandardCharsets.US_ASCII));
            monitor.getOutputStream().flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(monitor.getInputStream(), StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("+OK");
            List<String> ran = new CopyOnWriteArrayList<>();
            Thread reader = new Thread(() -> {
                try {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        ran.add(line);
                    }
                } catch (java.io.IOException closed) {
                    // the monitor socket closes with the test
                }
            }, "redis-monitor");
            reader.setDaemon(true);
            reader.start();

            caller.call("bindUid", Map.of("client_id", x.clientId(), "uid", "uA"));
            assertThat(caller.call("sendToUid", Map.of("uids", List.of("uA", "uB"), "message", "pushed"))
                    .path("delivered").asLong()).isEqualTo(1);
            caller.call("sendToClient", Map.of("client_id", x.clientId(), "message", "end"));
            assertThat(x.next(Duration.ofSeconds(30))).isEqualTo("pushed");
            assertThat(x.next(Duration.ofSeconds(30))).isEqualTo("end");

            Await.until("Redis ran the push", Duration.ofSeconds(30),
                    () -> ran.stream().filter(l -> l.contains("\"PUBLISH\"") && l.contains(":ch:u:")).count() == 2);
            int subscribeA = indexOf(ran, "\"SUBSCRIBE\"", ":ch:u:uA\"");
            int unsubscribeB = indexOf(ran, "\"UNSUBSCRIBE\"", ":ch:u:uB\"");
            assertThat(subscribeA).as("node 1 subscribed to uA's channel: " + ran).isNotNegative();
            assertThat(unsubscribeB).as("node 1 dropped uB's channel: " + ran).isNotNegative();
            assertThat(subscribeA).as("subscribed to uA before unsubscribing uB: " + ran).isLessThan(unsubscribeB);
            // MONITOR shows the publishes a script makes as from "lua", the ones a client sends with its address
            assertThat(ran.stream().filter(l -> l.contains("\"PUBLISH\"") && l.contains(":ch:u:")
                    && !l.contains(" lua] ")).toList()).as("no publish per uid channel of its own").isEmpty();
            assertThat(ran.stream().filter(l -> l.contains("\"PUBLISH\"") && l.contains(" lua] ")).count())
                    .as("both channels published by one script").isEqualTo(2);
        }
    }

    private static int indexOf(List<String> lines, String command, String channel) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(command) && lines.get(i).contains(channel)) {
                return i;
            }
        }
        return -1;
    }
}
