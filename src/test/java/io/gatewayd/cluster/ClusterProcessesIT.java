package io.gatewayd.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.cron.CronProcessMain;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.Commands;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three gatewayd JVMs on one Redis. One is killed with SIGKILL: its clients leave every query
 * once its heartbeat key expires (node-ttl) and the janitor deletes its mirror. Restarted on the
 * same address it starts from a clean mirror, and a graceful stop removes a node's keys at once.
 */
class ClusterProcessesIT {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final Duration NODE_TTL = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final List<WsClient> clients = new ArrayList<>();
    private final String prefix = "it" + System.nanoTime();

    @AfterEach
    void cleanUp() throws Exception {
        clients.forEach(WsClient::close);
        Commands.endAll(processes.values());
    }

    record Node(String name, int control, int ws, String id) {
    }

    @Test
    void aKilledNodeLeavesQueriesAndItsMirrorIsCleanedAndARestartStartsClean() throws Exception {
        Map<String, Node> nodes = new LinkedHashMap<>();
        for (String name : List.of("A", "B", "C")) {
            processes.put(name, start(name, 0, name)); // the real port is in its ready line
        }
        for (String name : List.of("A", "B", "C")) {
            nodes.put(name, ready(name, name));
        }
        Node a = nodes.get("A");
        Node b = nodes.get("B");
        Node c = nodes.get("C");
        for (Node n : nodes.values()) {
            // a peer's row is complete once its heartbeat fields were read; its pid is then a
            // number, as the status' own pid is (it was a string)
            Await.until(n.name() + " sees three nodes, each with its pid", Duration.ofSeconds(60), () -> {
                JsonNode st = status(n);
                boolean pids = true;
                for (JsonNode row : st.at("/cluster/nodes")) {
                    pids &= row.path("pid").isNumber();
                }
                return st.at("/cluster/nodes").size() == 3 && "ok".equals(st.at("/cluster/state").asText()) && pids;
            });
            for (int i = 0; i < 3; i++) {
                clients.add(WsClient.connectAndInit(URI.create("ws://127.0.0.1:" + n.ws() + "/")));
            }
        }
        for (Node n : nodes.values()) {
            Await.until(n.name() + " counts 9 clients", Duration.ofSeconds(30),
                    () -> call(n, "getAllClientIdCount", "{}").asInt() == 9);
        }
        assertThat(call(a, "sendToAll", "{\"message\":\"hello\"}").path("delivered").asInt()).isEqualTo(9);

        long killedAt = System.nanoTime();
        processes.get("C").destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        for (Node n : List.of(a, b)) {
            Await.until(n.name() + " no longer counts C's clients", Duration.ofSeconds(30),
                    () -> call(n, "getAllClientIdCount", "{}").asInt() == 6);
        }
        long gone = Duration.ofNanos(System.nanoTime() - killedAt).toMillis();
        System.out.printf("C's clients left the queries %d ms after SIGKILL (node-ttl %d ms)%n", gone, NODE_TTL.toMillis());
        Await.until("A's view drops C", Duration.ofSeconds(30), () -> status(a).at("/cluster/nodes").size() == 2);
        JsonNode all = call(a, "sendToAll", "{\"message\":\"after-kill\"}");
        assertThat(all.path("delivered").asInt()).isEqualTo(6);
        assertThat(all.path("remote_nodes").asInt()).isEqualTo(1);
        JsonNode sessions = post(a, "getAllClientSessions", "{}");
        assertThat(sessions.has("partial")).as(sessions.toString()).isFalse();
        assertThat(sessions.get("result").size()).isEqualTo(6);
        Await.until("the janitor deleted C's mirror", Duration.ofSeconds(30),
                () -> keys(prefix + ":m:" + c.id() + ":*").isEmpty() && !keys(prefix + ":nodes").isEmpty()
                        && !hashHas(prefix + ":nodes", c.id()));

        // C again on the same address (same node id): a clean mirror, none of its old clients
        processes.put("C", start("C", c.control(), "C-again"));
        Node c2 = ready("C", "C-again");
        assertThat(c2.id()).isEqualTo(c.id());
        Await.until("C rejoined", Duration.ofSeconds(60), () -> status(a).at("/cluster/nodes").size() == 3);
        clients.add(WsClient.connectAndInit(URI.create("ws://127.0.0.1:" + c2.ws() + "/")));
        Await.until("7 clients everywhere", Duration.ofSeconds(30), () -> call(a, "getAllClientIdCount", "{}").asInt() == 7
                && call(c2, "getAllClientIdCount", "{}").asInt() == 7);

        // a graceful stop deletes the node's keys at once
        Process pc = processes.get("C");
        pc.getOutputStream().close();
        assertThat(pc.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(keys(prefix + ":m:" + c.id() + ":*")).isEmpty();
        assertThat(keys(prefix + ":node:" + c.id())).isEmpty();
        assertThat(call(b, "getAllClientIdCount", "{}").asInt()).isEqualTo(6);
    }

    private Process start(String name, int controlPort, String logName) throws IOException {
        Path yaml = dir.resolve(name + ".yaml");
        Files.writeString(yaml, """
                listeners:
                  - url: websocket://127.0.0.1:0
                control:
                  listen: http://127.0.0.1:%d
                paths:
                  run-dir: %s
                """.formatted(controlPort, dir.resolve("run-" + name))
                + ClusterNodes.yaml(REDIS.url(), prefix, "  node-ttl: " + NODE_TTL.toMillis() + "ms\n"));
        return CronProcessMain.spawn(yaml, dir.resolve(logName + ".log"));
    }

    private Node ready(String name, String logName) {
        Path log = dir.resolve(logName + ".log");
        int control = Await.value(name + " is ready", Duration.ofSeconds(120),
                () -> processes.get(name).isAlive() ? CronProcessMain.readyPort(log) : null);
        Node probe = new Node(name, control, 0, null);
        JsonNode st = status(probe);
        String url = st.at("/listeners/0/url").asText();
        int ws = Integer.parseInt(url.substring(url.lastIndexOf(':') + 1));
        return new Node(name, control, ws, st.at("/node_id").asText());
    }

    private List<String> keys(String pattern) {
        try {
            return REDIS.keys(pattern);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private boolean hashHas(String key, String field) {
        try {
            return "1".equals(REDIS.command("HEXISTS", key, field));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode status(Node n) {
        return get(n, "/api/status").get("result");
    }

    private static JsonNode call(Node n, String method, String body) {
        JsonNode r = post(n, method, body);
        if (!r.has("result")) {
            throw new AssertionError(method + " on " + n.name() + ": " + r);
        }
        return r.get("result");
    }

    private static JsonNode post(Node n, String method, String body) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.control() + "/api/" + method))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static JsonNode get(Node n, String path) {
        return send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.control() + path)).GET());
    }

    private static JsonNode send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = HTTP.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
