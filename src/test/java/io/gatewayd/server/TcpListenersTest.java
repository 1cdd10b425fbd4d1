package io.gatewayd.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TcpListenersTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static TestGateway gw;

    @BeforeAll
    static void start() {
        gw = TestGateway.start("""
                listeners:
                  - url: websocket://127.0.0.1:0
                  - url: text://127.0.0.1:0
                    max-frame-size: 1KiB
                  - url: frame://127.0.0.1:0
                """);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void textProtocolRoundTrip() throws IOException {
        try (Socket s = new Socket("127.0.0.1", gw.gateway().port("text"))) {
            s.setSoTimeout(20_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            JsonNode init = JSON.readTree(in.readLine());
            String id = init.get("client_id").asText();
            assertThat(id).matches("[0-9a-f]{20}");
            s.getOutputStream().write("{\"type\":\"DEVICE_HEARTBEAT\"}\n".getBytes(StandardCharsets.UTF_8));
            JsonNode echo = JSON.readTree(in.readLine());
            assertThat(echo.get("type").asText()).isEqualTo("DEVICE_HEARTBEAT");
            assertThat(echo.get("client_id").asText()).isEqualTo(id);
            gw.call("sendToClient", Map.of("client_id", id, "message", "line one"));
            gw.call("sendToClient", Map.of("client_id", id, "message", Map.of("a", 1)));
            assertThat(in.readLine()).isEqualTo("line one");
            assertThat(in.readLine()).isEqualTo("{\"a\":1}");
        }
    }

    @Test
    void aTextLineOverTheLimitClosesTheConnection() throws IOException {
        try (Socket s = new Socket("127.0.0.1", gw.gateway().port("text"))) {
            s.setSoTimeout(20_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            in.readLine();
            s.getOutputStream().write("y".repeat(5000).getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            assertThat(closedByServer(s)).isTrue();
        }
        Await.until("the oversize close is counted", () -> gw.gateway().stats().oversizeClosed.sum() >= 1);
    }

    @Test
    void frameProtocolRoundTripWithWorkermanLengths() throws IOException {
        try (Socket s = new Socket("127.0.0.1", gw.gateway().port("frame"))) {
            s.setSoTimeout(20_000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            JsonNode init = JSON.readTree(readFrame(in));
            String id = init.get("client_id").asText();
            byte[] msg = "{\"type\":\"HB\"}".getBytes(StandardCharsets.UTF_8);
            out.writeInt(msg.length + 4); // Workerman's Frame: the length counts its own 4 bytes
            out.write(msg);
            out.flush();
            assertThat(JSON.readTree(readFrame(in)).get("type").asText()).isEqualTo("HB");
            gw.call("sendToClient", Map.of("client_id", id, "message", "framed"));
            assertThat(readFrame(in)).isEqualTo("framed");
        }
    }

    @Test
    void aFrameLengthOf2To31IsRefusedWithoutAllocating() throws IOException {
        try (Socket s = new Socket("127.0.0.1", gw.gateway().port("frame"))) {
            s.setSoTimeout(20_000);
            DataInputStream in = new DataInputStream(s.getInputStream());
            readFrame(in);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeInt(Integer.MAX_VALUE);
            out.write(new byte[16]);
            out.flush();
            assertThat(closedByServer(s)).isTrue();
        }
    }

    /** EOF, or a reset (the server closed with our unread bytes in its buffer): either way, closed. */
    static boolean closedByServer(Socket s) {
        try {
            byte[] buf = new byte[8192];
            while (true) {
                if (s.getInputStream().read(buf) < 0) {
                    return true;
                }
            }
        } catch (java.net.SocketException e) {
            return true;
        } catch (IOException e) {
            return false; // e.g. a read timeout: still open
        }
    }

    private static String readFrame(DataInputStream in) throws IOException {
        int total = in.readInt();
        byte[] b = new byte[total - 4];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
