package io.gatewayd.security;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.server.Rejection;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Each limit hit once: the status or close code the client sees, and the counter in status. */
class LimitsTest {

    static JsonNode limits(TestGateway gw) {
        return gw.get("/api/status").json().get("result").get("limits");
    }

    @Test
    void maxConnectionsAnswers503AndClosesTcpClients() throws Exception {
        try (TestGateway gw = TestGateway.start("""
                limits:
                  max-connections: 2
                listeners:
                  - url: websocket://127.0.0.1:0
                  - url: text://127.0.0.1:0
                """)) {
            try (WsClient a = gw.client(); WsClient b = gw.client()) {
                assertThat(Handshakes.refusedStatus(gw.wsUri())).isEqualTo(503);
                try (Socket s = new Socket("127.0.0.1", gw.gateway().port("text"))) {
                    s.setSoTimeout(20_000);
                    assertThat(s.getInputStream().read()).as("a TCP client over the limit is closed").isEqualTo(-1);
                }
            }
            assertThat(limits(gw).get("refused").get("too_many_connections").asInt()).isEqualTo(2);
            Await.until("the count is back to 0", () -> gw.gateway().guard().openSockets() == 0);
            try (WsClient again = gw.client()) {
                assertThat(again.clientId()).isNotNull();
            }
        }
    }

    @Test
    void pastTheCapOnlyAFewIdleSocketsAreKeptToBeAnswered503() throws Exception {
        try (TestGateway gw = TestGateway.start("limits:\n  max-connections: 1\n"); WsClient admitted = gw.client()) {
            List<RawClient> waiting = new ArrayList<>();
            try {
                // connected, no request yet: each holds a descriptor until it sends one
                for (int i = 0; i < io.gatewayd.server.ConnectionGuard.ANSWERED_OVER_CAP; i++) {
                    waiting.add(new RawClient(portOf(gw)));
                }
                Await.until("the gateway has accepted them all", () -> gw.gateway().guard().openSockets()
                        == 1 + io.gatewayd.server.ConnectionGuard.ANSWERED_OVER_CAP);
                try (RawClient idle = new RawClient(portOf(gw), 5_000)) {
                    assertThat(idle.socket().getInputStream().read())
                            .as("closed at once, long before limits.handshake-timeout (10 s)").isEqualTo(-1);
                }
                RawClient first = waiting.get(0);
                assertThat(RawClient.status(first.write(RawClient.handshake("/")).readHead())).isEqualTo(503);
            } finally {
                for (RawClient c : waiting) {
                    c.close();
                }
            }
        }
    }

    @Test
    void maxConnectionsPerIpAnswers429() {
        try (TestGateway gw = TestGateway.start("limits:\n  max-connections-per-ip: 1\n");
             WsClient a = gw.client()) {
            assertThat(Handshakes.refusedStatus(gw.wsUri())).isEqualTo(429);
            assertThat(gw.gateway().guard().rejectedCount(Rejection.TOO_MANY_FROM_ADDRESS)).isEqualTo(1);
        }
    }

    @Test
    void connectRatePerIpAnswers429() throws IOException {
        try (TestGateway gw = TestGateway.start("limits:\n  connect-rate-per-ip: 1\n")) {
            // a bucket of 1 refilled once a second: 20 handshakes in a row cannot all get a token
            int refused = 0;
            for (int i = 0; i < 20 && refused == 0; i++) {
                try (RawClient c = new RawClient(gw.gateway().port("websocket"))) {
                    c.write(RawClient.handshake("/"));
                    if (RawClient.status(c.readHead()) == 429) {
                        refused++;
                    }
                }
            }
            assertThat(refused).isEqualTo(1);
            assertThat(gw.gateway().guard().rejectedCount(Rejection.CONNECT_RATE)).isEqualTo(1);
        }
    }

    @Test
    void aHandshakeThatNeverCompletesGets408() throws IOException {
        try (TestGateway gw = TestGateway.start("limits:\n  handshake-timeout: 300ms\n");
             RawClient slow = new RawClient(0 + portOf(gw))) {
            slow.write("GET / HTTP/1.1\r\nHost: x\r\nUpgr"); // and then nothing (slowloris)
            String head = slow.readHead();
            assertThat(RawClient.status(head)).isEqualTo(408);
            assertThat(slow.closedByServer()).isTrue();
            assertThat(gw.gateway().guard().rejectedCount(Rejection.HANDSHAKE_TIMEOUT)).isEqualTo(1);
            Await.until("the socket is released", () -> gw.gateway().guard().openSockets() == 0);
        }
    }

    private static int portOf(TestGateway gw) {
        return gw.gateway().port("websocket");
    }

    @Test
    void aFragmentedMessageOverMaxMessageSizeIsClosedWith1009() throws IOException {
        try (TestGateway gw = TestGateway.start("""
                listeners:
                  - url: websocket://127.0.0.1:0
                    max-frame-size: 1KiB
                    max-message-size: 2KiB
                """);
             RawClient c = new RawClient(portOf(gw))) {
            assertThat(RawClient.status(c.upgrade())).isEqualTo(101);
            c.readFrame(); // welcome
            byte[] part = new byte[1000];
            c.write(RawClient.frame(false, 0, 1, true, "a".repeat(1000).getBytes(StandardCharsets.UTF_8)));
            c.write(RawClient.frame(false, 0, 0, true, "b".repeat(1000).getBytes(StandardCharsets.UTF_8)));
            c.write(RawClient.frame(true, 0, 0, true, part));
            assertThat(c.awaitClose()).isEqualTo(1009);
        }
    }

    @Test
    void aClientSendingFasterThanItsMessageRateIsClosedWith1008() {
        try (TestGateway gw = TestGateway.start("limits:\n  client-messages-per-second: 5\n");
             WsClient c = gw.client()) {
            for (int i = 0; i < 50 && !c.isClosed(); i++) {
                try {
                    c.send("{\"n\":" + i + "}");
                } catch (RuntimeException closedMeanwhile) {
                    break;
                }
            }
            assertThat(c.awaitClose(Duration.ofSeconds(20))).isEqualTo(1008);
            assertThat(c.closeReason()).contains("too many messages");
            assertThat(limits(gw).get("closed").get("message_rate").asInt()).isEqualTo(1);
        }
    }

    @Test
    void joiningMoreGroupsThanAllowedIsRefusedWith409() {
        try (TestGateway gw = TestGateway.start("limits:\n  max-groups-per-connection: 2\n");
             WsClient c = gw.client()) {
            gw.call("joinGroup", Map.of("client_id", c.clientId(), "group", "a"));
            gw.call("joinGroup", Map.of("client_id", c.clientId(), "group", "b"));
            gw.call("joinGroup", Map.of("client_id", c.clientId(), "group", "b")); // already in: fine
            TestGateway.Response r = gw.post("joinGroup", Map.of("client_id", c.clientId(), "group", "c"));
            assertThat(r.status()).isEqualTo(409);
            assertThat(r.errorCode()).isEqualTo("limit_exceeded");
            assertThat(r.errorMessage()).contains("limits.max-groups-per-connection");
            assertThat(gw.call("getClientIdCountByGroup", Map.of("group", "c")).asInt()).isZero();
        }
    }

    @Test
    void bindingOneConnectionTooManyToAUidClosesTheOldest() {
        try (TestGateway gw = TestGateway.start("limits:\n  max-connections-per-uid: 2\n");
             WsClient first = gw.client(); WsClient second = gw.client(); WsClient third = gw.client()) {
            for (WsClient c : List.of(first, second, third)) {
                gw.call("bindUid", Map.of("client_id", c.clientId(), "uid", "42"));
            }
            assertThat(first.awaitClose(Duration.ofSeconds(20))).isEqualTo(1008);
            assertThat(first.closeReason()).contains("max-connections-per-uid");
            assertThat(gw.call("getClientIdByUid", Map.of("uid", "42")).size()).isEqualTo(2);
            assertThat(second.isClosed()).isFalse();
            assertThat(limits(gw).get("closed").get("uid_limit").asInt()).isEqualTo(1);
        }
    }

    @Test
    void theControlApiRateLimitAnswers429() {
        try (TestGateway gw = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  max-requests-per-second: 2\n")) {
            int limited = 0;
            for (int i = 0; i < 30 && limited == 0; i++) {
                TestGateway.Response r = gw.get("/api/getAllClientIdCount");
                if (r.status() == 429) {
                    limited++;
                    assertThat(r.errorCode()).isEqualTo("rate_limited");
                }
            }
            assertThat(limited).isEqualTo(1);
            // the bucket refills: status answers again once a token is back
            JsonNode status = Await.value("status answers again", Duration.ofSeconds(20), () -> {
                TestGateway.Response r = gw.get("/api/status");
                return r.status() == 200 ? r.json().get("result") : null;
            });
            assertThat(status.get("limits").get("control_rate_limited").asInt()).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void aSlowControlRequestBodyGets408() throws IOException {
        // 1 s: the timeout runs from the connect, and a head that came after it would be no
        // request at all (closed without a 408), not the slow body under test
        try (TestGateway gw = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  request-timeout: 1s\n");
             RawClient c = new RawClient(gw.gateway().controlPort())) {
            c.write("POST /api/sendToAll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"message\":");
            assertThat(RawClient.status(c.readHead())).isEqualTo(408);
            assertThat(c.closedByServer()).isTrue();
            assertThat(gw.gateway().stats().messagesOut.sum()).isZero();
        }
    }

    @Test
    void behindATrustedProxyTheForwardedAddressCountsAndIsReported() throws IOException {
        try (TestGateway gw = TestGateway.start("""
                limits:
                  trusted-proxies: [127.0.0.1/32]
                  max-connections-per-ip: 1
                welcome:
                  message: '${remote_ip}'
                """)) {
            List<RawClient> open = new ArrayList<>();
            try {
                RawClient a = new RawClient(portOf(gw));
                open.add(a);
                a.write(RawClient.handshake("/", "X-Forwarded-For: 198.51.100.1, 203.0.113.7"));
                assertThat(RawClient.status(a.readHead())).isEqualTo(101);
                assertThat(a.readFrame().text()).as("the right-most untrusted hop is the client").isEqualTo("203.0.113.7");
                RawClient b = new RawClient(portOf(gw));
                open.add(b);
                b.write(RawClient.handshake("/", "X-Forwarded-For: 203.0.113.8"));
                assertThat(RawClient.status(b.readHead())).as("another client behind the same proxy").isEqualTo(101);
                RawClient c = new RawClient(portOf(gw));
                open.add(c);
                c.write(RawClient.handshake("/", "X-Forwarded-For: 203.0.113.7"));
                assertThat(RawClient.status(c.readHead())).as("the same real client again").isEqualTo(429);
            } finally {
                for (RawClient r : open) {
                    r.close();
                }
            }
            Await.until("addresses are released", () -> gw.gateway().guard().trackedAddresses() == 0
                    && gw.gateway().guard().openSockets() == 0);
        }
    }
}
