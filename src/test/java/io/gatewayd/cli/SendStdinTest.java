package io.gatewayd.cli;

import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * `gatewayctl send ... -` against a real gateway: empty standard input (what a failed command
 * before the pipe leaves) is refused rather than pushed as an empty message; an empty message
 * given as the argument is still sent.
 */
class SendStdinTest {
    private static StartCommandTest.Run send(String stdin, String... args) {
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
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
}
