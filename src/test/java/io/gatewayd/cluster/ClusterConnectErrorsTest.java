package io.gatewayd.cluster;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TestGateway;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A node that cannot use Redis says why in its status, not Lettuce's "Unable to connect". */
class ClusterConnectErrorsTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    /**
     * The reason the node reports once it names {@code cause}: it retries, and an attempt may end
     * on a connection closed under it before Redis' own answer is seen.
     */
    private static String redisError(String url, String cause) {
        try (TestGateway gw = TestGateway.start("cluster:\n  redis: \"" + url + "\"\n")) {
            Await.until("the node reports " + cause, Duration.ofSeconds(60),
                    () -> gw.get("/api/status").json().at("/result/cluster/redis/error").asText("").contains(cause));
            return gw.get("/api/status").json().at("/result/cluster/redis/error").asText();
        }
    }

    @Test
    void aRefusedPasswordIsNamedWithTheFix() {
        String why = redisError("redis://app:wrong-pw@127.0.0.1:" + REDIS.port() + "/0", "WRONGPASS");
        assertThat(why).contains("WRONGPASS").contains("user and password in cluster.redis")
                .doesNotContain("<unresolved>").doesNotContain("wrong-pw");
    }

    @Test
    void aDatabaseRedisDoesNotHaveIsNamedWithTheFix() {
        String why = redisError("redis://127.0.0.1:" + REDIS.port() + "/99", "DB index is out of range");
        assertThat(why).contains("DB index is out of range").contains("databases").doesNotContain("<unresolved>");
    }
}
