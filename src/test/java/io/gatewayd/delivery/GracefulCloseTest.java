package io.gatewayd.delivery;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that is still sending when the gateway closes it. Closing a socket with unread input
 * makes the kernel answer with a reset, and a client whose stack handles the reset first loses
 * the close frame (Windows clients, and Java's WebSocket client at times: 1006 instead of the
 * code sent). The gateway half-closes instead and discards the input until the client closes.
 */
class GracefulCloseTest {
    @Test
    void aClientStillSendingGetsTheCloseFrameAndEndOfStreamAndNoReset() throws Exception {
        try (TestGateway gw = TestGateway.start(); RawClient c = new RawClient(gw.wsUri().getPort(), 20_000)) {
            assertThat(c.upgrade()).contains(" 101 ");
            String id = c.readFrame().text().replaceAll(".*\"client_id\":\"([^\"]+)\".*", "$1");

            AtomicBoolean sending = new AtomicBoolean(true);
            AtomicLong written = new AtomicLong();
            AtomicReference<IOException> sendFailure = new AtomicReference<>();
            byte[] frame = RawClient.frame(true, 0, 1, true, new byte[1024]);
            Thread sender = new Thread(() -> {
                try {
                    while (sending.get()) {
                        c.write(frame);
                        written.incrementAndGet();
                    }
                } catch (IOException e) {
                    sendFailure.set(e);
                }
            });
            sender.start();
            try {
                assertThat(gw.call("closeClient", Map.of("client_id", id)).asBoolean()).isTrue();
                RawClient.Frame close;
                do {
                    close = c.readFrame();
                } while (close.opcode() != 8);
                assertThat(close.closeCode()).isEqualTo(1000);
                assertThat(c.socket().getInputStream().read()).as("end of stream after the close frame").isEqualTo(-1);

                // the gateway reads on and drops what still comes, instead of answering it with a reset
                long after = written.get();
                Await.until("the client can still send after the close",
                        () -> written.get() >= after + 50 || sendFailure.get() != null);
                assertThat(sendFailure.get()).as("a reset while the client was still sending").isNull();
            } finally {
                sending.set(false);
                c.socket().close();
                sender.join(5_000);
            }
        }
    }
}
