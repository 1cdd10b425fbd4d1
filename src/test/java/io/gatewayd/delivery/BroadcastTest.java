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
            // a turn counts its deliveries after flushing them: with epoll or NIO the flush writes to
            // the socket at once, so a client can read the last slice before the loop counts it
            long welcomesAndBroadcasts = (long) CLIENTS * (MESSAGES + 2);
            var out = gw.gateway().stats().messagesOut;
            Await.until("messages out counts the welcome and every broadcast (" + welcomesAndBroadcasts + ")",
                    () -> out.sum() >= welcomesAndBroadcasts);
        } finally {
            clients.forEach(WsClient::close);
            pool.shutdownNow();
        }
    }

    @Test
    void aCloseDoesNotOvertakeABroadcastAnsweredBeforeIt() {
        // one loop, one connection per slice: in a batch the close runs on the loop right after
        // the broadcast was queued, before the lane has written it to anyone
        try (TestGateway gw = TestGateway.start("node:\n  io-threads: 1\noutbound:\n  write-slice: 1\n")) {
            List<WsClient> clients = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                clients.add(gw.client());
            }
            WsClient last = clients.get(clients.size() - 1);
            var r = gw.call("batch", List.of(
                    Map.of("method", "sendToAll", "params", Map.of("message", "before-close")),
                    Map.of("method", "closeClient", "params", Map.of("client_id", last.clientId()))));
            assertThat(r.get(1).path("result").asBoolean()).as(r.toString()).isTrue();
            assertThat(last.next()).isEqualTo("before-close");
            assertThat(last.awaitClose(Duration.ofSeconds(20))).isEqualTo(1000);
            for (WsClient c : clients.subList(0, clients.size() - 1)) {
                assertThat(c.next()).isEqualTo("before-close");
                c.close();
            }
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
