package io.gatewayd.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.Gateway;
import io.gatewayd.delivery.ClientHalfCloseTest.Client;
import io.gatewayd.delivery.ClientHalfCloseTest.Kind;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WebhookReceiver;
import io.gatewayd.testing.WebhookReceiver.Call;
import io.gatewayd.testing.WebhookReceiver.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that sends its request and ends its side of the connection (FIN: a script piped into
 * nc, shutdown(SHUT_WR), a WebSocket client gone without a close frame) still gets the answer the
 * backend gives to that message later, asynchronously: in the message webhook's answer or through
 * the control API while handling the webhook. The backend here answers only once the gateway has
 * read the FIN (the client has left the registry), so the answer always comes after it.
 */
class HalfClosedClientWebhookAnswerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "test-webhook-secret-0123456789";

    private WebhookReceiver backend;
    private TestGateway gw;
    /** Holds the backend's answers in the test that never answers; released at the end. */
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void startBackend() throws Exception {
        backend = new WebhookReceiver(SECRET);
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (gw != null) {
            gw.close();
        }
        backend.close();
    }

    private Gateway start(String webhookTimings) {
        return start(webhookTimings, "");
    }

    private Gateway start(String webhookTimings, String more) {
        gw = TestGateway.start(more + """
                listeners:
                  - url: websocket://127.0.0.1:0
                  - url: text://127.0.0.1:0
                  - url: frame://127.0.0.1:0
                client-messages:
                  policy: webhook
                """ + backend.webhooksYaml(webhookTimings));
        return gw.gateway();
    }

    private Gateway start() {
        return start(WebhookReceiver.QUICK_RETRIES);
    }

    /** Answers message webhooks with {@code answer}, once the gateway has read the client's FIN. */
    private void answerAfterTheFin(Gateway gateway, Function<Call, Reply> answer) {
        backend.answer(call -> {
            if (!call.event().equals("message")) {
                return Reply.ok();
            }
            Await.until("the gateway reads the FIN of " + call.clientId(),
                    () -> gateway.registry().get(call.clientId()) == null);
            return answer.apply(call);
        });
    }

    /** The backend holds every message webhook unanswered until the test ends ({@link #release}). */
    private void holdMessageAnswers() {
        backend.answer(call -> {
            if (call.event().equals("message")) {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return Reply.ok();
        });
    }

    private static Client connect(TestGateway gw, Kind kind) throws Exception {
        Client client = Client.open(gw, kind, 64 * 1024);
        client.handshake();
        return client;
    }

    private static String clientId(Client client) throws Exception {
        JsonNode welcome = JSON.readTree(client.read());
        assertThat(welcome.path("type").asText()).isEqualTo("SERVER_INIT");
        return welcome.get("client_id").asText();
    }

    /** Message webhooks the backend received (answered or not), from one client (null: any). */
    private List<Call> messagesFrom(String id) {
        return backend.attempts().stream()
                .filter(c -> c.event().equals("message") && (id == null || id.equals(c.clientId()))).toList();
    }

    private JsonNode closeWebhookOf(String id) {
        Await.until("the close webhook of " + id, () -> closeWebhooks(id).size() == 1);
        return closeWebhooks(id).get(0).body();
    }

    private List<Call> closeWebhooks(String id) {
        return backend.calls("close").stream().filter(c -> id.equals(c.clientId())).toList();
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Kind.class)
    void theReplyInTheWebhookAnswerReachesAClientThatEndedItsSide(Kind kind) throws Exception {
        Gateway gateway = start();
        answerAfterTheFin(gateway, call -> Reply.json("{\"reply\":\"pong to " + call.body().get("message").asText() + "\"}"));
        try (Client client = connect(gw, kind)) {
            String id = clientId(client);
            client.send("ping");
            client.socket.shutdownOutput();

            assertThat(client.readUntilEnd()).as("the answer, then the end of stream").containsExactly("pong to ping");
            JsonNode close = closeWebhookOf(id);
            assertThat(close.get("code").asInt()).as("reported as an input that ended").isEqualTo(1006);
            assertThat(close.get("reason").asText()).isEmpty();
        }
    }

    /**
     * The answer comes after the FIN and does not fit in the socket buffers, so the gateway must
     * wait for room to write the rest. Netty 4.2.18's epoll transport took a channel that wants no
     * event out of epoll once its input ended, and the wait for room then failed: the client got
     * part of the message and the end of stream (EpollInterest keeps it in).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void aPushBiggerThanTheSocketBuffersAfterTheFinArrivesWhole(String transport) throws Exception {
        // bigger than the send buffer can grow (a fresh loopback socket starts with a megabyte or two)
        int bytes = ClientHalfCloseTest.SCRIPT_ANSWER_BYTES;
        Gateway gateway = start("""
                  timeout: 10s
                """, "node:\n  transport: " + transport + "\n"
                + "control:\n  max-body-size: " + (bytes + 1024 * 1024) + "\n"
                + "outbound:\n  max-pending-bytes: " + 2 * bytes + "\n");
        assertThat(gw.get("/api/status").json().path("result").path("transport").asText()).isEqualTo(transport);
        String big = "B".repeat(bytes);
        answerAfterTheFin(gateway, call -> {
            long delivered = gw.call("sendToClient", Map.of("client_id", call.clientId(), "message", big))
                    .path("delivered").asLong();
            return Reply.json("{\"reply\":\"delivered " + delivered + "\"}");
        });
        // a 4 KiB window: most of the push waits in the gateway for the client to read
        try (Client client = Client.open(gw, Kind.TEXT, 4 * 1024)) {
            client.handshake();
            clientId(client);
            client.send("ping");
            client.socket.shutdownOutput();

            List<String> received = client.readUntilEnd();
            assertThat(received).as("messages after the welcome").hasSize(2);
            assertThat(received.get(0).length()).as("the push, whole").isEqualTo(big.length());
            assertThat(received.get(1)).isEqualTo("delivered 1");
        }
    }

    @Test
    void statusCountsItAndAStopWaitsForItsAnswer() throws Exception {
        Gateway gateway = start();
        int controlPort = gateway.controlPort();
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        answerAfterTheFin(gateway, call -> {
            long awaiting = gw.get("/api/status").json().path("result").path("connections")
                    .path("awaiting_answers").asLong();
            new Thread(() -> {
                gateway.stop(Duration.ofSeconds(20));
                stopped.complete(null);
            }, "test-stop").start();
            // the stop is past its control port: next it closes the clients and ends the loops
            Await.until("the control port is closed", () -> !accepts(controlPort));
            return Reply.json("{\"reply\":\"awaiting " + awaiting + "\"}");
        });
        try (Client client = connect(gw, Kind.TEXT)) {
            clientId(client);
            client.send("ping");
            client.socket.shutdownOutput();

            assertThat(client.readUntilEnd()).as("the answer that came during the stop, then the end of stream")
                    .containsExactly("awaiting 1");
            stopped.get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aDrainWaitsForItsAnswerToo() throws Exception {
        Gateway gateway = start();
        CompletableFuture<Boolean> stoppedBeforeTheAnswer = new CompletableFuture<>();
        answerAfterTheFin(gateway, call -> {
            // its FIN took it out of the registry, so the drain finds no client left; with no
            // time for clients in the stop that follows, only the drain itself can wait for it
            gateway.drain(Duration.ofSeconds(60), Duration.ZERO);
            boolean stopped;
            try {
                gateway.terminated().get(2, TimeUnit.SECONDS);
                stopped = true;
            } catch (java.util.concurrent.TimeoutException still) {
                stopped = false;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            stoppedBeforeTheAnswer.complete(stopped);
            return Reply.json("{\"reply\":\"pong\"}");
        });
        try (Client client = connect(gw, Kind.TEXT)) {
            clientId(client);
            client.send("ping");
            client.socket.shutdownOutput();

            assertThat(client.readUntilEnd()).as("the answer, then the end of stream").containsExactly("pong");
            assertThat(stoppedBeforeTheAnswer.get(30, TimeUnit.SECONDS)).as("stopped before the answer came").isFalse();
            gateway.terminated().get(30, TimeUnit.SECONDS);
        }
    }

    private static boolean accepts(int port) {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void aPushThroughTheControlApiWhileTheBackendHandlesTheMessageReachesIt() throws Exception {
        Gateway gateway = start();
        answerAfterTheFin(gateway, call -> {
            // a GatewayWorker-style backend: answers by pushing to the client, the webhook's answer is empty
            long delivered = gw.call("sendToClient", Map.of("client_id", call.clientId(), "message", "pushed"))
                    .path("delivered").asLong();
            return delivered == 1 ? Reply.ok() : Reply.json("{\"reply\":\"sendToClient delivered " + delivered + "\"}");
        });
        try (Client client = connect(gw, Kind.TEXT)) {
            String id = clientId(client);
            client.send("{\"cmd\":\"x\"}");
            client.socket.shutdownOutput();

            assertThat(client.readUntilEnd()).as("the push, then the end of stream").containsExactly("pushed");
            assertThat(closeWebhookOf(id).get("code").asInt()).isEqualTo(1006);
        }
    }

    @Test
    void destroyClientThroughTheControlApiEndsTheWaitAtOnce() throws Exception {
        Gateway gateway = start();
        answerAfterTheFin(gateway, call -> {
            gw.call("sendToClient", Map.of("client_id", call.clientId(), "message", "pushed"));
            boolean destroyed = gw.call("destroyClient", Map.of("client_id", call.clientId())).asBoolean();
            return Reply.json("{\"reply\":\"destroyClient answered " + destroyed + "\"}");
        });
        try (Client client = connect(gw, Kind.FRAME)) {
            String id = clientId(client);
            client.send("ping");
            client.socket.shutdownOutput();

            assertThat(client.readUntilEnd()).as("the push before the destroy, then the end of stream")
                    .containsExactly("pushed");
            JsonNode close = closeWebhookOf(id);
            assertThat(close.get("code").asInt()).isEqualTo(1006);
            assertThat(close.get("reason").asText()).isEqualTo("destroyed");
        }
    }

    @Test
    void whileItWaitsItGetsNoBroadcastAndTheAnswerCannotBindItAgain() throws Exception {
        Gateway gateway = start();
        answerAfterTheFin(gateway, call -> {
            gw.call("sendToAll", Map.of("message", "to all"));
            gw.call("sendToGroup", Map.of("group", "room", "message", "to the group"));
            gw.call("sendToUid", Map.of("uid", "u1", "message", "to the uid"));
            // a binding for a client that left is refused; that does not stop the reply
            return Reply.json("{\"bind_uid\":\"u1\",\"join_groups\":[\"room\"],\"session\":{\"a\":1},\"reply\":\"pong\"}");
        });
        try (Client client = connect(gw, Kind.TEXT)) {
            String id = clientId(client);
            gw.call("bindUid", Map.of("client_id", id, "uid", "u1"));
            gw.call("joinGroup", Map.of("client_id", id, "group", "room"));
            client.send("ping");
            client.socket.shutdownOutput();

            assertThat(client.readUntilEnd()).as("only the answer, then the end of stream").containsExactly("pong");
            assertThat(gateway.registry().byUid("u1")).as("the uid, after the answer's bind_uid").isEmpty();
            assertThat(gateway.registry().byGroup("room")).as("the group, after the answer's join_groups").isEmpty();
            JsonNode close = closeWebhookOf(id);
            assertThat(close.get("code").asInt()).isEqualTo(1006);
            assertThat(close.get("uid").asText()).as("the uid it had when its input ended").isEqualTo("u1");
            assertThat(close.get("groups").toString()).isEqualTo("[\"room\"]");
            assertThat(close.get("session").size()).as("the answer's session is not applied").isZero();
        }
    }

    @Test
    void anAnswerThatClosesItEndsItAfterTheReply() throws Exception {
        Gateway gateway = start();
        answerAfterTheFin(gateway, call -> Reply.json("{\"reply\":\"bye\",\"close\":true}"));
        try (Client client = connect(gw, Kind.WEBSOCKET)) {
            String id = clientId(client);
            client.send("logout");
            client.socket.shutdownOutput();

            // no close frame: the client left the WebSocket without one, as when nothing is awaited
            assertThat(client.readUntilEnd()).as("the reply, then the end of stream").containsExactly("bye");
            assertThat(closeWebhookOf(id).get("code").asInt()).isEqualTo(1006);
        }
    }

    @Test
    void aBackendThatNeverAnswersHoldsTheClientNoLongerThanTheWebhooksBudget() throws Exception {
        // one event's budget: two attempts of 500 ms and a 10 ms backoff between them
        Gateway gateway = start("""
                  timeout: 500ms
                  retries: 1
                  retry-backoff: 10ms
                  max-retry-backoff: 10ms
                """);
        long budget = gateway.config().webhooks().answerWait().toMillis();
        assertThat(budget).isEqualTo(1010);
        holdMessageAnswers();
        try (Client client = connect(gw, Kind.TEXT)) {
            String id = clientId(client);
            long sent = System.nanoTime();
            client.send("ping");
            client.socket.shutdownOutput();

            assertThat(client.readUntilEnd()).as("nothing, then the end of stream").isEmpty();
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            assertThat(waited).as("it waited for the answer (ms)").isGreaterThanOrEqualTo(budget - 100);
            assertThat(waited).as("no longer than the budget and the close grace (ms)")
                    .isLessThan(budget + Outbound.CLOSE_GRACE_MILLIS + 10_000);
            assertThat(closeWebhookOf(id).get("code").asInt()).isEqualTo(1006);
        }
    }

    @Test
    void anAnswerStillQueuedBehindOthersIsNotWaitedForPastTheBudget() throws Exception {
        // One loop, one request at a time, no retries: the budget is one timeout (3 s). Two other
        // clients' messages go first and are held by the backend until they time out, so the
        // client's own message would only be sent after two budgets: the wait ends before.
        Gateway gateway = start("""
                  timeout: 3s
                  retries: 0
                  max-concurrency: 1
                """, "node:\n  io-threads: 1\n");
        assertThat(gateway.config().webhooks().answerWait().toMillis()).isEqualTo(3000);
        holdMessageAnswers();
        try (Client first = connect(gw, Kind.TEXT); Client second = connect(gw, Kind.TEXT);
             Client client = connect(gw, Kind.TEXT)) {
            clientId(first);
            clientId(second);
            String id = clientId(client);
            first.send("first");
            Await.until("the first message is with the backend", () -> messagesFrom(null).size() == 1);
            second.send("second");
            Await.until("the second message waits for its turn",
                    () -> gw.get("/api/status").json().path("result").path("webhooks").path("waiting").asInt() == 1);
            client.send("ping");
            long fin = System.nanoTime();
            client.socket.shutdownOutput();

            assertThat(client.readUntilEnd()).as("nothing, then the end of stream").isEmpty();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - fin)).as("it waited (ms)")
                    .isGreaterThanOrEqualTo(3000 - 100);
            assertThat(messagesFrom(id)).as("its message had not reached the backend when the wait ended").isEmpty();
        }
    }
}
