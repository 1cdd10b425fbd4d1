package io.gatewayd.server;

import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.Inflater;

import static org.assertj.core.api.Assertions.assertThat;

/** permessage-deflate (RFC 7692), negotiated by a hand-rolled client so the wire can be checked. */
class PermessageDeflateTest {
    static final String OFFER = "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits";

    @Test
    void whenEnabledAClientThatOffersItGetsCompressedFramesAndOthersDoNot() throws Exception {
        try (TestGateway gw = TestGateway.start("""
                listeners:
                  - url: websocket://127.0.0.1:0
                    permessage-deflate: true
                """);
             RawClient deflating = new RawClient(gw.gateway().port("websocket"));
             WsClient plain = gw.client()) {
            deflating.write(RawClient.handshake("/", OFFER));
            String head = deflating.readHead();
            assertThat(head).startsWith("HTTP/1.1 101").containsIgnoringCase("permessage-deflate");
            RawClient.Frame welcome = deflating.readFrame();
            assertThat(welcome.compressed()).isTrue();
            String id = WsClient.json(inflate(welcome.payload())).get("client_id").asText();

            String big = "compressible ".repeat(200);
            gw.call("sendToAll", Map.of("message", big));
            RawClient.Frame pushed = deflating.readFrame();
            assertThat(pushed.compressed()).isTrue();
            assertThat(pushed.payload().length).isLessThan(big.length() / 4);
            assertThat(inflate(pushed.payload())).isEqualTo(big);
            assertThat(plain.next()).as("the same broadcast, uncompressed for a client that did not ask").isEqualTo(big);

            gw.call("sendToClient", Map.of("client_id", id, "message", "second"));
            assertThat(inflate(deflating.readFrame().payload())).isEqualTo("second");
        }
    }

    @Test
    void whenDisabledTheOfferIsDeclined() throws Exception {
        try (TestGateway gw = TestGateway.start(); RawClient c = new RawClient(gw.gateway().port("websocket"))) {
            c.write(RawClient.handshake("/", OFFER));
            String head = c.readHead();
            assertThat(head).startsWith("HTTP/1.1 101").doesNotContainIgnoringCase("permessage-deflate");
            RawClient.Frame welcome = c.readFrame();
            assertThat(welcome.compressed()).isFalse();
            assertThat(welcome.text()).contains("SERVER_INIT");
        }
    }

    static final String DEFLATING_LISTENER = """
            listeners:
              - url: websocket://127.0.0.1:0
                max-frame-size: 4KiB
                permessage-deflate: true
            """;

    /** A client with these handshake headers sends {@code frame}: the close code it gets, then EOF. */
    static int closeCodeAfter(TestGateway gw, byte[] frame, String... headerLines) throws Exception {
        try (RawClient c = new RawClient(gw.gateway().port("websocket"))) {
            c.write(RawClient.handshake("/", headerLines));
            assertThat(c.readHead()).startsWith("HTTP/1.1 101");
            c.readFrame(); // welcome
            c.write(frame);
            int code = c.awaitClose();
            assertThat(c.closedByServer()).isTrue();
            return code;
        }
    }

    @Test
    void aCompressedFrameThatInflatesPastTheLimitIsClosedWith1009AndBadDeflateDataWith1007() throws Exception {
        try (TestGateway gw = TestGateway.start(DEFLATING_LISTENER)) {
            long oversize = gw.gateway().stats().oversizeClosed.sum();
            byte[] bomb = RawClient.deflated(new byte[4 * 1024 * 1024]); // 4 MiB of zeros in about 4 KiB
            assertThat(bomb.length).isLessThan(4096);
            assertThat(closeCodeAfter(gw, RawClient.frame(true, 4, 2, true, bomb), OFFER)).as("deflate bomb").isEqualTo(1009);
            assertThat(closeCodeAfter(gw, RawClient.frame(true, 4, 1, true, RawClient.deflated("x".repeat(5000)
                    .getBytes(StandardCharsets.UTF_8))), OFFER)).as("inflates to 5000 bytes").isEqualTo(1009);
            assertThat(gw.gateway().stats().oversizeClosed.sum() - oversize).isEqualTo(2);
            assertThat(closeCodeAfter(gw, RawClient.frame(true, 4, 1, true, new byte[] {-1, -1, -1, -1}), OFFER))
                    .as("bytes that do not inflate").isEqualTo(1007);
        }
    }

    @Test
    void reservedBitsThatNoNegotiatedExtensionDefinesAreClosedWith1002() throws Exception {
        try (TestGateway gw = TestGateway.start(DEFLATING_LISTENER)) {
            byte[] hello = RawClient.deflated("{\"type\":\"hello\"}".getBytes(StandardCharsets.UTF_8));
            assertThat(closeCodeAfter(gw, RawClient.frame(true, 4, 1, true, hello)))
                    .as("RSV1 from a client that did not negotiate permessage-deflate").isEqualTo(1002);
            assertThat(closeCodeAfter(gw, RawClient.frame(true, 2, 1, true, hello), OFFER)).as("RSV2").isEqualTo(1002);
            assertThat(closeCodeAfter(gw, RawClient.frame(true, 4, 9, true, new byte[] {1}), OFFER)).as("RSV1 on a ping")
                    .isEqualTo(1002);
            try (RawClient c = new RawClient(gw.gateway().port("websocket"))) {
                c.write(RawClient.handshake("/", "Sec-WebSocket-Extensions: x-webkit-deflate-frame"));
                assertThat(c.readHead()).as("pre-standard deflate-frame is not offered back")
                        .startsWith("HTTP/1.1 101").doesNotContainIgnoringCase("deflate");
            }
        }
    }

    /** One message, compressed with context takeover allowed: inflate with the RFC 7692 tail. */
    private final Inflater inflater = new Inflater(true);

    private String inflate(byte[] payload) throws Exception {
        byte[] withTail = new byte[payload.length + 4];
        System.arraycopy(payload, 0, withTail, 0, payload.length);
        withTail[payload.length + 2] = (byte) 0xff;
        withTail[payload.length + 3] = (byte) 0xff;
        inflater.setInput(withTail);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = inflater.inflate(buf)) > 0) {
            out.write(buf, 0, n);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
