package io.gatewayd.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.Gateway;
import io.gatewayd.delivery.ClientHalfCloseTest.Client;
import io.gatewayd.delivery.ClientHalfCloseTest.Kind;
import io.gatewayd.registry.Connection;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.EngineSocket;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.TlsYaml;
import io.netty.channel.uring.IoUring;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The close grace bounds a pause, not the whole goodbye: a client that reads what was queued for
 * it slowly but steadily (a phone on a bad network taking a backlog) gets all of it, then the end,
 * though that takes well past the grace; whether it ended its side (FIN) or the gateway closes it
 * (closeClient). Plain and TLS, on every transport. A client that stops reading is still cut one
 * grace after (ClientHalfCloseTest, TlsHalfCloseTest); the cap on the whole is in HalfCloseGraceTest.
 */
class SlowReaderCloseTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TRANSPORTS = List.of("io_uring", "epoll", "nio");
    /**
     * What waits in the gateway, past the kernel's buffers, when the end begins: at {@link #RATE}
     * it takes some 3 s to go, well past the grace that used to cut it.
     */
    private static final long WAITING_BYTES = 6L * 1024 * 1024;
    /**
     * The client's pace, per {@link #TICK_MILLIS}: the gateway's socket gets room (and writes more)
     * every fraction of a second even with the send buffer a loopback connection grows to (some
     * MiB: the socket is writable again once a third of it is free), far inside the grace.
     */
    private static final int RATE = 512 * 1024;
    private static final long TICK_MILLIS = 250;
    private static final Map<String, TestGateway> GATEWAYS = new HashMap<>();

    enum End { FIN, CLOSE_CLIENT }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String transport : TRANSPORTS) {
            // each listener kind with each end, once in the clear and once over TLS
            all.add(Arguments.of(transport, false, Kind.WEBSOCKET, End.FIN));
            all.add(Arguments.of(transport, false, Kind.TEXT, End.CLOSE_CLIENT));
            all.add(Arguments.of(transport, true, Kind.WEBSOCKET, End.CLOSE_CLIENT));
            all.add(Arguments.of(transport, true, Kind.TEXT, End.FIN));
        }
        return all.stream();
    }

    /** TLS gateways share the providers out: OpenSSL on io_uring and NIO, the JDK's on epoll. */
    private static String provider(String transport) {
        return transport.equals("epoll") ? "jdk" : "openssl";
    }

    @BeforeAll
    static void start() throws Exception {
        SelfSignedCertificate cert = new SelfSignedCertificate("slowreader.test");
        for (String transport : TRANSPORTS) {
            if (transport.equals("io_uring") && !IoUring.isAvailable()) {
                continue;
            }
            String common = "outbound:\n  max-pending-bytes: 64MiB\n"
                    + "limits:\n  handshake-timeout: 60s\n"
                    + "control:\n  listen: http://127.0.0.1:0\n";
            GATEWAYS.put(transport + " plain", TestGateway.start(Gateway.builder(TestGateway.config(
                    "node:\n  transport: " + transport + "\n"
                            + "listeners:\n  - url: websocket://127.0.0.1:0\n  - url: text://127.0.0.1:0\n"
                            + common))));
            GATEWAYS.put(transport + " tls", TestGateway.start(Gateway.builder(TestGateway.config(
                    "node:\n  transport: " + transport + "\n"
                            + "listeners:\n  - url: wss://127.0.0.1:0\n  - url: text://127.0.0.1:0\n    tls: true\n"
                            + common
                            + TlsYaml.section(cert.certificate().toPath(), cert.privateKey().toPath())
                            + "  provider: " + provider(transport) + "\n"))));
        }
    }

    @AfterAll
    static void stop() {
        GATEWAYS.values().forEach(TestGateway::close);
    }

    @ParameterizedTest(name = "{0} tls: {1} {2} {3}")
    @MethodSource("cases")
    void aClientThatReadsSlowlyButSteadilyGetsEverythingThenTheEnd(String transport, boolean tls, Kind kind, End end)
            throws Exception {
        Assumptions.assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(),
                () -> "io_uring unavailable here: " + IoUring.unavailabilityCause());
        TestGateway gw = GATEWAYS.get(transport + (tls ? " tls" : " plain"));
        Socket s = new Socket();
        s.setReceiveBufferSize(16 * 1024); // before connect: a small window, so the gateway's socket fills
        s.connect(new InetSocketAddress("127.0.0.1", gw.gateway().port(kind.name().toLowerCase())), 10_000);
        s.setSoTimeout(20_000);
        s.setTcpNoDelay(true);
        EngineSocket engine = tls ? new EngineSocket(s) : null;
        if (engine != null) {
            engine.handshake();
        }
        InputStream in = engine != null ? engine.in() : s.getInputStream();
        try (Client client = new Client(s, kind, new Paced(in), engine != null ? engine.out() : s.getOutputStream())) {
            client.handshake();
            String id = JSON.readTree(client.read()).get("client_id").asText();
            Gateway gateway = gw.gateway();
            Connection c = gateway.registry().get(id);
            List<String> expected = new ArrayList<>(ClientHalfCloseTest.summary(
                    TlsHalfCloseTest.pushUntilWaiting(gateway, id, c, WAITING_BYTES)));

            long endAt = System.nanoTime();
            if (end == End.FIN) {
                s.shutdownOutput(); // a bare FIN over TLS too: a client gone without a goodbye
            } else {
                assertThat(gateway.router().closeClient(id, null).get(10, TimeUnit.SECONDS)).isTrue();
                if (kind == Kind.WEBSOCKET) {
                    expected.addAll(ClientHalfCloseTest.summary(List.of("close frame 1000")));
                }
            }
            // each message whole, then the end: a reset fails the read with a SocketException
            List<String> received = ClientHalfCloseTest.summary(client.readUntilEnd());
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - endAt);
            assertThat(received).as("every push queued before the end, then the end").isEqualTo(expected);
            assertThat(tookMillis).as("ms the client took to read it all: the case under test is past the grace")
                    .isGreaterThan(Outbound.CLOSE_GRACE_MILLIS + 500);
            Await.until("the gateway closes the connection", () -> !c.channel().isOpen());
        }
    }

    /** Hands out at most {@link #RATE} bytes per {@link #TICK_MILLIS}: a client on a slow link. */
    private static final class Paced extends FilterInputStream {
        private int left = RATE;

        Paced(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                try {
                    Thread.sleep(TICK_MILLIS); // the pace of the link, not a wait for the gateway
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
                left = RATE;
            }
            int n = super.read(b, off, Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }
}
