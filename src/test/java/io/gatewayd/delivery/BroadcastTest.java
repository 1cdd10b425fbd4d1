package io.gatewayd.delivery;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

class BroadcastTest {
    static final int CLIENTS = 1000;
    static final int MESSAGES = 30;

    @Test
    void everyClientReceivesEveryBroadcastExactlyOnceInOrder() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<WsClient> clients = new ArrayList<>();
        try (TestGateway gw = TestGateway.start()) {
            List<HttpClient> https = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                https.add(HttpClient.newHttpClient());
            }
            List<CompletableFuture<WsClient>> connecting = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                HttpClient http = https.get(i % https.size());
                connecting.add(CompletableFuture.supplyAsync(() -> WsClient.connectAndInit(http, gw.wsUri()), pool));
            }
            for (CompletableFuture<WsClient> f : connecting) {
                clients.add(f.join());
            }
            assertThat(gw.call("getAllClientIdCount", Map.of()).asInt()).isEqualTo(CLIENTS);

            for (int m = 0; m < MESSAGES; m++) {
                var r = gw.call("sendToAll", Map.of("message", "broadcast-" + m));
                assertThat(r.get("delivered").asInt()).isEqualTo(CLIENTS);
            }
            for (WsClient c : clients) {
                for (int m = 0; m < MESSAGES; m++) {
                    assertThat(c.next(Duration.ofSeconds(30))).isEqualTo("broadcast-" + m);
                }
            }
            // and nothing more: a marker sent last is the next thing every client sees
            gw.call("sendToAll", Map.of("message", "end"));
            for (WsClient c : clients) {
                assertThat(c.next(Duration.ofSeconds(30))).as("no duplicates before the end marker").isEqualTo("end");
            }
            assertThat(gw.gateway().stats().messagesOut.sum()).isGreaterThanOrEqualTo((long) CLIENTS * (MESSAGES + 2));
        } finally {
            clients.forEach(WsClient::close);
            pool.shutdownNow();
        }
    }

    @Test
    void aSlowReaderIsDroppedWhileOthersKeepReceiving() throws Exception {
        try (TestGateway gw = TestGateway.start("""
                outbound:
                  write-buffer-low: 8KiB
                  write-buffer-high: 16KiB
                  max-pending-bytes: 256KiB
                """);
             WsClient fast = gw.client();
             RawClient slow = new RawClient(gw.gateway().port("websocket"))) {
            assertThat(slow.upgrade()).startsWith("HTTP/1.1 101");
            assertThat(slow.readFrame().text()).contains("SERVER_INIT");
            // and never reads again: its kernel buffers fill, then the gateway's queue for it
            String payload = "p".repeat(16 * 1024);
            int sent = 0;
            while (gw.gateway().stats().slowClientsDropped.sum() == 0) {
                assertThat(sent).as("the slow reader should be dropped long before this").isLessThan(5000);
                gw.call("sendToAll", Map.of("message", payload + sent));
                assertThat(fast.next(Duration.ofSeconds(20))).isEqualTo(payload + sent);
                sent++;
            }
            Await.until("the slow client leaves the registry", () -> gw.gateway().registry().size() == 1);
            gw.call("sendToAll", Map.of("message", "after"));
            assertThat(fast.next(Duration.ofSeconds(20))).isEqualTo("after");
            assertThat(gw.get("/api/status").json().get("result").get("dropped").get("slow_clients").asInt()).isEqualTo(1);
        }
    }
}
