package io.gatewayd.delivery;

import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * outbound.max-loop-backlog paces the push API: a push is answered once every event loop has at
 * most that many writes still to do. With a bound of 1 and broadcasts written one connection per
 * turn, an answered sendToAll must already have been written to every client.
 */
class AdmissionTest {
    static final int CLIENTS = 60;

    @Test
    void aPushIsAnsweredOnlyOnceTheBacklogIsBelowTheBound() {
        HttpClient http = HttpClient.newHttpClient();
        List<WsClient> clients = new ArrayList<>();
        try (TestGateway gw = TestGateway.start("""
                node:
                  io-threads: 2
                listeners:
                  - url: websocket://127.0.0.1:0
                outbound:
                  max-loop-backlog: 1
                  write-slice: 1
                """)) {
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(WsClient.connectAndInit(http, gw.wsUri()));
            }
            var out = gw.gateway().stats().messagesOut;
            for (int m = 0; m < 20; m++) {
                long before = out.sum();
                var r = gw.call("sendToAll", Map.of("message", "m" + m));
                assertThat(r.get("delivered").asInt()).isEqualTo(CLIENTS);
                assertThat(out.sum() - before).as("writes done when push %d was answered", m)
                        .isGreaterThanOrEqualTo(CLIENTS);
            }
            for (WsClient c : clients) {
                for (int m = 0; m < 20; m++) {
                    assertThat(c.next(Duration.ofSeconds(30))).isEqualTo("m" + m);
                }
            }
        } finally {
            clients.forEach(WsClient::close);
        }
    }
}
