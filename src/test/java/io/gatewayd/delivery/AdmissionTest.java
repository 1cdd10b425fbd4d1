package io.gatewayd.delivery;

import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

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

    @Test
    void aPushSentFromTheAnswerOfTheOneBeforeWaitsForItsOwnBacklog() throws Exception {
        // A backend that paces itself by chaining each push on the answer of the one before sends
        // the next push from inside the loop turn that admits the previous one. That push must wait
        // for its own writes, not be admitted by the same turn.
        int pushes = 10;
        List<WsClient> clients = new ArrayList<>();
        try (TestGateway gw = TestGateway.start("""
                node:
                  io-threads: 1
                outbound:
                  max-loop-backlog: 1
                  write-slice: 1
                """)) {
            HttpClient http = HttpClient.newHttpClient();
            for (int i = 0; i < CLIENTS; i++) {
                clients.add(WsClient.connectAndInit(http, gw.wsUri()));
            }
            var out = gw.gateway().stats().messagesOut;
            long base = out.sum();
            AtomicLongArray writtenWhenAnswered = new AtomicLongArray(pushes);
            CompletableFuture<?> chain = CompletableFuture.completedFuture(null);
            for (int m = 0; m < pushes; m++) {
                int i = m;
                chain = chain.thenCompose(v -> gw.gateway().router().sendToAll(OutboundMessage.text("m" + i), null, Set.of()))
                        .thenRun(() -> writtenWhenAnswered.set(i, out.sum() - base));
            }
            chain.get(60, TimeUnit.SECONDS);
            for (int m = 0; m < pushes; m++) {
                // answered: at most max-loop-backlog (1) of the writes queued so far still to do
                assertThat(writtenWhenAnswered.get(m)).as("writes done when push %d was answered", m)
                        .isGreaterThanOrEqualTo((long) (m + 1) * CLIENTS - 1);
            }
            for (WsClient c : clients) {
                for (int m = 0; m < pushes; m++) {
                    assertThat(c.next(Duration.ofSeconds(30))).isEqualTo("m" + m);
                }
            }
        } finally {
            clients.forEach(WsClient::close);
        }
    }
}
