package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.lifecycle.AdminApi;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static io.gatewayd.cli.StartCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * `gatewayctl connections` against a real gateway: uids and group names are shown so that one
 * value reads as one value (quoted when it holds the separator or whitespace), long ones are cut
 * in human output and exact in --json.
 */
class ConnectionsCommandTest {
    /** A gateway serving admin/connections, as the gateway process installs it. */
    private static TestGateway gateway() {
        TestGateway gw = TestGateway.start();
        AdminApi.install(gw.gateway(), new AdminApi.Control() {
            @Override
            public Map<String, Object> stop(boolean graceful, Duration timeout) {
                throw new UnsupportedOperationException("not under test");
            }

            @Override
            public CompletableFuture<Map<String, Object>> reload() {
                throw new UnsupportedOperationException("not under test");
            }
        });
        return gw;
    }

    @Test
    void aGroupNameWithTheSeparatorIsQuotedNotSplit() {
        try (TestGateway gw = gateway(); WsClient client = gw.client()) {
            String url = gw.controlUri("").toString();
            gw.call("joinGroup", Map.of("client_id", client.clientId(), "group", "a,b"));
            gw.call("joinGroup", Map.of("client_id", client.clientId(), "group", "plain"));
            gw.call("bindUid", Map.of("client_id", client.clientId(), "uid", "bob smith"));

            StartCommandTest.Run r = run("connections", "--control-url", url);
            assertThat(r.exit()).as(r.toString()).isZero();
            String row = r.out().lines().filter(l -> l.startsWith(client.clientId())).findFirst().orElseThrow();
            assertThat(row).contains("\"bob smith\"");
            assertThat(row).containsAnyOf("\"a,b\",plain", "plain,\"a,b\"");

            StartCommandTest.Run inGroup = run("connections", "--control-url", url, "--group", "a,b");
            assertThat(inGroup.out()).as(inGroup.toString()).contains("1 connection in group \"a,b\"");
        }
    }

    @Test
    void aLongUidIsAbbreviatedInTheSummaryAndTableButExactInJson() throws Exception {
        String uid = "u".repeat(10 * 1024);
        try (TestGateway gw = gateway(); WsClient client = gw.client()) {
            String url = gw.controlUri("").toString();
            gw.call("bindUid", Map.of("client_id", client.clientId(), "uid", uid));

            StartCommandTest.Run r = run("connections", "--control-url", url, "--uid", uid);
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out()).doesNotContain(uid.substring(0, Names.MAX + 1));
            assertThat(r.out()).contains("1 connection with uid " + uid.substring(0, Names.KEPT)
                    + "...(10240 characters)");
            assertThat(r.out().lines().mapToInt(String::length).max().orElse(0)).isLessThan(400);

            StartCommandTest.Run json = run("connections", "--control-url", url, "--uid", uid, "--json");
            assertThat(json.exit()).as(json.toString()).isZero();
            JsonNode rows = new ObjectMapper().readTree(json.out()).path("connections");
            assertThat(rows).hasSize(1);
            assertThat(rows.get(0).path("uid").asText()).isEqualTo(uid);
        }
    }
}
