package io.gatewayd.cluster;

import ch.qos.logback.classic.Level;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.LogCapture;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TcpProxy;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A join (or a resubscribe) that takes longer than node-ttl, here because the subscriber
 * connection's SUBSCRIBE confirmations are slow, as on a loaded host. The node's heartbeat key
 * must stay alive meanwhile: when it expired, the other nodes left the node's clients out of
 * their answers, their janitor deleted its mirror, and the node, once joined, found its keys
 * missing and rewrote everything.
 */
class ClusterJoinTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();
    @RegisterExtension
    final LogCapture log = new LogCapture(Cluster.class);

    /** ClusterNodes' timings: node-ttl 2s, heartbeat 200ms, janitor every second. */
    private static final long NODE_TTL_MS = 2000;
    private static final String TIMINGS = null;

    private static void awaitBothJoined(TestGateway a, TestGateway b) {
        for (TestGateway g : List.of(a, b)) {
            Await.until("both nodes joined", ClusterNodes.DEADLINE, () -> {
                var st = g.get("/api/status").json().path("result").path("cluster");
                return "ok".equals(st.path("state").asText()) && st.path("nodes").size() == 2;
            });
        }
    }

    @Test
    void aJoinSlowerThanNodeTtlKeepsTheHeartbeatKeyAndNeedsNoRewrite() throws Exception {
        try (TcpProxy proxy = new TcpProxy(REDIS.port());
             Nodes nodes = new Nodes()) {
            String prefix = nodes.prefix;
            TestGateway a = nodes.start(ClusterNodes.yaml(REDIS.url(), prefix, TIMINGS));
            proxy.holdSubscribers(true);
            TestGateway b = nodes.start(ClusterNodes.yaml("redis://127.0.0.1:" + proxy.port() + "/0", prefix, TIMINGS));
            String id = b.gateway().nodeId();
            String nodeKey = prefix + ":node:" + id;
            Await.until("node b wrote its heartbeat key and is subscribing", ClusterNodes.DEADLINE,
                    () -> exists(nodeKey) && b.get("/api/status").json()
                            .at("/result/cluster/subscriptions").asInt() > 0);

            List<String> gaps = watch(nodeKey, 2 * NODE_TTL_MS, () -> {
            });
            assertThat(b.get("/api/status").json().at("/result/cluster/state").asText())
                    .as("still joining (subscriptions held) for the whole watch").isEqualTo("degraded");
            assertThat(gaps).as("the heartbeat key must exist throughout the join").isEmpty();

            long released = System.currentTimeMillis();
            proxy.holdSubscribers(false);
            Await.until("node b joined", ClusterNodes.DEADLINE,
                    () -> "ok".equals(b.get("/api/status").json().at("/result/cluster/state").asText()));
            Await.until("node b beat after joining", ClusterNodes.DEADLINE, () -> beatAt(nodeKey) > released);
            assertThat(warnings()).isEmpty();
            assertThat(b.get("/api/status").json().at("/result/cluster/mirror_full_writes").asLong())
                    .as("the mirror written once, not rewritten after the join").isEqualTo(1);
            Await.until("node a sees node b", ClusterNodes.DEADLINE,
                    () -> a.get("/api/status").json().at("/result/cluster/nodes").size() == 2);
        }
    }

    /**
     * Other nodes read a node's mirror once its heartbeat key names the generation, and then say
     * its clients are online. A joining node pointed the key at its mirror before subscribing to
     * its uid channels: in between, a push to a uid another node called online reached no
     * subscriber and was lost, reported as delivered 0. Here the client is bound while the join
     * waits (as after a restart, or a rejoin once Redis is back), and the join's SUBSCRIBE is held.
     */
    @Test
    void aJoiningNodeIsNotReadBeforeItsSubscriptionsAreLive() throws Exception {
        try (TcpProxy proxy = new TcpProxy(REDIS.port());
             Nodes nodes = new Nodes()) {
            String prefix = nodes.prefix;
            TestGateway a = nodes.start(ClusterNodes.yaml(REDIS.url(), prefix, TIMINGS));
            Await.until("node a joined", ClusterNodes.DEADLINE,
                    () -> "ok".equals(a.get("/api/status").json().at("/result/cluster/state").asText()));
            // first stop: the duplicate-node-id probe, before anything is written; slow timings so
            // that no command times out while held
            proxy.holdCommandsWith("PUBLISH");
            TestGateway b = nodes.start(ClusterNodes.yaml("redis://127.0.0.1:" + proxy.port() + "/0", prefix,
                    "  command-timeout: 20s\n"));
            Await.until("node b is probing for its node id", ClusterNodes.DEADLINE, () -> proxy.heldCommands() > 0);
            WsClient c = nodes.client(b);
            // bound here at once; not waited for, as its answer waits for the join
            b.gateway().router().bindUid(c.clientId(), "u1");
            Await.until("u1 is bound on node b", ClusterNodes.DEADLINE,
                    () -> !b.gateway().registry().byUid("u1").isEmpty());
            String nodeKey = prefix + ":node:" + b.gateway().nodeId();

            int held = proxy.heldCommands();
            proxy.holdCommandsWith("SUBSCRIBE"); // second stop: the join's subscriptions
            Await.until("node b wrote its mirror and is subscribing", ClusterNodes.DEADLINE,
                    () -> proxy.heldCommands() > held);
            List<String> lost = new ArrayList<>();
            watch(nodeKey, 1000, () -> {
                if (a.call("isUidOnline", Map.of("uid", "u1")).asBoolean()) {
                    int n = a.call("sendToUid", Map.of("uid", "u1", "message", "early")).path("delivered").asInt();
                    if (n != 1) {
                        lost.add("online, but delivered " + n + " at " + System.currentTimeMillis());
                    }
                }
            });
            assertThat(lost).as("node a said u1 is online while node b was not subscribed to it").isEmpty();
            assertThat(gen(nodeKey)).as("the heartbeat key names no mirror before the subscriptions are live")
                    .isEmpty();

            proxy.holdCommandsWith(null);
            Await.until("node b joined", ClusterNodes.DEADLINE,
                    () -> "ok".equals(b.get("/api/status").json().at("/result/cluster/state").asText()));
            Await.until("node a sees u1 online", ClusterNodes.DEADLINE,
                    () -> a.call("isUidOnline", Map.of("uid", "u1")).asBoolean());
            assertThat(a.call("sendToUid", Map.of("uid", "u1", "message", "after")).path("delivered").asInt())
                    .isEqualTo(1);
            assertThat(c.next()).isEqualTo("after");
        }
    }

    /**
     * The same order for a bind or a join on a node already in the cluster: the mirror (what other
     * nodes answer from) and the subscription go out on two connections, and Redis does not keep
     * their order; the mirror write landing first made a uid or group "online" for other nodes
     * while a push to it still reached no subscriber here. The SUBSCRIBE is held to open that gap.
     */
    @Test
    void aBindIsNotReadBeforeItsChannelIsSubscribed() throws Exception {
        try (TcpProxy proxy = new TcpProxy(REDIS.port());
             Nodes nodes = new Nodes()) {
            String prefix = nodes.prefix;
            TestGateway a = nodes.start(ClusterNodes.yaml(REDIS.url(), prefix, TIMINGS));
            TestGateway b = nodes.start(ClusterNodes.yaml("redis://127.0.0.1:" + proxy.port() + "/0", prefix,
                    "  command-timeout: 20s\n"));
            awaitBothJoined(a, b);
            WsClient c = nodes.client(b);
            int held = proxy.heldCommands();
            proxy.holdCommandsWith("SUBSCRIBE");
            // not waited for: their answers wait for the subscriptions
            b.gateway().router().bindUid(c.clientId(), "u1");
            b.gateway().router().joinGroup(c.clientId(), "g1");
            Await.until("node b is subscribing", ClusterNodes.DEADLINE, () -> proxy.heldCommands() > held);

            List<String> lost = new ArrayList<>();
            watch(prefix + ":node:" + b.gateway().nodeId(), 1000, () -> {
                if (a.call("isUidOnline", Map.of("uid", "u1")).asBoolean()) {
                    int n = a.call("sendToUid", Map.of("uid", "u1", "message", "early")).path("delivered").asInt();
                    if (n != 1) {
                        lost.add("u1 online, but delivered " + n);
                    }
                }
                if (a.call("getClientIdCountByGroup", Map.of("group", "g1")).asInt() > 0) {
                    int n = a.call("sendToGroup", Map.of("group", "g1", "message", "early")).path("delivered").asInt();
                    if (n != 1) {
                        lost.add("g1 has members, but delivered " + n);
                    }
                }
            });
            assertThat(lost).as("node a saw the bind before node b was subscribed").isEmpty();

            proxy.holdCommandsWith(null);
            Await.until("node a sees u1 online", ClusterNodes.DEADLINE,
                    () -> a.call("isUidOnline", Map.of("uid", "u1")).asBoolean());
            Await.until("node a sees g1's member", ClusterNodes.DEADLINE,
                    () -> a.call("getClientIdCountByGroup", Map.of("group", "g1")).asInt() == 1);
            assertThat(a.call("sendToUid", Map.of("uid", "u1", "message", "after")).path("delivered").asInt())
                    .isEqualTo(1);
            assertThat(c.next()).isEqualTo("after");
            assertThat(a.call("sendToGroup", Map.of("group", "g1", "message", "after g1")).path("delivered").asInt())
                    .isEqualTo(1);
            assertThat(c.next()).isEqualTo("after g1");
        }
    }

    @Test
    void aResubscribeSlowerThanNodeTtlKeepsTheNodesClientsVisibleAndItsMirror() throws Exception {
        try (TcpProxy proxy = new TcpProxy(REDIS.port());
             Nodes nodes = new Nodes()) {
            String prefix = nodes.prefix;
            TestGateway a = nodes.start(ClusterNodes.yaml(REDIS.url(), prefix, TIMINGS));
            TestGateway b = nodes.start(ClusterNodes.yaml("redis://127.0.0.1:" + proxy.port() + "/0", prefix, TIMINGS));
            awaitBothJoined(a, b);
            WsClient c = nodes.client(b);
            b.call("bindUid", Map.of("client_id", c.clientId(), "uid", "u1"));
            Await.until("node a counts node b's client", ClusterNodes.DEADLINE,
                    () -> a.call("getAllClientIdCount", Map.of()).asInt() == 1);
            String nodeKey = prefix + ":node:" + b.gateway().nodeId();
            long writesBefore = b.get("/api/status").json().at("/result/cluster/mirror_full_writes").asLong();

            long aResubscribes = a.get("/api/status").json().at("/result/cluster/probe/resubscribes").asLong();
            proxy.holdSubscribers(true);
            REDIS.command("CLIENT", "KILL", "TYPE", "pubsub"); // both nodes resubscribe; b's is held
            Await.until("node a resubscribed", ClusterNodes.DEADLINE, () -> {
                var st = a.get("/api/status").json().at("/result/cluster");
                return st.at("/probe/resubscribes").asLong() > aResubscribes && "ok".equals(st.path("state").asText());
            });
            Await.until("node b is resubscribing", ClusterNodes.DEADLINE,
                    () -> "degraded".equals(b.get("/api/status").json().at("/result/cluster/state").asText()));

            List<String> miscounts = new ArrayList<>();
            List<String> gaps = watch(nodeKey, 2 * NODE_TTL_MS, () -> {
                int n = a.call("getAllClientIdCount", Map.of()).asInt();
                if (n != 1) {
                    miscounts.add(n + " at " + System.currentTimeMillis());
                }
            });
            assertThat(b.get("/api/status").json().at("/result/cluster/state").asText())
                    .as("still resubscribing for the whole watch").isEqualTo("degraded");
            assertThat(gaps).as("the heartbeat key must exist throughout the resubscribe").isEmpty();
            assertThat(miscounts).as("node a must keep counting node b's client").isEmpty();
            assertThat(REDIS.keys(prefix + ":m:" + b.gateway().nodeId() + ":*"))
                    .as("node b's mirror is not taken by the janitor").isNotEmpty();

            proxy.holdSubscribers(false);
            Await.until("node b is back", ClusterNodes.DEADLINE,
                    () -> "ok".equals(b.get("/api/status").json().at("/result/cluster/state").asText()));
            long released = System.currentTimeMillis();
            Await.until("node b beat after resubscribing", ClusterNodes.DEADLINE, () -> beatAt(nodeKey) > released);
            assertThat(warnings()).isEmpty();
            assertThat(b.get("/api/status").json().at("/result/cluster/mirror_full_writes").asLong())
                    .as("no rewrite of the mirror").isEqualTo(writesBefore);
            assertThat(a.call("sendToUid", Map.of("uid", "u1", "message", "after")).path("delivered").asInt())
                    .isEqualTo(1);
            assertThat(c.next()).isEqualTo("after");
        }
    }

    @Test
    void theJanitorLeavesTheMirrorOfANodeThatCameBackWhileItWasDeleting() throws Exception {
        var clusterLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Cluster.class);
        Level level = clusterLog.getLevel();
        clusterLog.setLevel(Level.INFO); // the janitor says at INFO what it did with the node
        try (TcpProxy proxy = new TcpProxy(REDIS.port());
             Nodes nodes = new Nodes()) {
            String prefix = nodes.prefix;
            String dead = "00000000dead";
            // a node that crashed: still registered, heartbeat key expired, its mirror left behind
            REDIS.command("HSET", prefix + ":nodes", dead, "old00000");
            REDIS.command("HSET", prefix + ":m:" + dead + ":old00000:c", "00000000dead0000000000000001", "");
            // the janitor is stopped once it decided the node is dead and starts scanning its keys
            proxy.holdCommandsWith(prefix + ":m:" + dead + ":*");
            // the held SCAN holds the node's command connection: slow timings, so that neither the
            // SCAN times out nor the node's own heartbeat key expires while the test acts
            nodes.start(ClusterNodes.yaml("redis://127.0.0.1:" + proxy.port() + "/0", prefix,
                    "  node-ttl: 20s\n  mirror-ttl: 60s\n  janitor-interval: 1s\n  command-timeout: 20s\n"));
            Await.until("the janitor scans the dead node's keys", ClusterNodes.DEADLINE, () -> proxy.heldCommands() > 0);

            // meanwhile the node restarts: heartbeat key first, then its new mirror (as Cluster.fullWrite)
            REDIS.command("HSET", prefix + ":node:" + dead, "gen", "");
            REDIS.command("PEXPIRE", prefix + ":node:" + dead, "60000");
            String fresh = prefix + ":m:" + dead + ":new00000:c";
            REDIS.command("HSET", fresh, "00000000dead0000000000000002", "");
            proxy.holdCommandsWith(null);

            Await.until("the janitor is done with the node", ClusterNodes.DEADLINE, () -> log.messages(Level.INFO)
                    .stream().anyMatch(m -> m.startsWith("cluster janitor: node " + dead)));
            assertThat(REDIS.command("EXISTS", fresh)).as("the restarted node's fresh mirror, "
                    + log.messages(Level.INFO)).isEqualTo("1");
            assertThat(REDIS.command("HEXISTS", prefix + ":nodes", dead)).isEqualTo("1");
        } finally {
            clusterLog.setLevel(level);
        }
    }

    private List<String> warnings() {
        return log.messages(Level.WARN).stream().filter(m -> m.contains("keys are missing")).toList();
    }

    /**
     * Samples, for {@code millis}, whether the heartbeat key exists (and runs {@code alsoCheck}):
     * a property over a stretch of time, so sampled rather than awaited.
     */
    private static List<String> watch(String nodeKey, long millis, Runnable alsoCheck) throws Exception {
        List<String> gaps = new ArrayList<>();
        long end = System.currentTimeMillis() + millis;
        while (System.currentTimeMillis() < end) {
            if (!"1".equals(REDIS.command("EXISTS", nodeKey))) {
                gaps.add("missing at " + System.currentTimeMillis());
            }
            alsoCheck.run();
            Thread.sleep(50);
        }
        return gaps;
    }

    private static boolean exists(String key) {
        try {
            return "1".equals(REDIS.command("EXISTS", key));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String gen(String nodeKey) {
        try {
            String g = REDIS.command("HGET", nodeKey, "gen");
            return g == null ? "" : g;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long beatAt(String nodeKey) {
        try {
            String t = REDIS.command("HGET", nodeKey, "beat_at");
            return t == null ? 0 : Long.parseLong(t);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Gateways and clients of one test, closed together. */
    private static final class Nodes implements AutoCloseable {
        final String prefix = "j" + java.util.UUID.randomUUID().toString().substring(0, 8);
        private final List<TestGateway> gateways = new ArrayList<>();
        private final List<WsClient> clients = new ArrayList<>();

        TestGateway start(String yaml) {
            TestGateway g = TestGateway.start(yaml);
            gateways.add(g);
            return g;
        }

        WsClient client(TestGateway g) {
            WsClient c = g.client();
            clients.add(c);
            return c;
        }

        @Override
        public void close() {
            clients.forEach(c -> {
                try {
                    c.close();
                } catch (RuntimeException ignored) {
                    // closing anyway
                }
            });
            gateways.forEach(g -> {
                try {
                    g.close();
                } catch (RuntimeException ignored) {
                    // closing anyway
                }
            });
        }
    }
}
