package io.gatewayd.cluster;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TcpProxy;
import io.gatewayd.testing.TestGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A node's cluster thread waits on Redis while it rewrites its mirror (or joins, or resubscribes),
 * for seconds on a loaded host or with a big mirror. The deadlines of calls waiting for other
 * nodes' answers must not wait behind it: a push waiting for the report of a node that died, or a
 * request to a node that does not answer, ends at cluster.ack-timeout, not when Redis answers the
 * rewrite.
 */
class ClusterTimeoutsWhileBusyTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    /** A node id no gateway has: 10.0.0.1, port 1234. */
    private static final String SILENT_NODE = "0a00000104d2";

    @Test
    void callsWaitingForSilentNodesEndAtAckTimeoutWhileTheClusterThreadWaitsOnRedis() throws Exception {
        String prefix = "b" + java.util.UUID.randomUUID().toString().substring(0, 8);
        // ack-timeout short; command-timeout long, so the held rewrite keeps the cluster thread for
        // much longer than the test waits for the calls
        String yaml = ClusterNodes.yaml("PLACEHOLDER", prefix,
                "  ack-timeout: 1s\n  command-timeout: 30s\n  mirror-ttl: 60s\n");
        try (TcpProxy proxy = new TcpProxy(REDIS.port());
             Socket silent = subscribe(prefix + ":ch:n:" + SILENT_NODE, prefix + ":ch:u:ghost");
             TestGateway a = TestGateway.start(yaml.replace("PLACEHOLDER", "redis://127.0.0.1:" + proxy.port() + "/0"))) {
            String id = a.gateway().nodeId();
            Await.until("node a joined", ClusterNodes.DEADLINE,
                    () -> "ok".equals(a.get("/api/status").json().at("/result/cluster/state").asText()));
            long writes = a.get("/api/status").json().at("/result/cluster/mirror_full_writes").asLong();

            // Redis loses the node's keys: its heartbeat notices and the cluster thread rewrites the
            // mirror, held here at the first mirror key of the new generation
            proxy.holdCommandsWith(prefix + ":m:" + id + ":");
            REDIS.command("DEL", prefix + ":node:" + id);
            Await.until("the cluster thread is in the rewrite, held", ClusterNodes.DEADLINE,
                    () -> proxy.heldCommands() > 0 && "1".equals(redis("EXISTS", prefix + ":node:" + id)));
            try {
                // the silent node's channel and the uid's channel have a subscriber that never answers
                CompletableFuture<TestGateway.Response> ask = inThread(() -> a.post("getSession",
                        Map.of("client_id", SILENT_NODE + "00000001")));
                CompletableFuture<TestGateway.Response> push = inThread(() -> a.post("sendToUid",
                        Map.of("uid", "ghost", "message", "hi")));
                // generous next to ack-timeout 1s, and well before the held rewrite times out (30s)
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
                TestGateway.Response asked = within(ask, deadline, "getSession of a client on the silent node");
                TestGateway.Response pushed = within(push, deadline, "sendToUid to a uid of the silent subscriber");

                assertThat(asked.status()).as(asked.body()).isEqualTo(504);
                assertThat(asked.errorCode()).isEqualTo("cluster_timeout");
                assertThat(pushed.status()).as(pushed.body()).isEqualTo(200);
                assertThat(pushed.json().at("/result/missing_reports").asInt()).as(pushed.body()).isEqualTo(1);
                assertThat(a.get("/api/status").json().at("/result/cluster/mirror_full_writes").asLong())
                        .as("the rewrite is still held: both calls ended while the cluster thread waited")
                        .isEqualTo(writes);
            } finally {
                proxy.holdCommandsWith(null);
            }
            Await.until("the rewrite finished once released", ClusterNodes.DEADLINE,
                    () -> a.get("/api/status").json().at("/result/cluster/mirror_full_writes").asLong() > writes);
        }
    }

    private static <T> CompletableFuture<T> inThread(java.util.function.Supplier<T> call) {
        CompletableFuture<T> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                f.complete(call.get());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "test-call");
        t.setDaemon(true);
        t.start();
        return f;
    }

    private static <T> T within(CompletableFuture<T> f, long deadlineNanos, String what) throws Exception {
        try {
            return f.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(what + " did not end while the cluster thread waited on Redis (ack-timeout 1s)");
        }
    }

    private static String redis(String... args) {
        try {
            return REDIS.command(args);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A raw subscriber straight on Redis, never answering what it gets; returns once Redis lists it. */
    private static Socket subscribe(String... channels) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", REDIS.port()), 2000);
        StringBuilder sb = new StringBuilder("*").append(channels.length + 1).append("\r\n$9\r\nSUBSCRIBE\r\n");
        for (String c : channels) {
            sb.append('$').append(c.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(c).append("\r\n");
        }
        OutputStream out = s.getOutputStream();
        out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        for (String c : channels) {
            Await.until("Redis lists the subscriber of " + c, ClusterNodes.DEADLINE,
                    () -> redis("PUBSUB", "NUMSUB", c).endsWith("\n1"));
        }
        return s;
    }
}
