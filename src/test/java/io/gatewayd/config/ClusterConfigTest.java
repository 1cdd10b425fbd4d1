package io.gatewayd.config;

import io.gatewayd.Gateway;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RefusedPort;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClusterConfigTest {
    final ConfigLoader loader = new ConfigLoader(Map.of("REDIS_PASSWORD", "s3cret"));

    GatewayConfig parse(String yaml) {
        return loader.parse(yaml, "gw.yaml");
    }

    @Test
    void clusterModeIsOffUnlessConfigured() {
        assertThat(GatewayConfig.defaults().cluster()).isNull();
        assertThat(parse("heartbeat: {ping-interval: 10}\n").cluster()).isNull();
    }

    @Test
    void onlyTheRedisUrlIsNeededAndTheRestHasDefaults() {
        ClusterConfig c = parse("cluster:\n  redis: redis://10.0.0.9:6379/2\n").cluster();
        assertThat(c.redis()).isEqualTo("redis://10.0.0.9:6379/2");
        assertThat(c.keyPrefix()).isEqualTo("gatewayd");
        assertThat(c.nodeTtl()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.heartbeat()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.commandTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.ackTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(c.queryTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(c).isEqualTo(ClusterConfig.of("redis://10.0.0.9:6379/2"));
    }

    @Test
    void everyKeyIsReadInKebabCase() {
        ClusterConfig c = parse("""
                cluster:
                  redis: "redis://:${REDIS_PASSWORD}@127.0.0.1:6380/1"
                  key-prefix: shop-gw
                  node-ttl: 6s
                  heartbeat: 1s
                  command-timeout: 1500ms
                  ack-timeout: 3s
                  query-timeout: 4s
                  probe-interval: 10s
                  probe-timeout: 2s
                  resubscribe-batch: 100
                  janitor-interval: 20s
                  mirror-ttl: 2m
                  fanout-threshold: 10
                """).cluster();
        assertThat(c.redis()).isEqualTo("redis://:s3cret@127.0.0.1:6380/1");
        assertThat(c.redactedRedis()).isEqualTo("redis://:***@127.0.0.1:6380/1");
        assertThat(c.keyPrefix()).isEqualTo("shop-gw");
        assertThat(c.nodeTtl()).isEqualTo(Duration.ofSeconds(6));
        assertThat(c.commandTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.resubscribeBatch()).isEqualTo(100);
        assertThat(c.fanoutThreshold()).isEqualTo(10);
    }

    @Test
    void mistakesNameTheKeyAndTheFix() {
        assertThatThrownBy(() -> parse("cluster: {}\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("cluster.redis").hasMessageContaining("redis://127.0.0.1:6379/0");
        assertThatThrownBy(() -> parse("cluster:\n  redis: http://127.0.0.1:6379\n"))
                .hasMessageContaining("cluster.redis").hasMessageContaining("must start with redis://");
        assertThatThrownBy(() -> parse("cluster:\n  redis: redis://127.0.0.1:6379/zero\n"))
                .hasMessageContaining("database number");
        assertThatThrownBy(() -> parse("cluster:\n  redis: redis://h:1/0\n  node-ttl: 1s\n  heartbeat: 1s\n"))
                .hasMessageContaining("cluster.node-ttl").hasMessageContaining("twice cluster.heartbeat");
        assertThatThrownBy(() -> parse("cluster:\n  redis: redis://h:1/0\n  key-prefix: \"a b\"\n"))
                .hasMessageContaining("cluster.key-prefix");
        assertThatThrownBy(() -> parse("cluster:\n  redis: redis://h:1/0\n  nodettl: 5s\n"))
                .hasMessageContaining("did you mean \"node-ttl\"");
    }

    @Test
    void theDedupKeysOfOldConfigsNameTheirNewPlace() {
        assertThatThrownBy(() -> parse("cluster:\n  redis: redis://h:1/0\n  dedup-window: 1m\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("gw.yaml:3: cluster.dedup-window has moved to control.dedup-window (msg_id dedup applies "
                        + "to a single node too, not only in cluster mode); write it under control: instead, same value");
        assertThatThrownBy(() -> parse("cluster:\n  redis: redis://h:1/0\n  key-prefix: a\n  dedup-max-entries: 0\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("gw.yaml:4: cluster.dedup-max-entries has moved to control.dedup-max-entries (");
        // and where they live now, a cluster reads them
        GatewayConfig c = parse("cluster:\n  redis: redis://h:1/0\ncontrol:\n  dedup-window: 1m\n  dedup-max-entries: 5000\n");
        assertThat(c.control().dedupWindow()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.control().dedupMaxEntries()).isEqualTo(5000);
    }

    @Test
    void theCommentedExampleInTheShippedConfigIsValid() throws Exception {
        String shipped = Files.readString(Path.of("conf/gatewayd.yaml"));
        int at = shipped.indexOf("# cluster:");
        assertThat(at).as("conf/gatewayd.yaml has a commented cluster: example").isPositive();
        StringBuilder example = new StringBuilder();
        for (String line : shipped.substring(at).split("\n")) {
            if (!line.startsWith("#")) {
                break;
            }
            example.append(line.length() > 2 ? line.substring(2) : "").append('\n');
        }
        ClusterConfig c = parse(example.toString()).cluster();
        assertThat(c).isNotNull();
        assertThat(c.redis()).startsWith("redis://");
    }

    @Test
    void aGatewayStartsWithRedisUnreachableServesItsClientsAndReportsDegraded() {
        try (RefusedPort noRedis = new RefusedPort();
             TestGateway gw = TestGateway.start("cluster:\n  redis: redis://127.0.0.1:" + noRedis.port() + "/0\n");
             WsClient c = gw.client()) {
            assertThat(gw.gateway().state()).isEqualTo(Gateway.State.RUNNING);
            Await.until("/health says degraded", () -> {
                TestGateway.Response r = gw.get("/health");
                return r.status() == 200 && "degraded".equals(r.json().path("status").asText());
            });
            assertThat(gw.call("sendToClient", Map.of("client_id", c.clientId(), "message", "local")).path("delivered")
                    .asInt()).isEqualTo(1);
            assertThat(c.next()).isEqualTo("local");
            TestGateway.Response r = gw.post("sendToAll", Map.of("message", "all"));
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.errorCode()).isEqualTo("cluster_unavailable");
            assertThat(r.json().at("/error/delivered_local").asInt()).isEqualTo(1);
            assertThat(c.next()).isEqualTo("all");
            assertThat(gw.get("/api/status").json().at("/result/cluster/redis/state").asText()).isEqualTo("down");
        }
    }
}
