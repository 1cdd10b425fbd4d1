package io.gatewayd.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.cli.GatewayCtl;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RefusedPort;
import io.gatewayd.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every scenario of `gatewayctl bench` at tiny sizes against a real gateway: the report must
 * count exactly what was sent, with nothing lost, duplicated or misrouted. Never asserts on speed.
 */
class BenchTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestGateway gw;

    @BeforeAll
    static void start() {
        gw = TestGateway.start();
    }

    @AfterAll
    static void stop() {
        if (gw != null) {
            gw.close();
        }
    }

    record Run(int exit, String out, String err) {
        JsonNode json() {
            try {
                return JSON.readTree(out);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + out + "\nstderr: " + err, e);
            }
        }
    }

    private static Run bench(String... args) {
        List<String> all = new ArrayList<>(List.of("bench"));
        all.addAll(List.of(args));
        all.addAll(List.of("--control-url", gw.controlUri("").toString(), "--json"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = GatewayCtl.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }

    /** The gateway has forgotten the bench's clients, so the next run starts from zero. */
    private static void awaitNoClients() {
        Await.until("the bench's clients are gone", () -> gw.gateway().registry().size() == 0);
    }

    private static void assertConnected(JsonNode r, int n) {
        assertThat(r.path("ready").asInt()).as(r.toString()).isEqualTo(n);
        assertThat(r.path("opened").asInt()).isEqualTo(n);
        assertThat(r.path("failed").asInt()).isZero();
        assertThat(r.path("errors").size()).isZero();
        assertThat(r.path("ok").asBoolean()).isTrue();
    }

    @Test
    void connectHoldsAllClientsAndReportsMemoryPerConnection() {
        Run run = bench("connect", "--n", "20", "--hold", "0", "--ramp", "7");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode r = run.json();
        assertConnected(r, 20);
        assertThat(r.path("scenario").asText()).isEqualTo("connect");
        assertThat(r.path("server_count").asInt()).isEqualTo(20);
        assertThat(r.path("closed_during_hold").asInt()).isZero();
        assertThat(r.path("server").has("kib_per_conn_rss")).isTrue();
        assertThat(r.path("ws_url").asText()).isEqualTo(gw.wsUri().toString()); // found through /api/status
        assertThat(r.path("source_addrs").asInt()).isEqualTo(1);
        awaitNoClients();
    }

    @Test
    void broadcastViaSendToAllDeliversEveryMessageToEveryClientOnce() {
        Run run = bench("broadcast", "--n", "20", "--m", "5", "--s", "64", "--addrs", "3");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode r = run.json();
        assertConnected(r, 20);
        assertThat(r.path("source_addrs").asInt()).isEqualTo(3);
        assertThat(r.path("warmup").asInt()).isEqualTo(50); // automatic: 50 messages at most
        assertThat(r.path("pushes_ok").asInt()).isEqualTo(5);
        assertThat(r.path("pushes_failed").asInt()).isZero();
        assertThat(r.path("expected").asInt()).isEqualTo(100);
        assertThat(r.path("received").asInt()).isEqualTo(100);
        assertThat(r.path("lost").asInt()).isZero();
        assertThat(r.path("dup").asInt()).isZero();
        assertThat(r.path("unexpected_frames").asInt()).isZero();
        assertThat(r.path("api_delivered_sum").asInt()).isEqualTo(100);
        assertThat(r.path("lat_ms").path("n").asInt()).isEqualTo(100);
        assertThat(r.path("lat_ms").path("p50").asDouble()).isPositive();
        assertThat(r.path("lat_ms").path("max").asDouble()).isGreaterThanOrEqualTo(r.path("lat_ms").path("p99").asDouble());
        assertThat(r.path("deliveries_per_s").asLong()).isPositive();
        assertThat(r.path("grace_hit").asBoolean()).isFalse();
        awaitNoClients();
    }

    @Test
    void broadcastViaGroupJoinsEveryClientFirst() {
        Run run = bench("broadcast", "--n", "20", "--m", "5", "--bcast-via", "group", "--c", "2", "--rate", "100");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode r = run.json();
        assertConnected(r, 20);
        assertThat(r.path("bcast_via").asText()).isEqualTo("group");
        assertThat(r.path("join_errors").asInt()).isZero();
        assertThat(r.path("received").asInt()).isEqualTo(100);
        assertThat(r.path("lost").asInt()).isZero();
        assertThat(r.path("dup").asInt()).isZero();
        awaitNoClients();
    }

    @Test
    void unicastReachesExactlyTheAddressee() {
        Run run = bench("unicast", "--n", "20", "--k", "50", "--c", "8", "--api-conns", "3", "--warmup", "30");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode r = run.json();
        assertConnected(r, 20);
        assertThat(r.path("bind_errors").asInt()).isZero();
        assertThat(r.path("api_conns").asInt()).isEqualTo(3);
        assertThat(r.path("pushes_ok").asInt()).isEqualTo(50);
        assertThat(r.path("pushes_zero_recipients").asInt()).isZero();
        assertThat(r.path("expected").asInt()).isEqualTo(50);
        assertThat(r.path("received").asInt()).isEqualTo(50);
        assertThat(r.path("lost").asInt()).isZero();
        assertThat(r.path("dup").asInt()).isZero();
        assertThat(r.path("misrouted").asInt()).isZero();
        assertThat(r.path("pushes_per_s").asLong()).isPositive();
        awaitNoClients();
    }

    @Test
    void batchCountsEveryPushOfEveryCall() {
        Run run = bench("batch", "--n", "20", "--k", "250", "--b", "100", "--c", "2", "--warmup", "0");
        assertThat(run.exit()).as(run.err()).isZero();
        JsonNode r = run.json();
        assertConnected(r, 20);
        assertThat(r.path("calls").asInt()).isEqualTo(3); // 100 + 100 + 50
        assertThat(r.path("pushes_ok").asInt()).isEqualTo(250);
        assertThat(r.path("received").asInt()).isEqualTo(250);
        assertThat(r.path("lost").asInt()).isZero();
        assertThat(r.path("dup").asInt()).isZero();
        assertThat(r.path("misrouted").asInt()).isZero();
        awaitNoClients();
    }

    @Test
    void aGatewayWithoutWelcomeMessageFailsEveryClientQuickly() {
        try (TestGateway quiet = TestGateway.start("welcome:\n  enabled: false\n")) {
            BenchSettings st = new BenchSettings();
            st.scenario = BenchSettings.Scenario.CONNECT;
            st.controlUrl = quiet.controlUri("");
            st.n = 5;
            st.holdSeconds = 0;
            st.handshakeTimeoutSeconds = 1;
            JsonNode r = Bench.run(st);
            assertThat(r.path("ready").asInt()).isZero();
            assertThat(r.path("failed").asInt()).isEqualTo(5);
            assertThat(r.path("errors").path("no_welcome_message").asInt()).isEqualTo(5);
            assertThat(r.path("ok").asBoolean()).isFalse();
            assertThat(r.path("server").has("kib_per_conn_rss")).as("no memory per connection without connections: "
                    + r.path("server")).isFalse();
            assertThat(r.path("server").has("kib_per_conn_pss")).isFalse();
        }
    }

    @Test
    void aGatewayThatIsNotRunningIsARunThatCannotStart() throws Exception {
        try (RefusedPort nothing = new RefusedPort()) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cl = GatewayCtl.commandLine();
            cl.setOut(new PrintWriter(out));
            cl.setErr(new PrintWriter(err));
            int exit = cl.execute("bench", "connect", "--n", "5", "-q", "--control-url", nothing.httpUrl());
            assertThat(exit).as(err.toString()).isEqualTo(GatewayCtl.EXIT_USAGE);
            assertThat(err.toString()).contains("nothing answers on " + nothing.httpUrl())
                    .contains("is the gateway running?").doesNotContain("Exception");
        }
    }

    @Test
    void refusesMoreClientsThanItsFileLimitAllows() {
        Run run = bench("connect", "--n", "10000000");
        assertThat(run.exit()).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(run.err()).contains("file descriptors").contains("ulimit -n").contains("--addr-base");
    }

    @Test
    void singleDashCIsTheConfigNotTheConcurrency() {
        Run run = bench("unicast", "-c", "64");
        assertThat(run.exit()).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(run.err()).contains("--c 64 (two dashes)");
    }

    @Test
    void numbersOutOfTheirRangeAreUsageErrorsNamingTheOptionAndTheRange() {
        String[][] cases = {
                {"--s", "5", "--s must be between 64 and 16777216, got 5"},
                {"--hold", "-1", "--hold must be between 0 and 86400 seconds, got -1"},
                {"--n", "0", "--n must be between 1 and 10000000, got 0"},
                {"--m", "-3", "--m must be between 1 and 100000000, got -3"},
                {"--k", "0", "--k must be between 1"},
                {"--c", "0", "--c must be between 1 and 100000, got 0"},
                {"--api-conns", "-1", "--api-conns must be between 1"},
                {"--warmup", "-2", "--warmup must be between 0"},
                {"--threads", "0", "--threads must be between 1"},
                {"--rate", "NaN", "--rate must be between 0 and 100000000 per second, got NaN"},
                {"--grace", "-0.5", "--grace must be between 0 and 86400 seconds, got -0.5"},
                {"--connect-timeout", "0", "--connect-timeout must be between"},
                {"--ping-interval", "-1", "--ping-interval must be between 0"},
        };
        for (String[] c : cases) {
            Run run = bench("connect", c[0], c[1]);
            assertThat(run.exit()).as(String.join(" ", c) + ": " + run.err()).isEqualTo(GatewayCtl.EXIT_USAGE);
            assertThat(run.err()).as(c[0]).contains(c[2]).doesNotContain("Exception");
        }
        assertThat(gw.gateway().registry().size()).as("refused before any client connected").isZero();
    }

    @Test
    void unknownScenarioIsAUsageError() {
        Run run = bench("storm");
        assertThat(run.exit()).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(run.err()).contains("unknown scenario");
    }
}
