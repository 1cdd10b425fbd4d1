package io.gatewayd.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A control port that refuses gatewayctl for longer than its timeout (the operator's reserve kept
 * full): the gateway counts as not answering, so stop and reload fall back to their signals. A
 * real gateway lets a reserve connection go within a second, so this one is a stand-in that
 * answers every connection the 503 a full reserve gives.
 */
class ControlClientRefusedTest {
    private static final byte[] FULL;

    static {
        String body = "{\"error\":{\"code\":\"too_many_connections\",\"message\":\"at its limit\"}}";
        FULL = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
                + "Connection: close\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void refusedThroughoutItsTimeoutTheGatewayIsNotAnsweringAfterRetrying() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket full = refusingEveryConnection(connections)) {
            // 5 s: a retry needs the first attempt done a Retry-After (1 s) before the timeout, and
            // a JVM's first HTTP request can take seconds on a loaded machine (with 3 s, it left 2)
            ControlClient ctl = new ControlClient(URI.create("http://127.0.0.1:" + full.getLocalPort()), null,
                    Duration.ofSeconds(5));
            assertThatThrownBy(() -> ctl.get("/api/status"))
                    .isInstanceOf(ControlClient.NotAnsweringException.class)
                    .hasMessageContaining("too_many_connections")
                    .hasMessageContaining("at its limit");
            assertThat(connections.get()).as("tried again after each Retry-After").isBetween(2, 5);
        }
    }

    /** A push is refused on the reserve as well: trying again would only make the user wait. */
    @Test
    void aRequestTheReserveDoesNotServeIsRefusedAtOnce() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket full = refusingEveryConnection(connections)) {
            ControlClient ctl = new ControlClient(URI.create("http://127.0.0.1:" + full.getLocalPort()), null,
                    Duration.ofSeconds(3));
            assertThatThrownBy(() -> ctl.call("sendToAll", new com.fasterxml.jackson.databind.ObjectMapper()
                    .createObjectNode().put("data", "x")))
                    .isInstanceOf(CliException.class)
                    .hasMessageContaining("at its limit");
            assertThat(connections.get()).isEqualTo(1);
        }
    }

    /** A loopback server that answers every connection, once its request head is in, as a full reserve does. */
    private static ServerSocket refusingEveryConnection(AtomicInteger connections) throws IOException {
        ServerSocket full = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread server = new Thread(() -> {
            while (!full.isClosed()) {
                try (Socket s = full.accept()) {
                    connections.incrementAndGet();
                    readHead(s.getInputStream());
                    s.getOutputStream().write(FULL);
                } catch (IOException e) {
                    // closed: the test is over
                }
            }
        }, "full-control-port");
        server.setDaemon(true);
        server.start();
        return full;
    }

    private static void readHead(InputStream in) throws IOException {
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                return;
            }
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
    }
}
