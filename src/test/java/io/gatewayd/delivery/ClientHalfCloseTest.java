package io.gatewayd.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.Gateway;
import io.gatewayd.registry.Connection;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A client that ends its side of the TCP connection (FIN: {@code shutdown(SHUT_WR)}, a script
 * piped into nc, a WebSocket client that drops without a close frame) still gets what was already
 * queued for it, then the end of stream; one that stops reading is reset after the close grace; one
 * that resets is closed at once. For every listener type on every transport, over real sockets.
 */
class ClientHalfCloseTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Enough that the tail of the pushes waits in the gateway, past the kernel's socket buffers. */
    private static final int PUSHES = 256;
    private static final int PUSH_BYTES = 32 * 1024;
    /**
     * Larger than the kernel's send buffer can grow (tcp_wmem's maximum): the answer cannot all be
     * in the socket when the gateway reads the FIN that follows the question.
     */
    static final int SCRIPT_ANSWER_BYTES = sendBufferMax() * 2;
    private static final Map<String, TestGateway> GATEWAYS = new java.util.HashMap<>();

    enum Kind { WEBSOCKET, TEXT, FRAME }

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String transport : List.of("io_uring", "epoll", "nio")) {
            for (Kind kind : Kind.values()) {
                all.add(Arguments.of(transport, kind));
            }
        }
        return all.stream();
    }

    private static int sendBufferMax() {
        try {
            String[] wmem = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_wmem"))
                    .trim().split("\\s+");
            return Integer.parseInt(wmem[2]);
        } catch (IOException | RuntimeException e) {
            return 4 * 1024 * 1024; // Linux's default
        }
    }

    @BeforeAll
    static void start() {
        String max = (SCRIPT_ANSWER_BYTES + 1024 * 1024) + "";
        for (String transport : List.of("io_uring", "epoll", "nio")) {
            String yaml = "node:\n  transport: " + transport + "\n"
                    + "listeners:\n  - url: websocket://127.0.0.1:0\n    max-frame-size: " + max + "\n"
                    + "  - url: text://127.0.0.1:0\n    max-frame-size: " + max + "\n"
                    + "  - url: frame://127.0.0.1:0\n    max-frame-size: " + max + "\n"
                    + "outbound:\n  max-pending-bytes: 64MiB\n"
                    + "limits:\n  handshake-timeout: 60s\n"
                    + "control:\n  listen: http://127.0.0.1:0\n";
            GATEWAYS.put(transport, TestGateway.start(Gateway.builder(TestGateway.config(yaml))));
        }
    }

    @AfterAll
    static void stop() {
        GATEWAYS.values().forEach(TestGateway::close);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void pushesQueuedBeforeTheClientsFinReachItThenTheEndOfStream(String transport, Kind kind) throws Exception {
        TestGateway gw = GATEWAYS.get(transport);
        try (Client client = Client.open(gw, kind, 16 * 1024)) {
            client.handshake();
            String id = JSON.readTree(client.read()).get("client_id").asText();
            Gateway gateway = gw.gateway();
            Connection c = gateway.registry().get(id);
            gateway.registry().bindUid(c, "u-" + id);
            List<String> pushed = pushUntilQueuedInTheGateway(gateway, id, c);

            client.socket.shutdownOutput();

            Await.until("the client leaves the registry once its input ended",
                    () -> gateway.registry().get(id) == null);
            assertThat(gateway.registry().byUid("u-" + id)).as("its uid binding").isEmpty();
            assertThat(gateway.router().sendToClient(id, OutboundMessage.text("after the FIN"))
                    .get(10, TimeUnit.SECONDS).count()).as("a push after the FIN").isZero();
            assertThat(summary(client.readUntilEnd())).as("every push queued before the FIN, then EOF")
                    .isEqualTo(summary(pushed));
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void aScriptThatSendsItsLineAndEndsItsSideGetsTheWelcomeAndTheAnswer(String transport, Kind kind)
            throws Exception {
        TestGateway gw = GATEWAYS.get(transport);
        // a small window and a big answer (the echo repeats the type): the answer is still in the
        // gateway when the FIN is read
        try (Client client = Client.open(gw, kind, 4 * 1024)) {
            String type = "PING-" + "x".repeat(SCRIPT_ANSWER_BYTES);
            client.handshake();
            client.send("{\"type\":\"" + type + "\"}");
            client.socket.shutdownOutput();

            List<String> received = client.readUntilEnd();
            assertThat(received).as("messages received").hasSize(2);
            assertThat(JSON.readTree(received.get(0)).get("type").asText()).isEqualTo("SERVER_INIT");
            assertThat(JSON.readTree(received.get(1)).get("type").asText()).as("the answer").isEqualTo(type);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void aHalfClosedClientThatDoesNotReadIsCutAfterTheCloseGrace(String transport, Kind kind) throws Exception {
        TestGateway gw = GATEWAYS.get(transport);
        try (Client client = Client.open(gw, kind, 16 * 1024)) {
            client.handshake();
            String id = JSON.readTree(client.read()).get("client_id").asText();
            Connection c = gw.gateway().registry().get(id);
            pushUntilQueuedInTheGateway(gw.gateway(), id, c);

            long finAt = System.nanoTime();
            client.socket.shutdownOutput();
            Await.until("the gateway cuts the client", Duration.ofMillis(Outbound.CLOSE_GRACE_MILLIS + 10_000),
                    () -> !c.channel().isOpen());
            long afterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - finAt);
            assertThat(afterMillis).as("it had the close grace to take what was queued")
                    .isGreaterThanOrEqualTo(Outbound.CLOSE_GRACE_MILLIS - 100);
            // part of a message is in its socket: a FIN after it would pass for a clean end
            assertThatThrownBy(client::readUntilEnd).as("what reached it, then a reset (not the end of stream)")
                    .isInstanceOf(SocketException.class);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void aClientThatResetsIsClosedAtOnceWithPushesQueued(String transport, Kind kind) throws Exception {
        TestGateway gw = GATEWAYS.get(transport);
        Client client = Client.open(gw, kind, 16 * 1024);
        client.handshake();
        String id = JSON.readTree(client.read()).get("client_id").asText();
        Connection c = gw.gateway().registry().get(id);
        pushUntilQueuedInTheGateway(gw.gateway(), id, c);

        client.socket.setSoLinger(true, 0);
        client.close(); // RST
        // well inside the close grace that a FIN would get
        Await.until("the gateway closes the reset connection", Duration.ofMillis(Outbound.CLOSE_GRACE_MILLIS / 2),
                () -> !c.channel().isOpen());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void aWebSocketProbeThatConnectsAndLeavesIsClosedAtOnceNotAtTheHandshakeDeadline(String transport)
            throws Exception {
        TestGateway gw = GATEWAYS.get(transport);
        for (String sent : List.of("", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")) { // nothing, half a request
            try (Client client = Client.open(gw, Kind.WEBSOCKET, 64 * 1024)) {
                client.socket.setSoTimeout(10_000); // the handshake timeout is 60 s
                client.out.write(sent.getBytes(StandardCharsets.US_ASCII));
                client.socket.shutdownOutput();
                // read to the end of stream (a read timeout fails): at most a 400 for the cut request
                String answer = new String(client.in.readAllBytes(), StandardCharsets.ISO_8859_1);
                assertThat(answer).as("answer to \"%s\"", sent).matches("|(?s)HTTP/1.1 400 .*");
            }
        }
    }

    /**
     * Pushes until some of it waits in the gateway (the client reads nothing: the kernel's buffers
     * fill first); returns what was pushed, in order.
     */
    static List<String> pushUntilQueuedInTheGateway(Gateway gateway, String id, Connection c)
            throws Exception {
        List<String> pushed = new ArrayList<>();
        for (int i = 0; i < PUSHES; i++) {
            String m = i + ":" + "p".repeat(PUSH_BYTES);
            pushed.add(m);
            assertThat(gateway.router().sendToClient(id, OutboundMessage.text(m)).get(10, TimeUnit.SECONDS).count())
                    .isEqualTo(1);
        }
        Await.until("pushes wait in the gateway's outbound buffer", () -> c.pendingOutboundBytes() > 0);
        return pushed;
    }

    /** Messages as "index/length": a failure shows what is missing, not 8 MiB of padding. */
    static List<String> summary(List<String> messages) {
        return messages.stream().map(m -> m.substring(0, Math.max(0, m.indexOf(':'))) + "/" + m.length()).toList();
    }

    /** Speaks one listener type: the handshake (WebSocket), messages both ways, the end of stream. */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final Kind kind;
        final DataInputStream in;
        final OutputStream out;

        private Client(Socket socket, Kind kind) throws IOException {
            this(socket, kind, socket.getInputStream(), socket.getOutputStream());
        }

        /** Over streams of the socket's own, e.g. TLS (TlsHalfCloseTest); {@code socket} is the raw one. */
        Client(Socket socket, Kind kind, java.io.InputStream in, OutputStream out) {
            this.socket = socket;
            this.kind = kind;
            this.in = new DataInputStream(new java.io.BufferedInputStream(in, 64 * 1024));
            this.out = out;
        }

        static Client open(TestGateway gw, Kind kind, int receiveBuffer) throws IOException {
            Socket s = new Socket();
            s.setReceiveBufferSize(receiveBuffer); // before connect: it sets the window the client offers
            s.connect(new InetSocketAddress("127.0.0.1", gw.gateway().port(kind.name().toLowerCase())), 10_000);
            s.setSoTimeout(20_000);
            s.setTcpNoDelay(true);
            return new Client(s, kind);
        }

        void handshake() throws IOException {
            if (kind == Kind.WEBSOCKET) {
                out.write(RawClient.handshake("/").getBytes(StandardCharsets.US_ASCII));
                readHttpHead();
            }
        }

        void send(String message) throws IOException {
            byte[] payload = message.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            switch (kind) {
                case WEBSOCKET -> b.write(RawClient.text(message));
                case TEXT -> {
                    b.write(payload);
                    b.write('\n');
                }
                case FRAME -> {
                    int n = payload.length + 4;
                    b.write(new byte[] {(byte) (n >> 24), (byte) (n >> 16), (byte) (n >> 8), (byte) n});
                    b.write(payload);
                }
            }
            out.write(b.toByteArray());
            out.flush();
        }

        void readHttpHead() throws IOException {
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                head.append((char) in.readUnsignedByte());
            }
            assertThat(head.toString()).startsWith("HTTP/1.1 101");
        }

        /** One message; EOFException at the end of stream between messages, an AssertionError inside one. */
        String read() throws IOException {
            int first = in.read();
            if (first < 0) {
                throw new EOFException();
            }
            try {
                return switch (kind) {
                    case WEBSOCKET -> {
                        int b1 = in.readUnsignedByte();
                        long len = b1 & 0x7f;
                        if (len == 126) {
                            len = in.readUnsignedShort();
                        } else if (len == 127) {
                            len = in.readLong();
                        }
                        byte[] payload = new byte[(int) len];
                        in.readFully(payload);
                        if ((first & 0x0f) == 8) {
                            yield "close frame " + new RawClient.Frame(8, payload).closeCode();
                        }
                        yield new String(payload, StandardCharsets.UTF_8);
                    }
                    case TEXT -> {
                        ByteArrayOutputStream line = new ByteArrayOutputStream();
                        for (int c = first; c != '\n'; c = in.read()) {
                            if (c < 0) {
                                throw new EOFException();
                            }
                            line.write(c);
                        }
                        yield line.toString(StandardCharsets.UTF_8);
                    }
                    case FRAME -> {
                        int n = (first << 24) | (in.readUnsignedByte() << 16) | in.readUnsignedShort();
                        byte[] payload = new byte[n - 4];
                        in.readFully(payload);
                        yield new String(payload, StandardCharsets.UTF_8);
                    }
                };
            } catch (EOFException cut) {
                throw new AssertionError("the stream ended inside a message");
            }
        }

        /** Every message until the end of stream; fails on a reset or when the end does not come. */
        List<String> readUntilEnd() throws IOException {
            List<String> received = new ArrayList<>();
            while (true) {
                try {
                    received.add(read());
                } catch (EOFException end) {
                    return received;
                }
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
