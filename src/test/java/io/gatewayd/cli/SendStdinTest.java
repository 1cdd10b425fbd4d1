package io.gatewayd.cli;

import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * `gatewayctl send ... -` against a real gateway: empty standard input (what a failed command
 * before the pipe leaves) is refused rather than pushed as an empty message; an empty message
 * given as the argument is still sent.
 */
class SendStdinTest {
    private static StartCommandTest.Run send(String stdin, String... args) {
        return send(stdin.getBytes(StandardCharsets.UTF_8), args);
    }

    private static StartCommandTest.Run send(byte[] stdin, String... args) {
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(stdin));
        try {
            return StartCommandTest.run(args);
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void emptyStandardInputIsRefusedAndAnExplicitEmptyMessageIsSent() {
        try (TestGateway gw = TestGateway.start(); WsClient client = gw.client()) {
            String url = gw.controlUri("").toString();
            for (String nothing : new String[] {"", "\n", "\r\n"}) {
                StartCommandTest.Run r = send(nothing, "send", "--control-url", url, "--all", "-");
                assertThat(r.exit()).as(r.toString()).isEqualTo(GatewayCtl.EXIT_USAGE);
                assertThat(r.err()).contains("standard input held no message").contains("nothing sent")
                        .contains("''").doesNotContain("Exception");
            }
            StartCommandTest.Run piped = send("from stdin\n", "send", "--control-url", url, "--all", "-");
            assertThat(piped.exit()).as(piped.toString()).isZero();
            assertThat(client.next()).as("nothing was pushed before").isEqualTo("from stdin");

            StartCommandTest.Run explicit = send("", "send", "--control-url", url, "--all", "");
            assertThat(explicit.exit()).as(explicit.toString()).isZero();
            assertThat(explicit.out()).contains("delivered to 1 connection");
            assertThat(client.next()).isEmpty();
        }
    }

    /** A lenient decode would push U+FFFD for each bad byte: neither the user's bytes nor an error. */
    @Test
    void standardInputThatIsNotUtf8IsRefusedAndSentByteForByteWithBinary() {
        byte[] latin1 = "caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        try (TestGateway gw = TestGateway.start(); WsClient client = gw.client()) {
            String url = gw.controlUri("").toString();
            StartCommandTest.Run refused = send(latin1, "send", "--control-url", url, "--all", "-");
            assertThat(refused.exit()).as(refused.toString()).isEqualTo(GatewayCtl.EXIT_USAGE);
            assertThat(refused.err()).contains("not valid UTF-8").contains("at byte 3").contains("nothing sent")
                    .contains("--binary").doesNotContain("Exception");

            StartCommandTest.Run binary = send(latin1, "send", "--control-url", url, "--all", "--binary", "-");
            assertThat(binary.exit()).as(binary.toString()).isZero();
            assertThat(binary.out()).contains("delivered to 1 connection");
            assertThat(client.next()).as("nothing was pushed by the refused send")
                    .isEqualTo("binary:" + Base64.getEncoder().encodeToString(latin1));

            StartCommandTest.Run text = send("caf\u00e9\n", "send", "--control-url", url, "--all", "-");
            assertThat(text.exit()).as(text.toString()).isZero();
            assertThat(client.next()).isEqualTo("caf\u00e9");
        }
    }
}
