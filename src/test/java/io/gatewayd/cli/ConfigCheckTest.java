package io.gatewayd.cli;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.gatewayd.server.ServerTls;
import io.gatewayd.testing.LogCapture;
import io.gatewayd.testing.TestCa;
import io.gatewayd.testing.TlsYaml;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gatewayctl config check} prints the effective config without any secret in it. */
class ConfigCheckTest {
    @RegisterExtension
    final LogCapture tlsLog = new LogCapture(ServerTls.class);

    /**
     * A certificate about to end is a warning on stderr, once, in gatewayctl's words; -q prints
     * nothing. Both used to get the gateway's log lines (provider, expiry) on stdout, before the YAML.
     */
    @Test
    void aCertificateAboutToEndIsOneWarningOnStderrAndQuietSaysNothing(@TempDir Path dir) throws Exception {
        TestCa soon = TestCa.create(dir, "soon", java.time.Duration.ofDays(5).plusHours(1));
        Path f = dir.resolve("gw.yaml");
        Files.writeString(f, "listeners:\n  - url: wss://127.0.0.1:8443\n"
                + TlsYaml.section(soon.chainPem(), soon.keyPem()));

        StartCommandTest.Run quiet = StartCommandTest.run("config", "check", "-q", "--config", f.toString());
        assertThat(quiet.exit()).as(quiet.toString()).isZero();
        assertThat(quiet.out()).isEmpty();
        assertThat(quiet.err()).isEmpty();
        assertThat(tlsLog.events()).as("log lines reach the terminal").extracting(ILoggingEvent::getFormattedMessage)
                .isEmpty();

        StartCommandTest.Run full = StartCommandTest.run("config", "check", "--config", f.toString());
        assertThat(full.exit()).as(full.toString()).isZero();
        assertThat(full.err()).matches("gatewayctl: warning: TLS certificate CN=127\\.0\\.0\\.1 in \\Q" + soon.chainPem()
                + "\\E expires in 5 days \\(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC\\); renew it and run "
                + "`gatewayctl reload`\n");
        assertThat(full.out()).startsWith("# " + f + " is valid").doesNotContain("expires");
        assertThat(tlsLog.events()).extracting(ILoggingEvent::getFormattedMessage).isEmpty();
    }

    @Test
    void secretsAndUrlCredentialsAreMasked(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("gw.yaml");
        Files.writeString(f, """
                control:
                  tokens: [tok-sekrit-1]
                cluster:
                  redis: "redis://app:redis-pw-1@127.0.0.1:6379/0"
                webhooks:
                  url: "http://hook:hook-pw-1@127.0.0.1:8080/gatewayd"
                  secret: "webhook-signing-secret-0123456789abcdef"
                """);
        StartCommandTest.Run r = StartCommandTest.run("config", "check", "--config", f.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("redis://app:***@127.0.0.1:6379/0").contains("http://hook:***@127.0.0.1:8080")
                .doesNotContain("tok-sekrit-1").doesNotContain("webhook-signing-secret").doesNotContain("redis-pw-1").doesNotContain("hook-pw-1");
    }

    @Test
    void aRedisUrlWithOnlyAPasswordIsMaskedToo(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("gw.yaml");
        Files.writeString(f, "cluster:\n  redis: \"redis://redis-pw-2@127.0.0.1:6379/0\"\n");
        StartCommandTest.Run r = StartCommandTest.run("config", "check", "--config", f.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("redis://***@127.0.0.1:6379/0").doesNotContain("redis-pw-2");
    }

    @Test
    void aCertificateFileThatIsNotThereIsAConfigError(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("gw.yaml");
        Files.writeString(f, "listeners:\n  - url: wss://127.0.0.1:8443\n"
                + TlsYaml.section(dir.resolve("nope.pem"), dir.resolve("nope.key")));
        StartCommandTest.Run r = StartCommandTest.run("config", "check", "--config", f.toString());
        assertThat(r.exit()).as("start would refuse it: " + r.out()).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(r.err()).contains("tls.cert-file").contains("nope.pem").contains("does not exist")
                .doesNotContain("Exception");
    }

    /**
     * Every config error names the file, the line and the key by its full path as written in the
     * YAML, and nothing of Java (class names, exceptions).
     */
    @Test
    void aYamlSyntaxErrorSaysWhereAndWhatInOneLine(@TempDir Path dir) throws Exception {
        // the parser's first line alone was "while scanning a quoted scalar": where it was, not what is wrong
        java.util.Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("control:\n  listen: \"http://127.0.0.1:8283\nheartbeat:\n  ping-interval: 5\n",
                ":5:1: not valid YAML: found unexpected end of stream (while scanning a quoted scalar that starts at "
                        + "line 2, column 11)");
        cases.put("control:\n\tlisten: http://127.0.0.1:8283\n",
                ":2:1: not valid YAML: found character TAB that cannot start any token. (Do not use TAB for indentation)");
        cases.put("control:\n  listen: http://127.0.0.1:8283\n   tokens: [a]\n",
                ":3:10: not valid YAML: mapping values are not allowed here");
        cases.put("listeners: [{url: websocket://127.0.0.1:8282}\nnode: {}\n",
                ":2:1: not valid YAML: expected ',' or ']', but got <scalar> (while parsing a flow sequence that starts at "
                        + "line 1, column 12)");
        for (var c : cases.entrySet()) {
            Path f = Files.writeString(dir.resolve("gw.yaml"), c.getKey());
            StartCommandTest.Run r = StartCommandTest.run("config", "check", "--config", f.toString());
            assertThat(r.exit()).as(r.toString()).isEqualTo(GatewayCtl.EXIT_USAGE);
            assertThat(r.err()).as(c.getKey()).isEqualTo("gatewayctl: configuration error: " + f + c.getValue() + "\n");
        }
    }

    @Test
    void everyErrorNamesTheFileTheLineAndTheFullKeyPath(@TempDir Path dir) throws Exception {
        String job = "      every: 30s\n      push: {to: all, message: hi}\n";
        String listJob = "    every: 30s\n    push: {to: all, message: hi}\n";
        java.util.Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("cron:\n  jobs:\n    - name: a\n" + job + "    - name: a\n" + job, ":6: cron.jobs[1].name \"a\" is used");
        cases.put("cron:\n  - name: a\n" + listJob + "  - name: a\n" + listJob, ":5: cron[1].name \"a\" is used");
        cases.put("cron:\n  - name: a\n", ":2: cron[0].schedule is missing"); // the line of its list item
        cases.put("cron:\n  jobs:\n    - name: a\n      timezone: Mars/Base\n" + job,
                ":4: cron.jobs[0].timezone \"Mars/Base\" is not a time zone");
        cases.put("cron:\n  jobs:\n    - name: a\n      evry: 30s\n      push: {to: all, message: hi}\n",
                ":4: unknown key \"cron.jobs[0].evry\"; did you mean \"every\"?");
        cases.put("cron:\n  jobs:\n    - name: a\n      every: 30s\n      http: {url: \"http://x/\", headers: {X-A: null}}\n",
                ":5: cron.jobs[0].http.headers.X-A has no value");
        cases.put("listeners:\n  - url: websocket://127.0.0.1:0\n  - url: bogus://x:1\n", ":3: listeners[1].url unknown protocol");
        cases.put("limits:\n  max-connections: abc\n", ":2: limits.max-connections: expected an integer, got \"abc\"");
        cases.put("limits:\n  max-connections: 1\n  max-connections: 2\n", ":3: limits.max-connections is set twice");
        cases.put("control:\n  listen: http://0.0.0.0:8283\n", ":2: control.listen binds 0.0.0.0");
        cases.put("- a\n", ":1: expected a mapping of sections");
        cases.put("tls:\n  cert-file: /nonexistent/c.pem\n  key-file: /nonexistent/k.pem\ncontrol:\n"
                + "  listen: https://127.0.0.1:0\n", ": tls.cert-file: /nonexistent/c.pem does not exist");
        int n = 0;
        for (var c : cases.entrySet()) {
            Path f = dir.resolve("bad" + n++ + ".yaml");
            Files.writeString(f, c.getKey());
            StartCommandTest.Run r = StartCommandTest.run("config", "check", "-q", "--config", f.toString());
            assertThat(r.exit()).as(c.getKey() + r).isEqualTo(GatewayCtl.EXIT_USAGE);
            assertThat(r.err()).as(c.getKey()).startsWith("gatewayctl: configuration error: " + f + c.getValue())
                    .doesNotContain("Exception").doesNotContain("java.").doesNotContain("`");
        }
    }
}
