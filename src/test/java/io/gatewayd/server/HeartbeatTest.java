package io.gatewayd.server;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * GatewayWorker's heartbeat semantics. Timing bounds are one-sided where load could only make
 * things later: a client is never dropped before limit·P after its last message, and is dropped
 * eventually; liveness assertions wait on conditions with deadlines.
 */
class HeartbeatTest {
    static final double P = 0.4; // seconds

    @Test
    void aSilentClientIsDroppedAfterTheLimitButNotBefore() {
        try (TestGateway gw = TestGateway.start("""
                heartbeat:
                  ping-interval: %s
                  ping-not-response-limit: 2
                """.formatted(P))) {
            // taken before the connect: the gateway's last activity from this client cannot be
            // earlier, so load can only lengthen what is measured (taken once the welcome was in,
            // a slow welcome shortened it by its delay, past the tick phase's margin)
            long beforeConnect = System.nanoTime();
            WsClient c = gw.client();
            int code = c.awaitClose(Duration.ofSeconds(20));
            double silentFor = (System.nanoTime() - beforeConnect) / 1e9;
            assertThat(code).isEqualTo(1001);
            assertThat(c.closeReason()).isEqualTo("heartbeat timeout");
            // never before limit*P (+P/2 in theory; we allow for tick phase)
            assertThat(silentFor).isGreaterThanOrEqualTo(2 * P);
            Await.until("the drop is counted", () -> gw.gateway().stats().heartbeatDropped.sum() == 1);
            Await.until("the registry forgets it", () -> gw.gateway().registry().size() == 0);
            c.close();
        }
    }

    @Test
    void messagesAndWebSocketPingsKeepAClientAlive() {
        // a longer interval here: the keep-alive loop must beat it even on a loaded machine
        double p = 1.0;
        try (TestGateway gw = TestGateway.start("""
                heartbeat:
                  ping-interval: %s
                  ping-not-response-limit: 2
                """.formatted(p));
             WsClient talker = gw.client();
             WsClient pinger = gw.client();
             WsClient silent = gw.client()) {
            // keep two clients active (one with messages, one with ping control frames) until the
            // silent one has been dropped, then for three more intervals
            long keepUntil = Long.MAX_VALUE;
            while (System.nanoTime() < keepUntil) {
                talker.send("{\"type\":\"PING\"}");
                pinger.sendPing();
                if (silent.isClosed() && keepUntil == Long.MAX_VALUE) {
                    keepUntil = System.nanoTime() + (long) (3 * p * 1e9);
                }
                Await.until("the echo arrives", () -> talker.poll() != null);
            }
            assertThat(silent.awaitClose(Duration.ofSeconds(1))).isEqualTo(1001);
            assertThat(talker.isClosed()).isFalse();
            assertThat(pinger.isClosed()).as("ping frames count as activity (unlike GatewayWorker #76)").isFalse();
            assertThat(gw.gateway().registry().size()).isEqualTo(2);
        }
    }

    @Test
    void withoutALimitIdleClientsGetPingDataAndAreNeverDropped() {
        try (TestGateway gw = TestGateway.start("""
                heartbeat:
                  ping-interval: %s
                  ping-not-response-limit: 0
                  ping-data: '{"type":"ping"}'
                """.formatted(P));
             WsClient c = gw.client()) {
            for (int i = 0; i < 4; i++) {
                assertThat(c.next(Duration.ofSeconds(10))).isEqualTo("{\"type\":\"ping\"}");
            }
            assertThat(c.isClosed()).isFalse();
            assertThat(gw.gateway().stats().heartbeatDropped.sum()).isZero();
        }
    }

    @Test
    void anOpenWebSocketOutlivesTheHandshakeTimeout() {
        // regression: the handshake deadline once closed every client as "handshake timeout".
        // The client's own handshake must still beat the deadline on a loaded machine: 1 s, as
        // 200 ms would fail the test whenever load held the handshake up that long
        try (TestGateway gw = TestGateway.start("""
                limits:
                  handshake-timeout: 1s
                heartbeat:
                  ping-interval: 0.2
                  ping-data: tick
                """);
             WsClient c = gw.client()) {
            // ticks are 200 ms apart, so the 8th was written at least 1.4 s after the connect:
            // well past the deadline, which the same event loop would have run before it
            for (int i = 0; i < 8; i++) {
                assertThat(c.next(Duration.ofSeconds(10))).isEqualTo("tick");
            }
            assertThat(c.isClosed()).isFalse();
            assertThat(gw.gateway().registry().size()).isEqualTo(1);
        }
    }

    @Test
    void pingDataIsSkippedRightAfterActivity() {
        // counter semantics: a tick right after a message only resets to 0 and sends nothing
        try (TestGateway gw = TestGateway.start("""
                heartbeat:
                  ping-interval: 0.3
                  ping-data: tick
                """);
             WsClient c = gw.client()) {
            assertThat(c.next(Duration.ofSeconds(10))).isEqualTo("tick");
            // after activity, the next tick is skipped, the one after sends again
            c.send("active");
            assertThat(c.next(Duration.ofSeconds(10))).isEqualTo("tick");
        }
    }
}
