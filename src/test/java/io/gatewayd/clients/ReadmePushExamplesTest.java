package io.gatewayd.clients;

import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs README's "Push" examples, as copied out of README.md, against a real gateway: a newcomer
 * pastes them first, so they must work on a plain php-cli and python3 and show the gateway's
 * error message when a call is refused.
 */
class ReadmePushExamplesTest {
    static TestGateway gw;

    @BeforeAll
    static void start() {
        gw = TestGateway.start();
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    /** The first {@code ```lang} block after README's "### Push" heading, pointed at this gateway. */
    static String example(String lang) throws Exception {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        int push = readme.indexOf("\n### Push\n");
        assertThat(push).as("README has a Push section").isPositive();
        int from = readme.indexOf("```" + lang + "\n", push);
        int to = readme.indexOf("\n```", from + 1);
        assertThat(from).as("README's Push section has a " + lang + " example").isPositive();
        String code = readme.substring(from + lang.length() + 4, to + 1);
        assertThat(code).contains("127.0.0.1:8283");
        return code.replace("127.0.0.1:8283", "127.0.0.1:" + gw.gateway().controlPort());
    }

    @Test
    void thePhpExampleRunsOnPlainPhpCli(@TempDir Path dir) throws Exception {
        String php = ClientLibrariesTest.onPath("php");
        Assumptions.assumeTrue(php != null, "php is not installed (apt-get install php-cli); skipping the README PHP example");
        Path script = dir.resolve("push.php");
        Files.writeString(script, example("php") + """
                try { gatewayd('sendToUid', ['message' => 'x']); } catch (RuntimeException $e) { echo 'refused: ', $e->getMessage(), "\\n"; }
                """);
        try (WsClient c = gw.client()) {
            gw.call("joinGroup", Map.of("client_id", c.clientId(), "group", "room7"));
            String out = ClientLibrariesTest.run(List.of(php, script.toString()));
            assertThat(c.nextJson().get("text").asText()).isEqualTo("hi");
            assertThat(out).as("the gateway's own error message").contains("refused: missing field \"uid\"");
        }
    }

    @Test
    void thePythonExampleRunsAndShowsTheGatewaysError(@TempDir Path dir) throws Exception {
        String python = ClientLibrariesTest.onPath("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed; skipping the README Python example");
        Path script = dir.resolve("push.py");
        Files.writeString(script, example("python") + """
                try:
                    gatewayd("sendToUid", message="x")
                except RuntimeError as e:
                    print("refused:", e)
                """);
        try (WsClient c = gw.client()) {
            gw.call("bindUid", Map.of("client_id", c.clientId(), "uid", "42"));
            String out = ClientLibrariesTest.run(List.of(python, script.toString()));
            assertThat(c.nextJson().get("type").asText()).isEqualTo("NEWS");
            assertThat(out).as("the gateway's own error message").contains("refused: missing field \"uid\"");
        }
    }
}
