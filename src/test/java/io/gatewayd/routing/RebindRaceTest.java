package io.gatewayd.routing;

import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * sendToUid with several uids while the clients are rebound between those uids: each client is
 * bound to one of them all along, so it must never get a message twice. (Reading the uids one
 * after another used to collect a client that moved from the first to the second twice.) Once
 * fixed this cannot fail; before, the race made it fail in most runs.
 */
class RebindRaceTest {
    @Test
    void aClientMovedBetweenTheUidsOfOnePushGetsItOnceAtMost() throws Exception {
        try (TestGateway gw = TestGateway.start("node:\n  io-threads: 2\n")) {
            List<WsClient> clients = new ArrayList<>();
            Registry registry = gw.gateway().registry();
            List<Connection> conns = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                WsClient c = gw.client();
                clients.add(c);
                gw.call("bindUid", Map.of("client_id", c.clientId(), "uid", "A"));
                conns.add(registry.get(c.clientId()));
            }
            AtomicBoolean stop = new AtomicBoolean();
            Thread flipper = new Thread(() -> {
                for (long n = 0; !stop.get(); n++) {
                    for (Connection c : conns) {
                        registry.bindUid(c, (n & 1) == 0 ? "B" : "A");
                    }
                }
            }, "flipper");
            flipper.start();
            try {
                for (int i = 0; i < 400; i++) {
                    gw.call("sendToUid", Map.of("uids", List.of("A", "B"), "message", "m" + i));
                }
            } finally {
                stop.set(true);
                flipper.join(10_000);
            }
            for (WsClient c : clients) {
                gw.call("sendToClient", Map.of("client_id", c.clientId(), "message", "end"));
                Set<String> seen = new HashSet<>();
                for (String m = c.next(Duration.ofSeconds(30)); !m.equals("end"); m = c.next(Duration.ofSeconds(30))) {
                    assertThat(seen.add(m)).as(c.clientId() + " got " + m + " twice").isTrue();
                }
                c.close();
            }
        }
    }
}
