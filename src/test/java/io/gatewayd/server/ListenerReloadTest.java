package io.gatewayd.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A reload that changes a listener's settings on the port it holds applies them to new
 * connections on that same socket: binding again would find the port taken by the listener itself.
 */
class ListenerReloadTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static String config(String frameExtra, String wsExtra) {
        return "listeners:\n  - url: websocket://127.0.0.1:0\n" + wsExtra
                + "  - url: frame://127.0.0.1:0\n" + frameExtra;
    }

    @Test
    void changedSettingsOnTheSameSocketApplyToNewConnections() throws Exception {
        try (TestGateway gw = TestGateway.start(config("", ""))) {
            int framePort = gw.gateway().port("frame");
            int wsPort = gw.gateway().port("websocket");
            try (Socket before = new Socket("127.0.0.1", framePort)) {
                before.setSoTimeout(20_000);
                assertThat(JSON.readTree(readFrame(new DataInputStream(before.getInputStream()))).get("type").asText())
                        .as("welcome on by default").isEqualTo("SERVER_INIT");

                assertThat(gw.gateway().reload(TestGateway.config(config("    welcome: false\n",
                        "    max-frame-size: 1KiB\n")))).as("applied live, no note").isEmpty();

                assertThat(gw.gateway().port("frame")).as("the same socket").isEqualTo(framePort);
                assertThat(gw.gateway().port("websocket")).isEqualTo(wsPort);
                try (Socket after = new Socket("127.0.0.1", framePort)) {
                    after.setSoTimeout(20_000);
                    DataInputStream in = new DataInputStream(after.getInputStream());
                    sendFrame(after, "{\"type\":\"DEVICE_HEARTBEAT\"}");
                    JsonNode first = JSON.readTree(readFrame(in));
                    assertThat(first.get("type").asText()).as("no welcome first: the echo is the first frame")
                            .isEqualTo("DEVICE_HEARTBEAT");
                }
                // the connection from before the reload still works
                DataInputStream in = new DataInputStream(before.getInputStream());
                sendFrame(before, "{\"type\":\"OLD_HEARTBEAT\"}");
                assertThat(JSON.readTree(readFrame(in)).get("type").asText()).isEqualTo("OLD_HEARTBEAT");
            }
            try (WsClient ws = WsClient.connectAndInit(gw.wsUri())) {
                ws.send("x".repeat(2000));
                assertThat(ws.awaitClose(Duration.ofSeconds(20))).as("the new max-frame-size").isEqualTo(1009);
            }
        }
    }

    @Test
    void aChangeThatNeedsANewSocketIsNotedAndTheListenerStays() throws Exception {
        try (TestGateway gw = TestGateway.start(config("", ""))) {
            int framePort = gw.gateway().port("frame");
            assertThat(gw.gateway().reload(TestGateway.config(config("    reuse-port: true\n    welcome: false\n", ""))))
                    .singleElement().asString()
                    .contains("frame://127.0.0.1:" + framePort, "reuse-port", "after a restart");
            try (Socket s = new Socket("127.0.0.1", framePort)) {
                s.setSoTimeout(20_000);
                assertThat(JSON.readTree(readFrame(new DataInputStream(s.getInputStream()))).get("type").asText())
                        .as("its settings stay as they were until the restart").isEqualTo("SERVER_INIT");
            }
        }
    }

    static void sendFrame(Socket s, String text) throws IOException {
        byte[] msg = text.getBytes(StandardCharsets.UTF_8);
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        out.writeInt(msg.length + 4);
        out.write(msg);
        out.flush();
    }

    static String readFrame(DataInputStream in) throws IOException {
        int len = in.readInt() - 4;
        byte[] b = new byte[len];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }
}
