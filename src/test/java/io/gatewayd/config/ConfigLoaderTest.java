package io.gatewayd.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    final ConfigLoader loader = new ConfigLoader(Map.of("WS_PORT", "9001", "TOKEN", "t0k"));

    GatewayConfig parse(String yaml) {
        return loader.parse(yaml, "gw.yaml");
    }

    @Test
    void theShippedConfigLoadsAndMatchesTheDocumentedValues() {
        GatewayConfig c = new ConfigLoader(Map.of()).load(Path.of("conf/gatewayd.yaml"));
        assertThat(c.listeners()).hasSize(1);
        assertThat(c.listeners().get(0).protocol()).isEqualTo(Protocol.WEBSOCKET);
        assertThat(c.listeners().get(0).port()).isEqualTo(8282);
        assertThat(c.control().port()).isEqualTo(8283);
        assertThat(c.control().bindsLoopback()).isTrue();
        assertThat(c.heartbeat().pingInterval()).isEqualTo(Duration.ofSeconds(55));
        assertThat(c.welcome().message()).isEqualTo(WelcomeConfig.GATEWAYWORKER_INIT);
        // the documented security sections are the built-in defaults
        assertThat(c.limits()).isEqualTo(LimitsConfig.defaults());
        assertThat(c.auth()).isEqualTo(AuthConfig.defaults());
        assertThat(c.webhooks()).isEqualTo(WebhooksConfig.defaults());
        assertThat(c.tls()).isEqualTo(TlsConfig.defaults());
        assertThat(c.control().maxRequestsPerSecond()).isZero();
    }

    @Test
    void anEmptyFileMeansDefaults() {
        GatewayConfig c = parse("");
        assertThat(c).isEqualTo(GatewayConfig.defaults());
        assertThat(c.heartbeat().enabled()).isFalse();
        assertThat(c.outbound().maxPendingBytes().bytes()).isEqualTo(1024 * 1024);
    }

    @Test
    void anUnknownKeyNamesFileLineKeyAndTheClosestKnownKey() {
        assertThatThrownBy(() -> parse("""
                heartbeat:
                  ping-intervall: 10
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("gw.yaml:2")
                .hasMessageContaining("unknown key \"heartbeat.ping-intervall\"")
                .hasMessageContaining("did you mean \"ping-interval\"");
        assertThatThrownBy(() -> parse("hartbeat: {}\n"))
                .hasMessageContaining("did you mean \"heartbeat\"");
    }

    @Test
    void aCheckAcrossSectionsNamesTheLineWhereTheFixGoesNotTheEndOfTheFile() {
        String tcpUnderConnectAuth = """
                listeners:
                  - url: websocket://127.0.0.1:8282
                  - url: text://127.0.0.1:8284
                auth:
                  connect: token
                  token:
                    secret: 0123456789abcdef0123456789abcdef
                """;
        assertThatThrownBy(() -> parse(tcpUnderConnectAuth))
                .as("the key is not in the file: the line of the listener that needs it")
                .hasMessageStartingWith("gw.yaml:3: listeners[1].unauthenticated is not set");
        assertThatThrownBy(() -> parse("listeners:\n  - url: wss://0.0.0.0:8443\n\n\n"))
                .as("no tls section at all: the file, without a made-up line")
                .hasMessageStartingWith("gw.yaml: tls has no cert-file/key-file");
        assertThatThrownBy(() -> parse("control:\n  listen: http://127.0.0.1:8283\nwebhooks:\n  url: http://127.0.0.1:9/hook\n\n"))
                .hasMessageStartingWith("gw.yaml:3: webhooks.secret is required");
    }

    /**
     * A cron job's errors read the same in both forms of the section: FILE:LINE: the key's path as
     * written (cron[i] for the list form, cron.jobs[i] for the mapping form), what is wrong, and
     * the fix. Each row: the job's lines (indented for the list form), the job's line offset of
     * the expected line, and the message after the path.
     */
    @Test
    void cronJobErrorsNameFileLineAndPathInOneFormWithTheFix() {
        String ok = "- name: first\n  every: 10s\n  push: {message: x}\n";
        String[][] rows = {
                {"- name: report\n  schedule: \"0 0 25 * * *\"\n  push: {message: x}\n", "1", ".schedule",
                        " is invalid: job \"report\": field 3 (hour) value 25 out of range 0-23"},
                {"- name: report\n  schedule: \"0 0 2 * * *\"\n  timezone: Europe/Berln\n  push: {message: x}\n", "2",
                        ".timezone", " \"Europe/Berln\" is not a time zone; job \"report\": did you mean \"Europe/Berlin\"?"},
                {"- name: report\n  schedule: \"0 0 2 * * *\"\n  timezone: europe/berlin\n  push: {message: x}\n", "2",
                        ".timezone", " \"europe/berlin\" is not a time zone; job \"report\": did you mean \"Europe/Berlin\"?"},
                {"- name: report\n  schedule: \"0 0 2 * * *\"\n  timezone: PST\n  push: {message: x}\n", "2",
                        ".timezone", " \"PST\" is not a time zone; job \"report\": did you mean \"America/Los_Angeles\"?"},
                {"- name: report\n  schedule: \"0 0 2 * * *\"\n  timezone: Mars/Base\n  push: {message: x}\n", "2",
                        ".timezone", " \"Mars/Base\" is not a time zone; job \"report\": use a region such as "
                        + "Europe/Berlin, or UTC"},
                {"- name: report\n  schedule: \"0 0 2 * * *\"\n  every: 10s\n  push: {message: x}\n", "2", ".every",
                        " conflicts with schedule; job \"report\": set either schedule or every, not both"},
                {"- name: report\n  push: {message: x}\n", "0", ".schedule", " is missing; job \"report\": set schedule "
                        + "(a cron expression, e.g. \"*/10 * * * * *\") or every (e.g. 30s)"},
                {"- name: first\n  every: 20s\n  push: {message: x}\n", "0", ".name",
                        " \"first\" is used by an earlier job; job names must be unique"},
                {"- name: report\n  every: 10s\n  jitter: 10s\n  push: {message: x}\n", "2", ".jitter",
                        " 10s is not shorter than the job's interval (10s); job \"report\": set jitter below 10s, "
                        + "or a run starts after the job's next time"},
                {"- name: report\n  schedule: \"*/5 * * * * *\"\n  jitter: 10s\n  push: {message: x}\n", "2", ".jitter",
                        " 10s is not shorter than the shortest gap between the job's times (5s); job \"report\": "
                        + "set jitter below 5s, or a run starts after the job's next time"},
                {"- name: report\n  schedule: \"0 0,59 0,23 * * *\"\n  jitter: 1m\n  push: {message: x}\n", "2",
                        ".jitter", " 1m is not shorter than the shortest gap between the job's times (1m); job "
                        + "\"report\": set jitter below 1m, or a run starts after the job's next time"},
                {"-\n", null, "", " is empty; give the job its keys: name, schedule or every, and one action "
                        + "(http, push or exec)"},
        };
        for (String[] row : rows) {
            for (boolean listForm : new boolean[] {true, false}) {
                String indent = listForm ? "  " : "    ";
                String yaml = (listForm ? "cron:\n" : "cron:\n  workers: 2\n  jobs:\n")
                        + (ok + row[0]).indent(indent.length());
                int firstJobLine = listForm ? 2 : 4;
                String path = (listForm ? "cron[1]" : "cron.jobs[1]") + row[2];
                // an empty item has no line of its own: its list's
                String line = row[1] == null ? (listForm ? "1" : "3")
                        : Integer.toString(firstJobLine + 3 + Integer.parseInt(row[1]));
                assertThatThrownBy(() -> parse(yaml)).as(yaml)
                        .isInstanceOf(ConfigException.class)
                        .hasMessage("gw.yaml:" + line + ": " + path + row[3]);
            }
        }
        assertThatThrownBy(() -> parse("cron:\n  - name: report\n    schedule: \"0 0 2 * * *\"\n    overlp: allow\n"
                + "    push: {message: x}\n"))
                .hasMessageStartingWith("gw.yaml:4: unknown key \"cron[0].overlp\"; did you mean \"overlap\"?");
        assertThatThrownBy(() -> parse("cron:\n  jobs:\n    - name: report\n      schedule: \"0 0 2 * * *\"\n"
                + "      overlp: allow\n      push: {message: x}\n"))
                .hasMessageStartingWith("gw.yaml:5: unknown key \"cron.jobs[0].overlp\"; did you mean \"overlap\"?");
    }

    @Test
    void aJitterShorterThanTheGapBetweenTheJobsTimesIsAccepted() {
        GatewayConfig c = parse("""
                cron:
                  - name: fast
                    schedule: "*/5 * * * * *"
                    jitter: 4999ms
                    push: {message: x}
                  - name: nightly
                    schedule: "@daily"
                    jitter: 1h
                    push: {message: x}
                  - name: spread
                    every: 10s
                    jitter: 9s
                    push: {message: x}
                """);
        assertThat(c.cron().jobs()).extracting(j -> j.jitter())
                .containsExactly(Duration.ofMillis(4999), Duration.ofHours(1), Duration.ofSeconds(9));
    }

    @Test
    void aWrongTypeNamesTheKeyAndTheExpectedForm() {
        assertThatThrownBy(() -> parse("heartbeat:\n  ping-not-response-limit: lots\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("gw.yaml:2")
                .hasMessageContaining("heartbeat.ping-not-response-limit")
                .hasMessageContaining("integer");
        assertThatThrownBy(() -> parse("listeners: websocket://0.0.0.0:1\n"))
                .hasMessageContaining("listeners")
                .hasMessageContaining("list");
        assertThatThrownBy(() -> parse("outbound:\n  max-pending-bytes: 12 parsecs\n"))
                .hasMessageContaining("outbound.max-pending-bytes")
                .hasMessageContaining("unknown size unit");
        assertThatThrownBy(() -> parse("client-messages:\n  policy: shout\n"))
                .hasMessageContaining("client-messages.policy")
                .hasMessageContaining("echo-type, ignore");
    }

    @Test
    void badValuesAreRefusedWithTheFix() {
        assertThatThrownBy(() -> parse("listeners:\n  - url: mqtt://0.0.0.0:1883\n"))
                .hasMessageContaining("listeners[0].url")
                .hasMessageContaining("unknown protocol \"mqtt\"");
        assertThatThrownBy(() -> parse("heartbeat:\n  ping-interval: -5\n"))
                .hasMessageContaining("heartbeat.ping-interval");
        assertThatThrownBy(() -> parse("welcome:\n  message: 'hi ${clientid}'\n"))
                .hasMessageContaining("welcome.message")
                .hasMessageContaining("${clientid}")
                .hasMessageContaining("${client_id}");
        assertThatThrownBy(() -> parse("node:\n  lan-ip: 999.1.1.1\n"))
                .hasMessageContaining("node.lan-ip");
        assertThatThrownBy(() -> parse("control:\n  max-connections: -1\n"))
                .hasMessageStartingWith("gw.yaml")
                .hasMessageContaining("control.max-connections")
                .hasMessageContaining("must be 0 (no limit) or between 1 and 100000, got -1");
        assertThat(parse("control:\n  max-connections: 0\n").control().maxConnections()).isZero();
        assertThat(parse("").control().maxConnections()).isEqualTo(ControlConfig.DEFAULT_MAX_CONNECTIONS);
        assertThatThrownBy(() -> parse("control:\n  dedup-max-entries: -1\n"))
                .hasMessageStartingWith("gw.yaml:2: control.dedup-max-entries must be between 0 (off) and 10000000, got -1");
        assertThat(parse("").control().dedupWindow()).isEqualTo(Duration.ofMinutes(5));
        assertThat(parse("").control().dedupMaxEntries()).isEqualTo(100_000);
        assertThatThrownBy(() -> parse("heartbeat:\n  ping-interval: 1\nheartbeat:\n  ping-interval: 2\n"))
                .hasMessageContaining("gw.yaml").hasMessageContaining("heartbeat");
    }

    @Test
    void aPublicControlAddressWithoutATokenIsRefused() {
        assertThatThrownBy(() -> parse("control:\n  listen: http://0.0.0.0:8283\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("control.listen")
                .hasMessageContaining("no token")
                .hasMessageContaining("control.tokens");
        assertThat(parse("control:\n  listen: http://0.0.0.0:8283\n  tokens: [abc]\n").control().tokens())
                .containsExactly("abc");
        // the token may come from the environment variable named by token-env
        GatewayConfig fromEnv = new ConfigLoader(Map.of("GATEWAYD_CONTROL_TOKEN", "envtok"))
                .parse("control:\n  listen: http://0.0.0.0:8283\n", "gw.yaml");
        assertThat(fromEnv.control().tokens()).containsExactly("envtok");
    }

    @Test
    void environmentVariablesAreSubstitutedButTemplatePlaceholdersAreNot() {
        GatewayConfig c = parse("""
                listeners:
                  - url: websocket://127.0.0.1:${WS_PORT}
                  - url: text://127.0.0.1:${TEXT_PORT:-9100}
                control:
                  tokens: ["${TOKEN}"]
                welcome:
                  message: '{"id":"${client_id}","cost":"$${NOT_A_VAR}"}'
                """);
        assertThat(c.listeners().get(0).port()).isEqualTo(9001);
        assertThat(c.listeners().get(1).port()).isEqualTo(9100);
        assertThat(c.control().tokens()).containsExactly("t0k");
        assertThat(c.welcome().message()).isEqualTo("{\"id\":\"${client_id}\",\"cost\":\"${NOT_A_VAR}\"}");
        assertThatThrownBy(() -> parse("control:\n  tokens: [\"${MISSING}\"]\n"))
                .hasMessageContaining("MISSING is not set")
                .hasMessageContaining("control.tokens");
    }

    @Test
    void sizesAndDurationsAcceptUnits() {
        GatewayConfig c = parse("""
                heartbeat:
                  ping-interval: 1500ms
                listeners:
                  - url: ws://127.0.0.1:0
                    max-frame-size: 1MiB
                outbound:
                  max-pending-bytes: 2048
                """);
        assertThat(c.heartbeat().pingInterval()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.heartbeat().tickPeriod()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.listeners().get(0).maxFrameSize().bytes()).isEqualTo(1024 * 1024);
        assertThat(c.outbound().maxPendingBytes().bytes()).isEqualTo(2048);
        assertThat(parse("heartbeat:\n  ping-interval: 0.5\n  ping-not-response-limit: 1\n").heartbeat().tickPeriod())
                .isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void aMissingFileSaysSo(@org.junit.jupiter.api.io.TempDir Path dir) {
        assertThatThrownBy(() -> loader.load(dir.resolve("nope.yaml")))
                .hasMessageContaining("nope.yaml does not exist");
    }

    @Test
    void invalidYamlIsReportedWithItsLine(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "node:\n  lan-ip: \"unterminated\n");
        assertThatThrownBy(() -> loader.load(f))
                .hasMessageContaining("bad.yaml")
                .hasMessageContaining("not valid YAML");
    }
}
