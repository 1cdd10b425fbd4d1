package io.gatewayd.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TestGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Cron run-on: one over three cluster nodes (which share no run directory): the Redis lock runs
 * each tick exactly once in the whole cluster. Waiting for wall-clock ticks is inherent; the
 * assertions are on counts only, allowing for ticks a node reports as misfired or skipped.
 */
class ClusterCronTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();
    private static final Pattern HIT = Pattern.compile("/hit\\?t=(\\d+)&n=(\\w+)");

    @Test
    void runOnOneRunsEachTickOnceInTheCluster() throws Exception {
        try (TickCounter counter = new TickCounter()) {
            String prefix = "cron" + System.nanoTime();
            String node = ClusterNodes.yaml(REDIS.url(), prefix, "") + counter.cronYaml();
            try (TestGateway a = TestGateway.start(node);
                 TestGateway b = TestGateway.start(node);
                 TestGateway c = TestGateway.start(node)) {
                Await.until("6 ticks ran", Duration.ofSeconds(60), () -> counter.ticks().size() >= 6);
                long problems = 0;
                long elsewhere = 0;
                for (TestGateway g : new TestGateway[] {a, b, c}) {
                    JsonNode job = g.call("cron/list", Map.of()).get(0);
                    problems += job.path("misfires").asLong() + job.path("skips").asLong();
                    elsewhere += job.path("elsewhere").asLong(0);
                }
                TreeMap<Long, Integer> t = counter.ticks();
                assertThat(t.values()).as("ticks run more than once: " + t).allMatch(n -> n == 1);
                long span = t.lastKey() - t.firstKey() + 1;
                assertThat(span - t.size()).as("ticks missing (misfires/skips reported: " + problems + ")")
                        .isLessThanOrEqualTo(problems);
                System.out.println("cron over 3 nodes: " + t.size() + " ticks, ran elsewhere " + elsewhere);
            }
        }
    }

    @Test
    void aPauseOnOneNodeHoldsTheJobOnEveryNodeUntilAnotherResumesIt() throws Exception {
        try (TickCounter counter = new TickCounter()) {
            String prefix = "pause" + System.nanoTime();
            String node = ClusterNodes.yaml(REDIS.url(), prefix, "") + counter.cronYaml();
            try (TestGateway a = TestGateway.start(node);
                 TestGateway b = TestGateway.start(node)) {
                Await.until("2 ticks ran", Duration.ofSeconds(60), () -> counter.hits.size() >= 2);
                assertThat(a.call("cron/pause", Map.of("name", "tick")).path("changed").asBoolean()).isTrue();
                // every tick after this second starts after the pause was written, on either node
                java.time.Instant pausedAt = java.time.Instant.now();
                assertThat(b.call("cron/pause", Map.of("name", "tick")).path("changed").asBoolean())
                        .as("paused in the cluster already").isFalse();
                assertThat(b.call("cron/list", Map.of()).get(0).path("paused").asBoolean()).isTrue();
                for (TestGateway g : new TestGateway[] {a, b}) { // both nodes pass three of the job's times
                    Await.until("a node passes three ticks while paused", Duration.ofSeconds(60), () ->
                            java.time.OffsetDateTime.parse(g.call("cron/list", Map.of()).get(0).path("next_run").asText())
                                    .toInstant().isAfter(pausedAt.plusSeconds(3)));
                }
                assertThat(counter.ticks().keySet()).as("no tick after the pause ran (ticks in epoch seconds)")
                        .allMatch(t -> t <= pausedAt.getEpochSecond());

                int atResume = counter.hits.size();
                assertThat(b.call("cron/resume", Map.of("name", "tick")).path("changed").asBoolean()).isTrue();
                assertThat(a.call("cron/list", Map.of()).get(0).path("paused").asBoolean()).isFalse();
                Await.until("ticks run again", Duration.ofSeconds(60), () -> counter.hits.size() >= atResume + 2);
                assertThat(counter.ticks().values()).as("each tick once").allMatch(n -> n == 1);
            }
        }
    }

    @Test
    void aPushJobReleasesItsLeaseWithoutWaitingOnTheThreadThatMustAnswer() throws Exception {
        // The push completes on the Redis connection's thread; releasing the lease from there
        // waited for a reply only that thread could read, so each run lasted command-timeout
        // and stalled the node's Redis traffic (and, with shared loops, its clients) meanwhile.
        String cron = """
                cron:
                  - name: pushj
                    schedule: "0 0 0 1 1 *"
                    run-on: one
                    push: {to: "group:g", message: x}
                """;
        String prefix = "release" + System.nanoTime();
        try (TestGateway a = TestGateway.start(ClusterNodes.yaml(REDIS.url(), prefix, "command-timeout: 20s") + cron)) {
            Await.until("the node is connected to Redis", Duration.ofSeconds(60),
                    () -> "ok".equals(a.get("/health").json().path("status").asText()));
            for (int i = 0; i < 2; i++) {
                JsonNode r = a.call("cron/run", Map.of("name", "pushj", "wait", true));
                assertThat(r.path("result").path("status").asText()).as(r.toString()).isEqualTo("ok");
                assertThat(r.path("result").path("duration_ms").asLong()).as("the run waited for the command timeout: " + r)
                        .isLessThan(10_000);
                assertThat(REDIS.keys(prefix + ":cron:pushj:lease")).as("lease released").isEmpty();
            }
        }
    }

    @Test
    void aPauseThatCannotReachRedisAnswers503AndChangesNothing() throws Exception {
        String cron = """
                cron:
                  - name: yearly
                    schedule: "0 0 0 1 1 *"
                    push: {message: x}
                """;
        try (TestGateway a = TestGateway.start(ClusterNodes.yaml(REDIS.url(), "nopause" + System.nanoTime(), "") + cron)) {
            REDIS.stop();
            try {
                Await.until("the node notices Redis is gone", Duration.ofSeconds(60),
                        () -> "degraded".equals(a.get("/health").json().path("status").asText()));
                TestGateway.Response r = a.post("cron/pause", Map.of("name", "yearly"));
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.errorCode()).isEqualTo("cron_lock_unavailable");
                assertThat(r.errorMessage()).contains("Redis is unavailable").contains("nothing changed");
            } finally {
                REDIS.start();
            }
            Await.until("the node is back", Duration.ofSeconds(60),
                    () -> "ok".equals(a.get("/health").json().path("status").asText()));
            assertThat(a.call("cron/list", Map.of()).get(0).path("paused").asBoolean()).isFalse();
        }
    }

    /**
     * An HTTP endpoint a cron job calls once per run with its tick (epoch seconds) and name, and
     * the config of that job: every second, run-on: one.
     */
    static final class TickCounter implements AutoCloseable {
        final ConcurrentLinkedQueue<String[]> hits = new ConcurrentLinkedQueue<>();
        private final HttpServer server;

        TickCounter() throws java.io.IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/", ex -> {
                Matcher m = HIT.matcher(ex.getRequestURI().toString());
                if (m.matches()) {
                    hits.add(new String[] {m.group(1), m.group(2)});
                }
                ex.sendResponseHeaders(200, -1);
                ex.close();
            });
            server.start();
        }

        String cronYaml() {
            return """
                    cron:
                      - name: tick
                        schedule: "* * * * * *"
                        http: {url: "http://127.0.0.1:%d/hit?t=${timestamp}&n=${job}"}
                    """.formatted(server.getAddress().getPort());
        }

        /** Runs per tick. */
        TreeMap<Long, Integer> ticks() {
            TreeMap<Long, Integer> out = new TreeMap<>();
            for (String[] h : hits) {
                out.merge(Long.parseLong(h[0]), 1, Integer::sum);
            }
            return out;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
