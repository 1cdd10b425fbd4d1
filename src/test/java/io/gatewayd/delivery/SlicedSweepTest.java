package io.gatewayd.delivery;

import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Broadcasts are written in slices of {@code outbound.write-slice} connections with I/O in
 * between, while pushes to named clients are written at once. With a slice of 2 every broadcast
 * spans many loop turns, so pushes, exclusions and clients that disconnect land in the middle of
 * sweeps; each client must still see exactly its share of the sent sequence, in order.
 */
class SlicedSweepTest {
    static final int CLIENTS = 40;
    static final int CHURN = 30;
    static final int STEPS = 150;

    @Test
    void everyClientSeesItsShareOfTheSequenceInOrderWhileSweepsAreInterrupted() {
        HttpClient http = HttpClient.newHttpClient();
        List<WsClient> clients = new ArrayList<>();
        List<WsClient> churn = new ArrayList<>();
        try (TestGateway gw = TestGateway.start("""
                node:
                  io-threads: 2
                listeners:
                  - url: websocket://127.0.0.1:0
                outbound:
                  write-slice: 2
                """)) {
            // connected first, so they sit early in the loops' lists: one leaving mid-sweep, after
            // the sweep passed it, makes a not yet visited client take its place
            for (int i = 0; i < CHURN; i++) {
                churn.add(WsClient.connectAndInit(http, gw.wsUri()));
            }
            Map<String, List<String>> expected = new HashMap<>();
            for (int i = 0; i < CLIENTS; i++) {
                WsClient c = WsClient.connectAndInit(http, gw.wsUri());
                clients.add(c);
                expected.put(c.clientId(), new ArrayList<>());
                gw.call("bindUid", Map.of("client_id", c.clientId(), "uid", "u" + i));
            }
            Random random = new Random(7);
            for (int step = 0; step < STEPS; step++) {
                String broadcast = "b" + step;
                WsClient skipped = step % 5 == 0 ? clients.get(random.nextInt(CLIENTS)) : null;
                if (skipped == null) {
                    gw.call("sendToAll", Map.of("message", broadcast));
                } else {
                    gw.call("sendToAll", Map.of("message", broadcast, "exclude_client_ids", List.of(skipped.clientId())));
                }
                for (WsClient c : clients) {
                    if (c != skipped) {
                        expected.get(c.clientId()).add(broadcast);
                    }
                }
                // right behind the broadcast, while its sweep is still going: a push to one uid
                int target = random.nextInt(CLIENTS);
                String direct = "u" + target + "-after-" + broadcast;
                gw.call("sendToUid", Map.of("uid", "u" + target, "message", direct));
                expected.get(clients.get(target).clientId()).add(direct);
                if (step % 5 == 2 && !churn.isEmpty()) {
                    churn.remove(0).close(); // leaves its loop mid-sweep
                }
            }
            for (WsClient c : clients) {
                List<String> got = new ArrayList<>();
                List<String> want = expected.get(c.clientId());
                for (int i = 0; i < want.size(); i++) {
                    got.add(c.next(Duration.ofSeconds(30)));
                }
                assertThat(got).as("messages of %s", c.clientId()).isEqualTo(want);
            }
            gw.call("sendToAll", Map.of("message", "end"));
            for (WsClient c : clients) {
                assertThat(c.next(Duration.ofSeconds(30))).as("nothing extra before the end marker").isEqualTo("end");
            }
        } finally {
            clients.forEach(WsClient::close);
            churn.forEach(WsClient::close);
        }
    }
}
