package io.gatewayd.delivery;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.Gateway;
import io.gatewayd.delivery.ClientHalfCloseTest.Client;
import io.gatewayd.delivery.ClientHalfCloseTest.Kind;
import io.gatewayd.registry.Connection;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.EngineSocket;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.TlsYaml;
import io.netty.channel.uring.IoUring;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ClientHalfCloseTest} over TLS (wss://, and text and frame listeners with tls: true), on
 * both TLS providers: a client that ends its side, with close_notify first or with a bare FIN,
 * gets what was queued for it, each message whole, then the end (after a close_notify, with the
 * OpenSSL provider, only what was encrypted by then); one that ends its side before or during the TLS
 * handshake is closed at once, not at the handshake timeout; nothing stays open or registered.
 * A client that does not read what was queued in time is reset, not ended cleanly after part of
 * a message. The client is a raw socket under an SSLEngine: SSLSocket cannot send a FIN alone.
 * On every transport: each ends a connection (and resets one) in its own way under the TLS layer.
 */
class TlsHalfCloseTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PROVIDERS = List.of("openssl", "jdk");
    private static final List<String> TRANSPORTS = List.of("io_uring", "epoll", "nio");
    /**
     * Bytes that wait in the gateway, past the kernel's buffers, when the client ends its side: a
     * few messages' worth is the case under test, and little enough to be read well inside the
     * close grace on a loaded machine (a client still reading at its end is reset).
     */
    private static final long WAITING_BYTES = 512 * 1024;
    /** Keyed "provider transport"; no io_uring gateways where io_uring is unavailable. */
    private static final Map<String, TestGateway> GATEWAYS = new HashMap<>();

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String transport : TRANSPORTS) {
            for (String provider : PROVIDERS) {
                for (Kind kind : Kind.values()) {
                    for (boolean closeNotify : List.of(false, true)) {
                        all.add(Arguments.of(transport, provider, kind, closeNotify));
                    }
                }
            }
        }
        return all.stream();
    }

    private static TestGateway gateway(String transport, String provider) {
        Assumptions.assumeTrue(!transport.equals("io_uring") || IoUring.isAvailable(),
                () -> "io_uring unavailable here: " + IoUring.unavailabilityCause());
        return GATEWAYS.get(provider + " " + transport);
    }

    @BeforeAll
    static void start() throws Exception {
        SelfSignedCertificate cert = new SelfSignedCertificate("halfclose.test");
        for (String transport : TRANSPORTS) {
            if (transport.equals("io_uring") && !IoUring.isAvailable()) {
                continue;
            }
            for (String provider : PROVIDERS) {
                String yaml = "node:\n  transport: " + transport + "\n"
                        + "listeners:\n  - url: wss://127.0.0.1:0\n"
                        + "  - url: text://127.0.0.1:0\n    tls: true\n"
                        + "  - url: frame://127.0.0.1:0\n    tls: true\n"
                        + "outbound:\n  max-pending-bytes: 64MiB\n"
                        + "limits:\n  handshake-timeout: 60s\n"
                        + "control:\n  listen: http://127.0.0.1:0\n"
                        + TlsYaml.section(cert.certificate().toPath(), cert.privateKey().toPath())
                        + "  provider: " + provider + "\n";
                GATEWAYS.put(provider + " " + transport, TestGateway.start(Gateway.builder(TestGateway.config(yaml))));
            }
        }
    }

    @AfterAll
    static void stop() {
        GATEWAYS.values().forEach(TestGateway::close);
    }

    /** Whatever a test did, every connection it opened is gone from the gateway once it is done. */
    @AfterEach
    void nothingStaysOpenOrRegistered() {
        for (TestGateway gw : GATEWAYS.values()) {
            Gateway g = gw.gateway();
            // the socket count drops first (the admission handler sees the close before the session does)
            Await.until("no client socket stays open, registered or counted", () -> g.guard().openSockets() == 0
                    && g.registry().size() == 0 && g.guard().trackedAddresses() == 0);
        }
    }

    /**
     * Whether the gateway still writes to a client after reading its close_notify. TLS 1.3 allows
     * it (a half-close) and the JDK engine does it; the OpenSSL engine ends both directions at
     * the client's close_notify, as TLS 1.2 requires ("discarding any pending writes"), so what is
     * not yet encrypted by then is dropped. The client here negotiates TLS 1.3.
     */
    private static boolean keepsWritingAfterCloseNotify(String provider) {
        return provider.equals("jdk");
    }

    private static EngineSocket connect(TestGateway gw, Kind kind, int receiveBuffer) throws Exception {
        Socket s = new Socket();
        s.setReceiveBufferSize(receiveBuffer);
        s.connect(new InetSocketAddress("127.0.0.1", gw.gateway().port(kind.name().toLowerCase())), 10_000);
        s.setSoTimeout(20_000);
        s.setTcpNoDelay(true);
        return new EngineSocket(s);
    }

    @ParameterizedTest(name = "{0} {1} {2} close_notify first: {3}")
    @MethodSource("cases")
    void pushesQueuedBeforeTheClientsFinReachItThenTheEnd(String transport, String provider, Kind kind,
                                                          boolean closeNotify) throws Exception {
        TestGateway gw = gateway(transport, provider);
        EngineSocket tls = connect(gw, kind, 16 * 1024);
        try (Client client = new Client(tls.socket(), kind, tls.in(), tls.out())) {
            tls.handshake();
            assertThat(tls.protocol()).isEqualTo("TLSv1.3");
            client.handshake();
            String id = JSON.readTree(client.read()).get("client_id").asText();
            Gateway gateway = gw.gateway();
            Connection c = gateway.registry().get(id);
            gateway.registry().bindUid(c, "u-" + id);
            List<String> pushed = pushUntilWaiting(gateway, id, c);

            if (closeNotify) {
                tls.sendCloseNotify();
            }
            tls.socket().shutdownOutput();

            Await.until("the client leaves the registry once its input ended",
                    () -> gateway.registry().get(id) == null);
            assertThat(gateway.registry().byUid("u-" + id)).as("its uid binding").isEmpty();
            // each message whole: a cut one fails the read, or shows here with its length short
            List<String> received = ClientHalfCloseTest.summary(client.readUntilEnd());
            List<String> expected = ClientHalfCloseTest.summary(pushed);
            if (closeNotify && !keepsWritingAfterCloseNotify(provider)) {
                assertThat(expected).as("what arrived before the end: a prefix of what was queued")
                        .startsWith(received.toArray(String[]::new));
            } else {
                assertThat(received).as("every push queued before the FIN, then the end").isEqualTo(expected);
            }
            Await.until("the gateway closes the connection", () -> !c.channel().isOpen());
        }
    }

    @ParameterizedTest(name = "{0} {1} {2} close_notify first: {3}")
    @MethodSource("cases")
    void aClientThatSendsALineAndEndsItsSideGetsTheWelcomeAndTheAnswer(String transport, String provider, Kind kind,
                                                                      boolean closeNotify) throws Exception {
        TestGateway gw = gateway(transport, provider);
        EngineSocket tls = connect(gw, kind, 64 * 1024);
        try (Client client = new Client(tls.socket(), kind, tls.in(), tls.out())) {
            tls.handshake();
            client.handshake();
            client.send("{\"type\":\"PING-half\"}");
            if (closeNotify) {
                tls.sendCloseNotify();
            }
            tls.socket().shutdownOutput();

            List<String> received = client.readUntilEnd();
            if (closeNotify && !keepsWritingAfterCloseNotify(provider)) {
                // the welcome went out before the close_notify came; the answer may not have
                assertThat(received).as("messages received").hasSizeBetween(1, 2);
            } else {
                assertThat(received).as("messages received").hasSize(2);
            }
            assertThat(JSON.readTree(received.get(0)).get("type").asText()).isEqualTo("SERVER_INIT");
            if (received.size() > 1) {
                assertThat(JSON.readTree(received.get(1)).get("type").asText()).as("the answer").isEqualTo("PING-half");
            }
        }
    }

    /**
     * A client that ends its side and does not read what was queued for it is cut after the close
     * grace, with part of some message already in its socket (a TLS record ends where 16 KiB do).
     * It must not take that part, or the whole messages before it, for a stream that ended
     * cleanly: no close_notify, no FIN, but a reset. Every transport, provider, listener kind, and
     * both ways of ending, at once: each waits out the same grace. The exception is OpenSSL after
     * the client's close_notify: it answers with its own after whole messages and sends no more,
     * so the client may see them, then that clean end; never part of one.
     */
    @Test
    void aClientThatDoesNotReadWhatWasQueuedIsResetNotEndedAfterPartOfAMessage() throws Exception {
        // wholeThenEnd: the OpenSSL engine ends both directions at the client's close_notify and
        // answers it after what it had encrypted, all whole: what is still queued is not sent (README),
        // and once that answer is in the kernel the cut has nothing unsent to reset
        record Slow(String name, Client client, Connection c, boolean wholeThenEnd) { }
        List<Slow> slow = new ArrayList<>();
        try {
            int n = 0;
            for (Map.Entry<String, TestGateway> e : GATEWAYS.entrySet()) {
                for (boolean closeNotify : List.of(false, true)) {
                    Kind kind = Kind.values()[n++ % Kind.values().length];
                    EngineSocket tls = connect(e.getValue(), kind, 16 * 1024);
                    Client client = new Client(tls.socket(), kind, tls.in(), tls.out());
                    String name = e.getKey() + " " + kind + (closeNotify ? " close_notify first" : " bare FIN");
                    boolean wholeThenEnd = closeNotify && e.getKey().startsWith("openssl");
                    slow.add(new Slow(name, client, null, wholeThenEnd));
                    tls.handshake();
                    client.handshake();
                    String id = JSON.readTree(client.read()).get("client_id").asText();
                    Gateway gateway = e.getValue().gateway();
                    Connection c = gateway.registry().get(id);
                    slow.set(slow.size() - 1, new Slow(name, client, c, wholeThenEnd));
                    // more than the kernel's buffers can hold, whatever the transport counts as sent
                    ClientHalfCloseTest.pushUntilQueuedInTheGateway(gateway, id, c);
                    if (closeNotify) {
                        tls.sendCloseNotify();
                    }
                    tls.socket().shutdownOutput();
                }
            }
            for (Slow s : slow) {
                Await.until(s.name() + ": the gateway cuts the client that does not read",
                        Duration.ofMillis(Outbound.CLOSE_GRACE_MILLIS + 20_000), () -> !s.c().channel().isOpen());
            }
            List<String> ended = new ArrayList<>();
            for (Slow s : slow) {
                try {
                    int whole = s.client().readUntilEnd().size();
                    if (!s.wholeThenEnd()) {
                        ended.add(s.name() + ": " + whole + " messages, then the end of stream");
                    }
                } catch (SocketException reset) {
                    // what reached the client, then the reset: as it should be
                } catch (AssertionError cut) {
                    ended.add(s.name() + ": " + cut.getMessage());
                }
            }
            assertThat(ended).as("clients that saw the stream end instead of a reset").isEmpty();
        } finally {
            for (Slow s : slow) {
                s.client().close();
            }
        }
    }

    private static List<String> pushUntilWaiting(Gateway gateway, String id, Connection c) throws Exception {
        return pushUntilWaiting(gateway, id, c, WAITING_BYTES);
    }

    /**
     * Pushes until {@code bytes} wait in the gateway (the client reads nothing: the kernel's
     * buffers fill first); returns what was pushed, in order.
     */
    static List<String> pushUntilWaiting(Gateway gateway, String id, Connection c, long bytes) throws Exception {
        List<String> pushed = new ArrayList<>();
        while (waiting(c) < bytes) {
            assertThat(pushed).as("pushes before %d bytes wait in the gateway", bytes).hasSizeLessThan(4096);
            for (int i = 0; i < 8; i++) {
                String m = pushed.size() + ":" + "p".repeat(32 * 1024);
                pushed.add(m);
                assertThat(gateway.router().sendToClient(id, OutboundMessage.text(m)).get(10, TimeUnit.SECONDS)
                        .count()).isEqualTo(1);
            }
        }
        return pushed;
    }

    /**
     * Bytes the gateway holds for {@code c} that the socket did not take. Read on its event loop,
     * after the turn that wrote the pushes so far had flushed them: read from here it would count
     * a turn's writes before its flush hands them to a kernel that may well take them all. On
     * io_uring it still counts writes submitted and not yet completed, so there the pushes may
     * all be in the kernel when the client ends its side: the test is weaker, not wrong.
     */
    private static long waiting(Connection c) throws Exception {
        return c.channel().eventLoop().submit(c::pendingOutboundBytes).get(10, TimeUnit.SECONDS);
    }

    enum Stage { BEFORE_ANYTHING, AFTER_CLIENT_HELLO, AFTER_TLS_BEFORE_UPGRADE }

    static Stream<Arguments> early() {
        List<Arguments> all = new ArrayList<>();
        for (String transport : TRANSPORTS) {
            for (String provider : PROVIDERS) {
                for (Kind kind : Kind.values()) {
                    for (Stage stage : Stage.values()) {
                        if (stage != Stage.AFTER_TLS_BEFORE_UPGRADE || kind == Kind.WEBSOCKET) {
                            all.add(Arguments.of(transport, provider, kind, stage));
                        }
                    }
                }
            }
        }
        return all.stream();
    }

    /**
     * Nothing can reach a client that ends its side before the TLS handshake is done (it cannot
     * finish it): the gateway closes it at once, not at the close grace or the handshake timeout.
     */
    @ParameterizedTest(name = "{0} {1} {2} {3}")
    @MethodSource("early")
    void aClientThatEndsItsSideBeforeItsSessionCanStartIsClosedAtOnce(String transport, String provider, Kind kind,
                                                                    Stage stage) throws Exception {
        TestGateway gw = gateway(transport, provider);
        EngineSocket tls = connect(gw, kind, 64 * 1024);
        try (Socket raw = tls.socket()) {
            switch (stage) {
                case BEFORE_ANYTHING -> { }
                case AFTER_CLIENT_HELLO -> tls.sendClientHello();
                case AFTER_TLS_BEFORE_UPGRADE -> {
                    tls.handshake();
                    tls.out().write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
                }
            }
            long finAt = System.nanoTime();
            raw.shutdownOutput();
            Await.until("the gateway closes the connection", () -> gw.gateway().guard().openSockets() == 0);
            long afterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - finAt);
            assertThat(afterMillis).as("ms from the FIN to the close")
                    .isLessThan(Outbound.CLOSE_GRACE_MILLIS / 2);
            raw.setSoTimeout(10_000);
            while (raw.getInputStream().read(new byte[4096]) >= 0) {
                // what the server had sent (its handshake flight, a 400): then the end, not a read timeout
            }
        }
    }
}
