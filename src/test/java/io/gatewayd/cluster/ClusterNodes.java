package io.gatewayd.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** N gateways in this JVM forming one cluster on a test Redis; closes them all. */
final class ClusterNodes implements AutoCloseable {
    static final Duration DEADLINE = Duration.ofSeconds(60);

    final List<TestGateway> nodes = new ArrayList<>();
    final List<WsClient> clients = new ArrayList<>();
    final String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
    private final String extra;
    private final List<String> urls = new ArrayList<>();
    private final List<String> nodeYaml;

    /** Fast timings so failures are detected quickly in tests; {@code extra} lines ("  key: value") override them. */
    static String yaml(String redisUrl, String prefix, String extra) {
        java.util.LinkedHashMap<String, String> keys = new java.util.LinkedHashMap<>();
        keys.put("redis", redisUrl);
        keys.put("key-prefix", prefix);
        keys.put("heartbeat", "200ms");
        keys.put("node-ttl", "2s");
        keys.put("mirror-ttl", "6s");
        keys.put("probe-interval", "500ms");
        // generous: a self-probe slower than this (a loaded box) makes the node drop its
        // subscription and answer 503 until it resubscribed; the tests that freeze a subscription
        // to see the probe find it set their own
        keys.put("probe-timeout", "10s");
        keys.put("janitor-interval", "1s");
        // generous: on a loaded machine a report may take long; only a missing one waits this much
        keys.put("ack-timeout", "15s");
        keys.put("query-timeout", "15s");
        if (extra != null) {
            for (String line : extra.split("\n")) {
                String[] kv = line.trim().split(":\\s*", 2);
                if (kv.length == 2) {
                    keys.put(kv[0], kv[1]);
                }
            }
        }
        StringBuilder sb = new StringBuilder("cluster:\n");
        keys.forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
        return sb.toString();
    }

    ClusterNodes(String redisUrl, int n, String extra) {
        this(java.util.Collections.nCopies(n, redisUrl), extra);
    }

    /** One node per URL (e.g. one of them through a proxy). */
    ClusterNodes(List<String> redisUrls, String extra) {
        this(redisUrls, extra, java.util.Collections.nCopies(redisUrls.size(), ""));
    }

    /**
     * One node per entry of {@code nodeYaml}, the config after the cluster section that differs
     * between the nodes (e.g. outbound.max-pending-bytes).
     */
    static ClusterNodes eachWith(String redisUrl, String... nodeYaml) {
        return new ClusterNodes(java.util.Collections.nCopies(nodeYaml.length, redisUrl), null, List.of(nodeYaml));
    }

    private ClusterNodes(List<String> redisUrls, String extra, List<String> nodeYaml) {
        this.extra = extra;
        this.nodeYaml = nodeYaml;
        try {
            for (int i = 0; i < redisUrls.size(); i++) {
                urls.add(redisUrls.get(i));
                nodes.add(TestGateway.start(yaml(redisUrls.get(i), prefix, extra) + nodeYaml.get(i)));
            }
            awaitFormed();
        } catch (RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Stops node {@code i} and starts it again with the same config and control port, so with the
     * same node id, as systemd restarts a node; waits until the cluster has formed again.
     */
    TestGateway restart(int i) {
        TestGateway old = nodes.get(i);
        int port = old.gateway().controlPort();
        String id = old.gateway().nodeId();
        old.close();
        // (a node yaml of eachWith that sets control: itself would clash with this control section)
        TestGateway again = TestGateway.start(yaml(urls.get(i), prefix, extra) + nodeYaml.get(i)
                + "control:\n  listen: http://127.0.0.1:" + port + "\n");
        nodes.set(i, again);
        if (!again.gateway().nodeId().equals(id)) {
            throw new AssertionError("node " + id + " came back as " + again.gateway().nodeId());
        }
        awaitFormed();
        return again;
    }

    TestGateway get(int i) {
        return nodes.get(i);
    }

    int size() {
        return nodes.size();
    }

    /** Every node is healthy and knows every other node. */
    void awaitFormed() {
        for (TestGateway g : nodes) {
            Await.until("node " + g.gateway().nodeId() + " is healthy and sees " + nodes.size() + " nodes", DEADLINE, () -> {
                JsonNode st = g.get("/api/status").json().path("result").path("cluster");
                return "ok".equals(st.path("state").asText()) && st.path("nodes").size() == nodes.size();
            });
        }
    }

    void awaitHealth(String state) {
        for (TestGateway g : nodes) {
            Await.until("node " + g.gateway().nodeId() + " reports /health " + state, DEADLINE,
                    () -> state.equals(g.get("/health").json().path("status").asText()));
        }
    }

    WsClient connect(int node) {
        WsClient c = nodes.get(node).client();
        clients.add(c);
        return c;
    }

    /** Waits until every node counts {@code n} clients (connects reach the mirrors asynchronously). */
    void awaitClientCount(int n) {
        for (TestGateway g : nodes) {
            Await.until("node " + g.gateway().nodeId() + " counts " + n + " clients", DEADLINE,
                    () -> g.call("getAllClientIdCount", java.util.Map.of()).asInt() == n);
        }
    }

    JsonNode cluster(int node) {
        return nodes.get(node).get("/api/status").json().path("result").path("cluster");
    }

    @Override
    public void close() {
        for (WsClient c : clients) {
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // closing anyway
            }
        }
        for (TestGateway g : nodes) {
            try {
                g.close();
            } catch (RuntimeException ignored) {
                // closing anyway
            }
        }
    }
}
