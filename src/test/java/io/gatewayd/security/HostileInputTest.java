package io.gatewayd.security;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Misbehaving clients, one case each. After every case the gateway must still serve a normal
 * client and its counts must be back at their baseline: nothing leaks.
 */
class HostileInputTest {
    static final String TOKEN = "control-token-for-hostile-tests";
    static TestGateway gw;
    static int baselineControl;

    @BeforeAll
    static void start() {
        gw = TestGateway.start("""
                listeners:
                  - url: websocket://127.0.0.1:0
                    max-frame-size: 4KiB
                  - url: text://127.0.0.1:0
                    max-frame-size: 1KiB
                  - url: frame://127.0.0.1:0
                    max-frame-size: 1KiB
                control:
                  listen: http://127.0.0.1:0
                  tokens: [%s]
                  max-body-size: 4KiB
                """.formatted(TOKEN)).withToken(TOKEN);
        gw.call("getAllClientIdCount", Map.of());
        baselineControl = gw.gateway().controlConnections();
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @AfterEach
    void backToBaseline() {
        Await.until("connections, sockets and addresses are back to baseline (registry "
                + gw.gateway().registry().size() + ", sockets " + gw.gateway().guard().openSockets() + ", control "
                + gw.gateway().controlConnections() + ")", () -> gw.gateway().registry().size() == 0
                && gw.gateway().guard().openSockets() == 0 && gw.gateway().guard().trackedAddresses() == 0
                && gw.gateway().controlConnections() <= baselineControl + 1);
        try (WsClient c = gw.client()) {
            c.send("{\"type\":\"PING\"}");
            assertThat(c.nextJson().get("type").asText()).isEqualTo("PING");
        }
        Await.until("the check client is gone", () -> gw.gateway().registry().size() == 0);
    }

    int ws() {
        return gw.gateway().port("websocket");
    }

    String answerTo(String request) throws IOException {
        try (RawClient c = new RawClient(ws())) {
            c.write(request);
            String head = c.readHead();
            assertThat(c.closedByServer()).as("closed after refusing " + request.lines().findFirst().orElse("")).isTrue();
            return head;
        }
    }

    @Test
    void malformedHandshakesGetAnHttpErrorAndAreClosed() throws IOException {
        assertThat(RawClient.status(answerTo("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))).isEqualTo(426);
        assertThat(RawClient.status(answerTo(RawClient.handshake("/").replace(RawClient.KEY, "short")))).isEqualTo(400);
        assertThat(RawClient.status(answerTo(RawClient.handshake("/").replace("Sec-WebSocket-Key: " + RawClient.KEY + "\r\n", ""))))
                .isEqualTo(400);
        String v8 = answerTo(RawClient.handshake("/").replace("Version: 13", "Version: 8"));
        assertThat(RawClient.status(v8)).isEqualTo(426);
        assertThat(v8).containsIgnoringCase("Sec-WebSocket-Version: 13");
        assertThat(RawClient.status(answerTo(RawClient.handshake("/").replace("GET", "POST")))).isEqualTo(400);
        assertThat(answerTo(RawClient.handshake("/").replace("HTTP/1.1", "HTTP/1.0"))).startsWith("HTTP/1.1 400");
        assertThat(answerTo(RawClient.handshake("/").replace("GET /", "GET *"))).as("not a path: answered at once, not with 408")
                .startsWith("HTTP/1.1 400");
        assertThat(RawClient.status(answerTo("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n")))
                .isIn(400, 413, 431);
        try (RawClient c = new RawClient(ws())) {
            c.write("\u0000\u0001garbage that is not HTTP\r\n\r\n");
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void handshakesThatHttpAllowsButNettyDidNotTakeAreUpgraded() throws IOException {
        // the absolute-form target waited for the 408; the Upgrade list got Netty's garbled 400
        for (String handshake : new String[] {
                RawClient.handshake("/").replace("GET / ", "GET http://127.0.0.1:" + ws() + "/chat?room=1 "),
                RawClient.handshake("/").replace("Upgrade: websocket", "Upgrade: h2c, websocket")}) {
            try (RawClient c = new RawClient(ws())) {
                c.write(handshake);
                assertThat(c.readHead()).as(handshake.lines().findFirst().orElseThrow()).startsWith("HTTP/1.1 101");
                assertThat(c.readFrame().text()).contains("client_id");
            }
        }
    }

    int closeCodeAfter(byte[] frame) throws IOException {
        try (RawClient c = new RawClient(ws())) {
            assertThat(RawClient.status(c.upgrade())).isEqualTo(101);
            c.readFrame(); // welcome
            c.write(frame);
            return c.awaitClose();
        }
    }

    @Test
    void protocolViolationsAreClosedWithTheMatchingCode() throws IOException {
        byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
        assertThat(closeCodeAfter(RawClient.frame(true, 0, 1, false, hello))).as("unmasked").isEqualTo(1002);
        assertThat(closeCodeAfter(RawClient.frame(true, 0, 3, true, hello))).as("reserved opcode").isEqualTo(1002);
        assertThat(closeCodeAfter(RawClient.frame(true, 4, 1, true, hello))).as("reserved bit").isEqualTo(1002);
        assertThat(closeCodeAfter(RawClient.frame(false, 0, 9, true, hello))).as("fragmented ping").isEqualTo(1002);
        assertThat(closeCodeAfter(RawClient.frame(true, 0, 9, true, new byte[126]))).as("long control frame").isEqualTo(1002);
        assertThat(closeCodeAfter(RawClient.frame(true, 0, 0, true, hello))).as("continuation without start").isEqualTo(1002);
        assertThat(closeCodeAfter(RawClient.frame(true, 0, 1, true, new byte[] {(byte) 0xc3, (byte) 0x28})))
                .as("invalid UTF-8").isEqualTo(1007);
        assertThat(closeCodeAfter(RawClient.frame(true, 0, 2, true, new byte[5000]))).as("oversize frame").isEqualTo(1009);
        byte[] huge = {(byte) 0x82, (byte) 0xff, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
        assertThat(closeCodeAfter(huge)).as("a 2^62 length").isIn(1009, 1002);
    }

    /** The client's close frame after the upgrade: what the gateway answers, then the end of the stream. */
    int answerToClose(byte[] payload) throws IOException {
        try (RawClient c = new RawClient(ws())) {
            assertThat(RawClient.status(c.upgrade())).isEqualTo(101);
            c.readFrame(); // welcome
            c.write(RawClient.frame(true, 0, 8, true, payload));
            RawClient.Frame answer;
            try {
                answer = c.readFrame();
            } catch (IOException e) {
                throw new AssertionError("the gateway hung up without a close frame", e);
            }
            assertThat(answer.opcode()).as("a close frame answers it").isEqualTo(8);
            assertThat(c.closedByServer()).as("then the gateway hangs up").isTrue();
            return answer.closeCode();
        }
    }

    static byte[] close(int code, byte... reason) {
        byte[] b = new byte[2 + reason.length];
        b[0] = (byte) (code >> 8);
        b[1] = (byte) code;
        System.arraycopy(reason, 0, b, 2, reason.length);
        return b;
    }

    @Test
    void anInvalidCloseFrameIsAnsweredWithProtocolErrorOrInvalidData() throws IOException {
        // Netty's decoder sends nothing for these once it has read a close frame: the client only saw the TCP close
        for (int reserved : new int[] {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
            assertThat(answerToClose(close(reserved))).as("close code " + reserved).isEqualTo(1002);
        }
        assertThat(answerToClose(new byte[] {3})).as("a 1-byte close payload").isEqualTo(1002);
        assertThat(answerToClose(close(1000, (byte) 0xce, (byte) 0xba, (byte) 0xed, (byte) 0xa0, (byte) 0x80)))
                .as("a reason that is not UTF-8").isEqualTo(1007);
        assertThat(answerToClose(close(4999))).as("a code for applications is echoed").isEqualTo(4999);
    }

    @Test
    void aPingFloodFromAClientThatNeverReadsStaysBounded() throws IOException {
        long dropped = gw.gateway().guard().pingsDropped.sum();
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(4096);
            s.connect(new java.net.InetSocketAddress("127.0.0.1", ws()));
            s.setSoTimeout(20_000);
            s.getOutputStream().write(RawClient.handshake("/").getBytes(StandardCharsets.US_ASCII));
            // a client must wait for the 101 before sending frames
            String head = "";
            while (!head.endsWith("\r\n\r\n")) {
                int b = s.getInputStream().read();
                assertThat(b).isNotNegative();
                head += (char) b;
            }
            assertThat(head).startsWith("HTTP/1.1 101");
            byte[] ping = RawClient.frame(true, 0, 9, true, new byte[125]);
            byte[] burst = new byte[ping.length * 100];
            for (int i = 0; i < 100; i++) {
                System.arraycopy(ping, 0, burst, i * ping.length, ping.length);
            }
            // up to 40 MB of pings, never reading a pong: once the kernel buffers are full the
            // gateway must stop answering rather than queue pongs without bound
            for (int i = 0; i < 3200 && gw.gateway().guard().pingsDropped.sum() == dropped; i++) {
                s.getOutputStream().write(burst);
            }
            Await.until("unanswerable pings are dropped", () -> gw.gateway().guard().pingsDropped.sum() > dropped);
            try (WsClient other = gw.client()) {
                other.send("{\"type\":\"STILL_SERVED\"}");
                assertThat(other.nextJson().get("type").asText()).isEqualTo("STILL_SERVED");
            }
        }
    }

    @Test
    void halfAFrameThenSilenceIsDroppedByTheHeartbeat() throws IOException {
        try (TestGateway hb = TestGateway.start("heartbeat:\n  ping-interval: 200ms\n  ping-not-response-limit: 1\n");
             RawClient c = new RawClient(hb.gateway().port("websocket"))) {
            assertThat(RawClient.status(c.upgrade())).isEqualTo(101);
            c.readFrame();
            c.write(new byte[] {(byte) 0x81, (byte) 0xfe, 0x10}); // a header promising 4 KiB, then nothing
            assertThat(c.awaitClose()).isIn(1001, -1);
            Await.until("it left the registry", () -> hb.gateway().registry().size() == 0
                    && hb.gateway().guard().openSockets() == 0);
        }
    }

    @Test
    void textAndFrameListenersSurviveLongLinesHugeLengthsAndRandomBytes() throws IOException {
        try (Socket s = new Socket("127.0.0.1", gw.gateway().port("text"))) {
            s.setSoTimeout(20_000);
            s.getInputStream().read(new byte[256]); // welcome
            s.getOutputStream().write("z".repeat(5000).getBytes(StandardCharsets.US_ASCII));
            assertThat(drainsToEof(s)).as("a line over the limit").isTrue();
        }
        for (int length : new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 2, -1}) {
            try (Socket s = new Socket("127.0.0.1", gw.gateway().port("frame"))) {
                s.setSoTimeout(20_000);
                new DataOutputStream(s.getOutputStream()).writeInt(length);
                assertThat(drainsToEof(s)).as("length prefix " + Integer.toUnsignedString(length)).isTrue();
            }
        }
        Random r = new Random(42);
        for (String listener : new String[] {"text", "frame"}) {
            try (Socket s = new Socket("127.0.0.1", gw.gateway().port(listener))) {
                byte[] junk = new byte[64 * 1024];
                r.nextBytes(junk);
                try {
                    s.getOutputStream().write(junk);
                } catch (IOException closedEarly) {
                    // the gateway may hang up mid-write: that is a fine answer
                }
            }
        }
    }

    static boolean drainsToEof(Socket s) {
        try {
            byte[] b = new byte[4096];
            while (s.getInputStream().read(b) >= 0) {
                // drain the welcome and whatever else
            }
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    TestGateway.Response post(String method, String body) {
        return gw.post(method, body);
    }

    /** A raw request to the control port: the answer's JSON error, after which the server hangs up. */
    static com.fasterxml.jackson.databind.JsonNode controlAnswer(String request, int expectedStatus) throws IOException {
        try (RawClient c = new RawClient(gw.gateway().controlPort())) {
            c.write(request);
            String head = c.readHead();
            assertThat(RawClient.status(head)).as(head).isEqualTo(expectedStatus);
            String body = c.readBody(head);
            assertThat(c.closedByServer()).as("closed after " + body).isTrue();
            assertThat(body).as("no Java or Netty internals").doesNotContain("java.", "io.netty", "Exception");
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).get("error");
        }
    }

    @Test
    void requestsTheHttpDecoderRefusesGetAPlainMessageAndTheConnectionCloses() throws IOException {
        var err = controlAnswer("HELLO\r\n\r\n", 400);
        assertThat(err.get("code").asText()).isEqualTo("bad_request");
        assertThat(err.get("message").asText()).contains("not an HTTP/1.1 request");

        err = controlAnswer("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n", 400);
        assertThat(err.get("code").asText()).isEqualTo("bad_request");
        assertThat(err.get("message").asText()).contains("request headers larger than 16384 bytes");

        err = controlAnswer("GET /api/getAllClientIdCount?x=" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 400);
        assertThat(err.get("message").asText()).contains("request line longer than 8192 bytes");

        err = controlAnswer("POST /api/sendToAll HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400);
        assertThat(err.get("message").asText()).contains("malformed HTTP request");
    }

    @Test
    void theControlApiRefusesHostileRequestsWithClearErrors() throws IOException {
        assertThat(post("sendToAll", "{\"message\": ").errorCode()).isEqualTo("bad_json");
        assertThat(post("sendToAll", "[".repeat(2000) + "]".repeat(2000)).status()).isEqualTo(400);
        assertThat(post("sendToClient", "{\"client_id\":" + "9".repeat(1500) + ",\"message\":\"x\"}").status()).isEqualTo(400);
        assertThat(post("sendToClient", "{\"client_id\":1e999999,\"message\":\"x\"}").status()).isEqualTo(400);
        assertThat(post("sendToClient", "{\"client_id\":[\"x\"],\"message\":\"x\"}").status()).isEqualTo(400);
        assertThat(post("bindUid", "{\"client_id\":{},\"uid\":{}}").status()).isEqualTo(400);
        assertThat(post("noSuchMethod", "{}").status()).isEqualTo(404);
        TestGateway.Response big = post("sendToAll", "{\"message\":\"" + "x".repeat(10_000) + "\"}");
        assertThat(big.status()).isEqualTo(413);
        var noToken = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  tokens: [" + TOKEN + "]\n");
        try (noToken) {
            assertThat(noToken.post("getAllClientIdCount", "{}").status()).isEqualTo(401);
            assertThat(noToken.withToken("wrong-token").post("getAllClientIdCount", "{}").status()).isEqualTo(401);
            assertThat(noToken.withToken(TOKEN.substring(0, TOKEN.length() - 1) + "X").post("getAllClientIdCount", "{}")
                    .status()).isEqualTo(401);
        }
        try (RawClient c = new RawClient(gw.gateway().controlPort())) {
            c.write("POST /api/sendToAll HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n");
            assertThat(RawClient.status(c.readHead())).isIn(400, 413);
        }
    }
}
