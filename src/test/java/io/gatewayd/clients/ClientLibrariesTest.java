package io.gatewayd.clients;

import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the shipped PHP and Python clients (clients/) against a real gateway and a real client. */
class ClientLibrariesTest {
    static TestGateway gw;

    @BeforeAll
    static void start() {
        gw = TestGateway.start();
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    static String run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within 60 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(command + " printed:\n" + out).isZero();
        return out;
    }

    @Test
    void phpClient() throws Exception {
        String php = onPath("php");
        Assumptions.assumeTrue(php != null, "php is not installed (apt-get install php-cli); skipping the PHP client test");
        try (WsClient c = gw.client()) {
            String out = run(List.of(php, "clients/php/example.php", "http://127.0.0.1:" + gw.gateway().controlPort(),
                    c.clientId()));
            assertThat(out).contains("ok");
            assertThat(c.nextJson().get("type").asText()).isEqualTo("FROM_PHP");
            assertThat(c.next()).isEqualTo("group hello");
        }
    }

    @Test
    void pythonClient() throws Exception {
        String python = onPath("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed; skipping the Python client test");
        try (WsClient c = gw.client()) {
            String out = run(List.of(python, "clients/python/example.py",
                    "http://127.0.0.1:" + gw.gateway().controlPort(), c.clientId()));
            assertThat(out).contains("ok");
            assertThat(c.nextJson().get("type").asText()).isEqualTo("FROM_PYTHON");
            assertThat(c.next()).isEqualTo("group hello");
            assertThat(c.next()).isEqualTo("batched");
        }
    }
}
