package io.gatewayd.server;

import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that sends more after a request the gateway refuses before any session exists (a
 * handshake it answers 400, 401 or 503). Closing with that input unread makes the kernel answer
 * with a reset, which discards the refusal still unread on the client's side: it saw "connection
 * reset" instead of the status and its reason. The gateway half-closes instead and drops the rest.
 */
class EarlyCloseTest {
    /** More than a socket reads in one go, so some is still unread when the answer is written. */
    static final byte[] EXTRA = new byte[64 * 1024];

    @Test
    void aRefusedHandshakeFollowedByMoreBytesIsReadInFullWithoutAReset() throws IOException {
        try (TestGateway gw = TestGateway.start()) {
            for (int i = 0; i < 5; i++) { // a reset loses the answer nearly every time; five tries make it certain
                try (RawClient c = new RawClient(gw.wsUri().getPort())) {
                    // no Sec-WebSocket-Key: a 400 before any session
                    c.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            + "Sec-WebSocket-Version: 13\r\n\r\n");
                    c.write(EXTRA);
                    String head = c.readHead();
                    assertThat(RawClient.status(head)).isEqualTo(400);
                    assertThat(c.readBody(head)).contains("Sec-WebSocket-Key is missing");
                    assertThat(c.socket().getInputStream().read()).as("end of stream after the answer").isEqualTo(-1);
                }
            }
        }
    }

    /** The control port's 413: the client is sending the body the answer refuses. */
    @Test
    void aControlRequestOverTheBodyLimitGets413InFullWhileItsBodyIsStillComing() throws IOException {
        try (TestGateway gw = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  max-body-size: 1KiB\n")) {
            for (int i = 0; i < 5; i++) {
                try (RawClient c = new RawClient(gw.gateway().controlPort())) {
                    c.write("POST /api/sendToAll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + EXTRA.length + "\r\n\r\n");
                    c.write(EXTRA);
                    String head = c.readHead();
                    assertThat(RawClient.status(head)).isEqualTo(413);
                    assertThat(c.readBody(head)).contains("body_too_large", "control.max-body-size");
                    assertThat(c.socket().getInputStream().read()).as("end of stream after the answer").isEqualTo(-1);
                }
            }
        }
    }
}
