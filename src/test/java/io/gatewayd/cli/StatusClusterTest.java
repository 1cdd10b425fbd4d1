package io.gatewayd.cli;

import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The cluster block of `gatewayctl status`, from the JSON a node reports. */
class StatusClusterTest {
    private static String render(String clusterJson) {
        StringWriter sw = new StringWriter();
        StatusCommand.printCluster(new PrintWriter(sw, true), WsClient.json(clusterJson));
        return sw.toString();
    }

    @Test
    void whileRedisIsDownTheRowsAreMarkedAsLastSeen() {
        String out = render("""
                {"state":"degraded","redis":{"url":"redis://127.0.0.1:6379/0","state":"down","error":"Connection refused",
                 "outages":0},"connections_total":3,
                 "nodes":[{"node_id":"7f000001205b","self":true,"connections":3},
                          {"node_id":"7f0000012065","self":false,"connections":0,"heartbeat_age_ms":11907}]}
                """);
        assertThat(out).contains("not connected since the start").doesNotContain("0 Redis outages")
                .contains("as last seen before Redis went down");
    }

    @Test
    void whenRedisIsUpTheOutagesAreCounted() {
        String out = render("""
                {"state":"ok","redis":{"url":"redis://127.0.0.1:6379/0","state":"up","outages":2},"connections_total":3,
                 "nodes":[{"node_id":"7f000001205b","self":true,"connections":3}]}
                """);
        assertThat(out).contains("2 Redis outages").doesNotContain("last seen");
    }
}
