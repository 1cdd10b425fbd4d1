package io.gatewayd.security;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.RefusedPort;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WebhookReceiver;
import io.gatewayd.testing.WebhookReceiver.Reply;
import io.gatewayd.testing.WsClient;
import io.gatewayd.webhook.WebhookSignature;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WebhookTest {
    static final String SECRET = "test-webhook-secret-0123456789";
    WebhookReceiver backend;
    @org.junit.jupiter.api.extension.RegisterExtension
    final io.gatewayd.testing.LogCapture log = new io.gatewayd.testing.LogCapture(io.gatewayd.server.ClientSessions.class);
    final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void startBackend() throws Exception {
        backend = new WebhookReceiver(SECRET);
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        backend.close();
    }

    TestGateway gateway(String extraYaml) {
        TestGateway gw = TestGateway.start(backend.webhooksYaml() + extraYaml);
        open.add(0, gw);
        return gw;
    }

    @Test
    void theSignatureIsHmacSha256OfTimestampDotBody() {
        // computed independently: python3 -c 'import hmac,hashlib;print(hmac.new(b"s3cr3t-s3cr3t-s3cr3t",
        //   b"1700000000.{\"a\":1}",hashlib.sha256).hexdigest())'
        byte[] body = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        assertThat(WebhookSignature.sign("s3cr3t-s3cr3t-s3cr3t", 1700000000L, body))
                .isEqualTo("sha256=" + PythonVector.HMAC);
        assertThat(WebhookSignature.verify("s3cr3t-s3cr3t-s3cr3t", "1700000000", "sha256=" + PythonVector.HMAC, body,
                1700000100L, 300)).isTrue();
        assertThat(WebhookSignature.verify("s3cr3t-s3cr3t-s3cr3t", "1700000000", "sha256=" + PythonVector.HMAC, body,
                1700001000L, 300)).as("a replay after 5 minutes is refused").isFalse();
        assertThat(WebhookSignature.verify("other-secret-other", "1700000000", "sha256=" + PythonVector.HMAC, body,
                1700000000L, 300)).isFalse();
    }

    @Test
    void connectAndCloseAreSignedAndCarryTheClientsDetails() {
        TestGateway gw = gateway("");
        String id;
        try (WsClient c = WsClient.connectAndInit(gw.wsUri("/chat?room=7&token=secret"))) {
            id = c.clientId();
            Await.until("the connect webhook arrives", () -> backend.calls("connect").size() == 1);
            gw.call("bindUid", Map.of("client_id", id, "uid", "42"));
            gw.call("joinGroup", Map.of("client_id", id, "group", "room7"));
        }
        Await.until("the close webhook arrives", () -> backend.calls("close").size() == 1);
        WebhookReceiver.Call connect = backend.calls("connect").get(0);
        WebhookReceiver.Call close = backend.calls("close").get(0);
        assertThat(connect.signatureValid()).isTrue();
        assertThat(close.signatureValid()).isTrue();
        JsonNode cb = connect.body();
        assertThat(cb.get("client_id").asText()).isEqualTo(id);
        assertThat(cb.get("remote_ip").asText()).isEqualTo("127.0.0.1");
        assertThat(cb.get("path").asText()).isEqualTo("/chat");
        assertThat(cb.get("query").get("room").asText()).isEqualTo("7");
        assertThat(cb.get("query").has("token")).as("credentials are not passed on").isFalse();
        assertThat(cb.get("headers").isObject()).isTrue();
        JsonNode xb = close.body();
        assertThat(xb.get("client_id").asText()).isEqualTo(id);
        assertThat(xb.get("uid").asText()).isEqualTo("42");
        assertThat(xb.get("groups").get(0).asText()).isEqualTo("room7");
        assertThat(xb.get("code").asInt()).isEqualTo(1000);
        assertThat(xb.get("session").isObject() && xb.get("session").isEmpty())
                .as("a session never set is {}, as getSession answers: " + xb).isTrue();
        assertThat(xb.get("duration_ms").asLong()).isGreaterThanOrEqualTo(0);
        assertThat(connect.receivedAtNanos()).isLessThan(close.receivedAtNanos());
    }

    @Test
    void theConnectAnswerBindsJoinsSetsTheSessionAndReplies() {
        backend.answer(call -> call.event().equals("connect")
                ? Reply.json("{\"bind_uid\":\"42\",\"join_groups\":[\"room\",7],\"session\":{\"name\":\"ann\"},"
                + "\"reply\":{\"type\":\"HELLO\"}}")
                : Reply.ok());
        TestGateway gw = gateway("");
        try (WsClient c = gw.client()) {
            assertThat(c.nextJson().get("type").asText()).isEqualTo("HELLO");
            assertThat(gw.call("getUidByClientId", Map.of("client_id", c.clientId())).asText()).isEqualTo("42");
            assertThat(gw.call("getClientIdListByGroup", Map.of("group", "7")).toString()).contains(c.clientId());
            assertThat(gw.call("getSession", Map.of("client_id", c.clientId())).get("name").asText()).isEqualTo("ann");
        }
    }

    @Test
    void failuresAreRetriedWithTheSameDeliveryIdThenGivenUp() {
        AtomicInteger connects = new AtomicInteger();
        backend.answer(call -> {
            if (call.event().equals("connect") && connects.incrementAndGet() <= 2) {
                return new Reply(503, "busy");
            }
            return call.event().equals("close") ? new Reply(500, "always broken") : Reply.ok();
        });
        TestGateway gw = gateway(""); // retries: 3 by default
        try (WsClient c = gw.client()) {
            Await.until("the connect webhook gets through on the third attempt", () -> backend.calls("connect").size() == 1);
        }
        // close: 1 attempt + 3 retries, all 500, then given up and counted
        Await.until("the close webhook is given up", () -> gw.gateway().webhooks().failed() == 1);
        List<WebhookReceiver.Call> connectAttempts = backend.attempts().stream()
                .filter(a -> a.event().equals("connect")).toList();
        assertThat(connectAttempts).hasSize(3);
        assertThat(connectAttempts.stream().map(WebhookReceiver.Call::delivery).distinct()).hasSize(1);
        assertThat(backend.attempts().stream().filter(a -> a.event().equals("close"))).hasSize(4);
        assertThat(gw.gateway().webhooks().retried()).isEqualTo(2 + 3);
        assertThat(gw.get("/api/status").json().get("result").get("webhooks").get("failed").asInt()).isEqualTo(1);
    }

    @Test
    void networkErrorsAreRetriedToo() throws Exception {
        RefusedPort dead = new RefusedPort();
        open.add(dead);
        TestGateway gw = TestGateway.start("""
                webhooks:
                  url: http://127.0.0.1:%d/nothing-listens
                  secret: %s
                  retries: 2
                  retry-backoff: 5ms
                """.formatted(dead.port(), SECRET));
        open.add(gw);
        try (WsClient c = gw.client()) {
            Await.until("the connect webhook is given up after retries", () -> gw.gateway().webhooks().failed() == 1);
            // while the client is still connected: its close webhook would add retries and errors of its own
            assertThat(gw.gateway().webhooks().retried()).isEqualTo(2);
            assertThat(gw.get("/api/status").json().get("result").get("webhooks").get("last_error").asText())
                    .contains("connect");
        }
    }

    @Test
    void aClientsCloseNeverOvertakesItsSlowConnect() {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        backend.answer(call -> {
            if (call.event().equals("connect")) {
                gate.orTimeout(30, TimeUnit.SECONDS).join(); // the backend is slow to answer this connect
            }
            return Reply.ok();
        });
        TestGateway gw = gateway("");
        try (WsClient c = gw.client()) {
            Await.until("the connect webhook is being handled", () -> backend.attempts().size() == 1);
        }
        Await.until("the client has left the gateway", () -> gw.gateway().registry().size() == 0);
        // an unrelated client's events are not held up by the slow one
        try (WsClient other = gw.client()) {
            Await.until("another client's connect is not blocked", () -> backend.attempts().size() == 2);
        }
        long closesBefore = backend.attempts().stream()
                .filter(a -> a.event().equals("close") && a.clientId().equals(backend.attempts().get(0).clientId()))
                .count();
        assertThat(closesBefore).as("the close waits for its connect").isZero();
        gate.complete(null);
        String first = backend.attempts().get(0).clientId();
        Await.until("the close follows", () -> backend.calls().stream()
                .anyMatch(c -> c.event().equals("close") && c.clientId().equals(first)));
        List<String> forFirst = backend.calls().stream().filter(c -> c.clientId().equals(first))
                .map(WebhookReceiver.Call::event).toList();
        assertThat(forFirst).containsExactly("connect", "close");
    }

    @Test
    void aFullQueueDropsTheOldestAndCountsIt() {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        backend.answer(call -> {
            gate.orTimeout(30, TimeUnit.SECONDS).join();
            return Reply.ok();
        });
        TestGateway gw = gateway("""
                  queue-size: 2
                  max-concurrency: 1
                node:
                  io-threads: 1
                """);
        List<WsClient> clients = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            clients.add(gw.client());
        }
        // one connect in flight (held), two waiting, three dropped
        Await.until("the queue overflowed", () -> gw.gateway().webhooks().dropped() == 3);
        assertThat(gw.get("/api/status").json().get("result").get("webhooks").get("dropped").asInt()).isEqualTo(3);
        gate.complete(null);
        Await.until("the rest are delivered", () -> backend.calls().size() == 3);
        assertThat(backend.calls().stream().map(WebhookReceiver.Call::clientId)).containsExactly(
                clients.get(0).clientId(), clients.get(4).clientId(), clients.get(5).clientId());
        clients.forEach(WsClient::close);
    }

    @Test
    void theQueueIsBoundedInBytesToo() {
        CompletableFuture<Void> gate = new CompletableFuture<>();
        backend.answer(call -> {
            gate.orTimeout(30, TimeUnit.SECONDS).join();
            return Reply.ok();
        });
        TestGateway gw = gateway("""
                  queue-bytes: 64KiB
                client-messages:
                  policy: webhook
                node:
                  io-threads: 1
                """);
        try (WsClient c = gw.client()) {
            Await.until("the connect is held by the backend", () -> backend.attempts().size() == 1);
            for (int i = 0; i < 10; i++) {
                c.send("m" + i + "x".repeat(20_000)); // 10 x 20 KB wait behind the connect: over 64 KiB
            }
            Await.until("old messages are dropped", () -> gw.gateway().webhooks().dropped() >= 7);
            gate.complete(null);
            Await.until("the newest messages arrive", () -> backend.calls("message").size() == 3);
            assertThat(backend.calls("message").get(2).body().get("message").asText()).startsWith("m9");
        }
    }

    @Test
    void underTheWebhookPolicyMessagesGoToTheBackendAndHeartbeatsStayLocal() {
        backend.answer(call -> call.event().equals("message")
                ? Reply.json("{\"reply\":\"got " + call.body().get("message").asText().length() + "\"}")
                : Reply.ok());
        TestGateway gw = gateway("client-messages:\n  policy: webhook\n");
        try (WsClient c = gw.client()) {
            c.send("{\"type\":\"MANAGE_HEARTBEAT\"}");
            assertThat(c.nextJson().get("type").asText()).isEqualTo("MANAGE_HEARTBEAT");
            c.send("{\"type\":\"CHAT\",\"text\":\"hi\"}");
            assertThat(c.next()).isEqualTo("got 27");
            List<WebhookReceiver.Call> messages = backend.calls("message");
            assertThat(messages).hasSize(1);
            assertThat(messages.get(0).body().get("message").asText()).isEqualTo("{\"type\":\"CHAT\",\"text\":\"hi\"}");
            assertThat(messages.get(0).signatureValid()).isTrue();
        }
    }

    @Test
    void aReplyNoClientCouldTakeIsDroppedAndTheClientStaysConnected() {
        backend.answer(call -> call.event().equals("message")
                ? Reply.json("{\"reply\":\"" + (call.body().get("message").asText().equals("big") ? "z".repeat(2000) : "small")
                + "\"}")
                : Reply.ok());
        TestGateway gw = gateway("client-messages:\n  policy: webhook\noutbound:\n  max-pending-bytes: 1KiB\n");
        try (WsClient c = gw.client()) {
            c.send("big");
            c.send("next");
            // a client's messages reach the backend in order, so "small" comes after the refused reply
            assertThat(c.next()).as("the first thing after the refused reply").isEqualTo("small");
            assertThat(c.isClosed()).as("closed: " + c.closeReason()).isFalse();
            assertThat(gw.gateway().stats().slowClientsDropped.sum()).isZero();
        }
    }

    @Test
    void aCloseTheGatewayStartsIsReportedWithTheCodeItSent() {
        // the gateway cuts the socket once its close frame is out, so the client's answer is
        // usually never read: these used to reach the backend as 1006, like a network failure
        TestGateway gw = gateway("limits:\n  max-connections-per-uid: 1\n");
        WsClient kicked = gw.client();
        WsClient evicted = gw.client();
        WsClient evictor = gw.client();
        open.add(kicked);
        open.add(evicted);
        open.add(evictor);
        gw.call("closeClient", Map.of("client_id", kicked.clientId()));
        gw.call("bindUid", Map.of("client_id", evicted.clientId(), "uid", "7"));
        gw.call("bindUid", Map.of("client_id", evictor.clientId(), "uid", "7"));
        Await.until("two close webhooks arrive", () -> backend.calls("close").size() == 2);
        assertThat(closeOf(kicked).get("code").asInt()).isEqualTo(1000);
        assertThat(closeOf(kicked).get("reason").asText()).isEqualTo("closed by server");
        assertThat(closeOf(evicted).get("code").asInt()).isEqualTo(1008);
        assertThat(closeOf(evicted).get("reason").asText()).contains("max-connections-per-uid");

        TestGateway beating = gateway("heartbeat:\n  ping-interval: 0.4\n  ping-not-response-limit: 2\n");
        WsClient silent = beating.client();
        open.add(silent);
        Await.until("the silent client's close webhook arrives", () -> backend.calls("close").size() == 3);
        assertThat(closeOf(silent).get("code").asInt()).isEqualTo(1001);
        assertThat(closeOf(silent).get("reason").asText()).isEqualTo("heartbeat timeout");
    }

    @Test
    void aProtocolViolationIsReportedWithTheCloseCodeTheClientGot() throws Exception {
        // a bad close frame was reported as 1002 with no close frame sent, a deflate bomb as 1006
        TestGateway gw = gateway("listeners:\n  - url: websocket://127.0.0.1:0\n    permessage-deflate: true\n"
                + "    max-frame-size: 4KiB\n");
        String badClose = violate(gw, RawClient.frame(true, 0, 8, true, new byte[] {0x03, (byte) 0xed})); // 1005
        String bomb = violate(gw, RawClient.frame(true, 4, 2, true, RawClient.deflated(new byte[1 << 20])));
        Await.until("both close webhooks arrive", () -> backend.calls("close").size() == 2);
        assertThat(closeOf(badClose).get("code").asInt()).isEqualTo(1002);
        assertThat(closeOf(badClose).get("reason").asText()).isEqualTo("protocol error");
        assertThat(closeOf(bomb).get("code").asInt()).isEqualTo(1009);
        assertThat(closeOf(bomb).get("reason").asText()).isEqualTo("message too big");
    }

    /** Sends {@code frame} from a client that negotiated permessage-deflate; its client_id once it got its close frame. */
    private static String violate(TestGateway gw, byte[] frame) throws Exception {
        try (RawClient c = new RawClient(gw.gateway().port("websocket"))) {
            c.write(RawClient.handshake("/", "Sec-WebSocket-Extensions: permessage-deflate"));
            assertThat(c.readHead()).startsWith("HTTP/1.1 101");
            RawClient.Frame welcome = c.readFrame();
            java.util.zip.Inflater inflater = new java.util.zip.Inflater(true);
            byte[] withTail = java.util.Arrays.copyOf(welcome.payload(), welcome.payload().length + 4);
            withTail[withTail.length - 2] = (byte) 0xff; // the 00 00 ff ff that RFC 7692 strips
            withTail[withTail.length - 1] = (byte) 0xff;
            inflater.setInput(withTail);
            byte[] json = new byte[4096];
            String id = WsClient.json(new String(json, 0, inflater.inflate(json), StandardCharsets.UTF_8))
                    .get("client_id").asText();
            c.write(frame);
            assertThat(c.readFrame().opcode()).isEqualTo(8);
            return id;
        }
    }

    private JsonNode closeOf(String clientId) {
        return backend.calls("close").stream().map(WebhookReceiver.Call::body)
                .filter(b -> b.get("client_id").asText().equals(clientId)).findFirst().orElseThrow();
    }

    private JsonNode closeOf(WsClient c) {
        return backend.calls("close").stream().map(WebhookReceiver.Call::body)
                .filter(b -> b.get("client_id").asText().equals(c.clientId())).findFirst().orElseThrow();
    }

    @Test
    void aMessageAnswerMayCloseTheClient() {
        backend.answer(call -> call.event().equals("message") ? Reply.json("{\"reply\":\"bye\",\"close\":true}") : Reply.ok());
        TestGateway gw = gateway("client-messages:\n  policy: webhook\n");
        try (WsClient c = gw.client()) {
            c.send("logout");
            assertThat(c.next()).isEqualTo("bye");
            assertThat(c.awaitClose(Duration.ofSeconds(20))).isEqualTo(1000);
        }
    }

    @Test
    void anActionThatFailsDoesNotStopTheRestOfTheAnswer() {
        // the second group is over the limit: the session, the reply and the close still apply
        backend.answer(call -> call.event().equals("message")
                ? Reply.json("{\"join_groups\":[\"a\",\"b\"],\"session\":{\"banned\":true},\"reply\":\"bye\",\"close\":true}")
                : Reply.ok());
        TestGateway gw = gateway("client-messages:\n  policy: webhook\nlimits:\n  max-groups-per-connection: 1\n");
        try (WsClient c = gw.client()) {
            c.send("ban me");
            assertThat(c.next()).isEqualTo("bye");
            assertThat(c.awaitClose(Duration.ofSeconds(20))).isEqualTo(1000);
        }
    }

    @Test
    void aCloseWhoseReplyNoClientCouldTakeStillClosesWithoutTheReply() {
        backend.answer(call -> call.event().equals("message")
                ? Reply.json("{\"reply\":\"" + "z".repeat(2000) + "\",\"close\":true}") : Reply.ok());
        TestGateway gw = gateway("client-messages:\n  policy: webhook\noutbound:\n  max-pending-bytes: 1KiB\n");
        try (WsClient c = gw.client()) {
            c.send("logout");
            assertThat(c.awaitClose(Duration.ofSeconds(20))).isEqualTo(1000);
            assertThat(c.poll()).as("the reply over outbound.max-pending-bytes is dropped").isNull();
        }
    }

    @Test
    void inWebhookAuthModeTheBackendDecidesBeforeTheHandshakeCompletes() {
        backend.answer(call -> {
            if (!call.event().equals("connect")) {
                return Reply.ok();
            }
            assertThat(call.body().get("auth").asBoolean()).isTrue();
            return "alice".equals(call.body().path("headers").path("cookie").asText())
                    ? Reply.json("{\"bind_uid\":\"alice\"}") : new Reply(403, "{}");
        });
        TestGateway gw = gateway("auth:\n  connect: webhook\n");
        HttpClient http = HttpClient.newHttpClient();
        // accepted: bound before the client sees anything
        WsClient ok = WsClient.connect(http.newWebSocketBuilder().header("Cookie", "alice"), gw.wsUri());
        open.add(ok);
        String id = ok.init().get("client_id").asText();
        assertThat(backend.calls("connect").get(0).clientId()).as("the backend saw the real client_id").isEqualTo(id);
        assertThat(gw.call("getUidByClientId", Map.of("client_id", id)).asText()).isEqualTo("alice");
        // refused: 403 at the handshake, nothing allocated
        assertThatThrownBy(() -> http.newWebSocketBuilder().header("Cookie", "mallory")
                .buildAsync(gw.wsUri(), new java.net.http.WebSocket.Listener() {
                }).join())
                .isInstanceOf(CompletionException.class)
                .satisfies(e -> assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode())
                        .isEqualTo(403));
        assertThat(gw.gateway().registry().size()).isEqualTo(1);
    }

    /**
     * The deciding connect webhook's reply is written as the connection opens, straight to the
     * socket: a reply larger than outbound.max-pending-bytes is dropped there as it is after the
     * handshake (and through the control API, 413), the rest of the answer applied.
     */
    @Test
    void aDecidingConnectAnswersReplyNoClientCouldTakeIsDroppedTheRestApplied() {
        String big = "z".repeat(2000);
        backend.answer(call -> call.event().equals("connect") ? Reply.json("{\"bind_uid\":\""
                + call.body().path("query").path("who").asText() + "\",\"reply\":\"" + big + "\",\"close\":"
                + call.body().path("query").has("close") + "}") : Reply.ok());
        TestGateway gw = gateway("auth:\n  connect: webhook\noutbound:\n  max-pending-bytes: 1KiB\n");
        try (WsClient stays = WsClient.connectAndInit(gw.wsUri("/?who=ann"))) {
            assertThat(gw.call("getUidByClientId", Map.of("client_id", stays.clientId())).asText()).isEqualTo("ann");
            gw.call("sendToClient", Map.of("client_id", stays.clientId(), "message", "after"));
            assertThat(stays.next()).as("the first thing the client gets").isEqualTo("after");
            assertThat(stays.isClosed()).as("closed: " + stays.closeReason()).isFalse();

            WsClient leaves = WsClient.connect(gw.wsUri("/?who=bob&close=1"));
            open.add(leaves);
            leaves.init(); // the welcome comes before the reply would
            assertThat(leaves.awaitClose(Duration.ofSeconds(20))).as("closed as asked, without the reply").isEqualTo(1000);
            assertThat(leaves.poll()).as("the reply over outbound.max-pending-bytes is dropped").isNull();
            assertThat(gw.gateway().stats().slowClientsDropped.sum()).isZero();
        }
        assertThat(log.messages(ch.qos.logback.classic.Level.WARN)).anySatisfy(m -> assertThat(m)
                .contains("not sending its reply: the reply is 2000 bytes, more than outbound.max-pending-bytes (1KiB"));
    }

    @Test
    void aBackendTooSlowForTheHandshakeIs503NotTheClients408() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        backend.answer(call -> {
            if (call.event().equals("connect")) {
                try {
                    release.await(30, TimeUnit.SECONDS); // slower than the handshake may take
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return Reply.ok();
        });
        try {
            TestGateway gw = gateway("auth:\n  connect: webhook\nlimits:\n  handshake-timeout: 1s\n");
            assertThat(Handshakes.refusedStatus(gw.wsUri())).isEqualTo(503);
            assertThat(gw.gateway().registry().size()).isZero();
        } finally {
            release.countDown();
        }
    }

    /** Holds the independently computed HMAC vector. */
    static final class PythonVector {
        static final String HMAC = "8f47f8e3fd89f18a426def015cd88dadc6155d9d735057c6f8a91ed73f321873";
    }
}
