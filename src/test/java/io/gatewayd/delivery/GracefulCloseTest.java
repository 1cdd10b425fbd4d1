package io.gatewayd.delivery;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.TlsYaml;
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

    /** Over TLS: the close frame, close_notify, FIN, and what the client still sends dropped unread. */
    @Test
    void overTlsTheClientCanStillSendAfterTheCloseWithoutAReset() throws Exception {
        io.netty.handler.ssl.util.SelfSignedCertificate cert = new io.netty.handler.ssl.util.SelfSignedCertificate();
        try (TestGateway gw = TestGateway.start("listeners:\n  - url: wss://127.0.0.1:0\n"
                + TlsYaml.section(cert.certificate().toPath(), cert.privateKey().toPath()))) {
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE.getTrustManagers(), null);
            javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) ctx.getSocketFactory()
                    .createSocket("127.0.0.1", gw.gateway().port("websocket"));
            s.startHandshake();
            try (RawClient c = new RawClient(s, 20_000)) {
                assertThat(c.upgrade()).contains(" 101 ");
                String id = c.readFrame().text().replaceAll(".*\"client_id\":\"([^\"]+)\".*", "$1");
                assertThat(gw.call("closeClient", Map.of("client_id", id)).asBoolean()).isTrue();
                RawClient.Frame close = c.readFrame();
                assertThat(close.opcode()).isEqualTo(8);
                assertThat(close.closeCode()).isEqualTo(1000);
                assertThat(c.socket().getInputStream().read()).as("close_notify after the close frame").isEqualTo(-1);
                byte[] frame = RawClient.frame(true, 0, 1, true, new byte[1024]);
                for (int i = 0; i < 50; i++) {
                    c.write(frame); // dropped unread; a closed gateway would answer with a reset
                }
            }
        } finally {
            cert.delete();
        }
    }
}
