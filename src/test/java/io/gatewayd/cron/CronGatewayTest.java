package io.gatewayd.cron;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.gatewayd.cli.GatewayCtl;
import io.gatewayd.config.ConfigException;
import io.gatewayd.config.ConfigLoader;
import io.gatewayd.config.GatewayConfig;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Cron jobs in a real gateway: actions reach WebSocket clients, the API and CLI operate them. */
class CronGatewayTest {
    @TempDir
    Path runDir;

    private HttpServer backend;
    private final Queue<String> requests = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void startBackend() throws Exception {
        backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        backend.createContext("/", ex -> {
            requests.add(ex.getRequestMethod() + " " + ex.getRequestURI());
            byte[] body = "{\"type\":\"news\",\"n\":7}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        backend.start();
    }

    @AfterEach
    void stopBackend() {
        backend.stop(0);
    }

    private String base() {
        return "paths:\n  run-dir: " + runDir + "\nheartbeat:\n  ping-interval: 0\n";
    }

    private String backendUrl() {
        return "http://127.0.0.1:" + backend.getAddress().getPort();
    }

    @Test
    void anHttpJobPushesTheBackendsResponseToAConnectedClient() {
        try (TestGateway gw = TestGateway.start(base() + """
                cron:
                  - name: poll
                    every: 1s
                    http:
                      url: %s/?s=App.Task.Run&job=${job}
                      push-response: group:news
                """.formatted(backendUrl()));
             WsClient member = gw.client();
             WsClient other = gw.client()) {
            gw.call("joinGroup", Map.of("client_id", member.clientId(), "group", "news"));
            assertThat(member.next()).isEqualTo("{\"type\":\"news\",\"n\":7}");
            assertThat(requests).contains("GET /?s=App.Task.Run&job=poll");
            assertThat(other.poll()).as("not in the group").isNull();
        }
    }

    @Test
    void aPushJobRendersItsTemplate() {
        try (TestGateway gw = TestGateway.start(base() + """
                cron:
                  - name: beat
                    every: 1s
                    run-on: each
                    push:
                      message: '{"type":"tick","job":"${job}","time":"${time}","ts":${timestamp}}'
                """);
             WsClient c = gw.client()) {
            JsonNode tick = c.nextJson();
            assertThat(tick.get("type").asText()).isEqualTo("tick");
            assertThat(tick.get("job").asText()).isEqualTo("beat");
            java.time.OffsetDateTime t = java.time.OffsetDateTime.parse(tick.get("time").asText());
            assertThat(t.toEpochSecond()).isEqualTo(tick.get("ts").asLong());
            assertThat(t.getNano()).as("ticks of @every 1s are whole seconds").isZero();
        }
    }

    @Test
    void aPushJobWhoseMessageNoClientCouldTakeFailsWithTheReasonAndDisconnectsNobody() {
        String big = "x".repeat(2000); // over the 1KiB bound, the smallest the config allows
        try (TestGateway gw = TestGateway.start(base() + """
                outbound:
                  max-pending-bytes: 1KiB
                cron:
                  - name: big
                    schedule: "@yearly"
                    push:
                      message: '%s'
                  - name: small
                    schedule: "@yearly"
                    push:
                      message: after
                """.formatted(big));
             WsClient c = gw.client()) {
            JsonNode run = gw.call("cron/run", Map.of("name", "big", "wait", true));
            assertThat(run.at("/result/status").asText()).as(run.toString()).isEqualTo("failed");
            assertThat(run.at("/result/output").asText())
                    .startsWith("not pushed to all: the message is 2000 bytes, more than outbound.max-pending-bytes (1KiB = 1024 bytes)")
                    .contains("at most 1024 bytes, or raise outbound.max-pending-bytes");
            JsonNode history = gw.call("cron/history", Map.of("name", "big"));
            assertThat(history.get(0).get("status").asText()).isEqualTo("failed");
            assertThat(history.get(0).get("output").asText()).contains("outbound.max-pending-bytes");

            assertThat(gw.call("cron/run", Map.of("name", "small", "wait", true)).at("/result/status").asText())
                    .isEqualTo("ok");
            assertThat(c.next()).as("the first thing after the refused push").isEqualTo("after");
            assertThat(c.isClosed()).as("closed: " + c.closeReason()).isFalse();
            assertThat(gw.gateway().stats().slowClientsDropped.sum()).isZero();
        }
    }

    @Test
    void anHttpJobWhoseResponseNoClientCouldTakeFailsWithTheStatusAndTheReason() {
        backend.createContext("/big", ex -> {
            byte[] body = "y".repeat(2000).getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        try (TestGateway gw = TestGateway.start(base() + """
                outbound:
                  max-pending-bytes: 1KiB
                cron:
                  - name: poll
                    schedule: "@yearly"
                    http:
                      url: %s/big
                      push-response: group:news
                """.formatted(backendUrl()));
             WsClient c = gw.client()) {
            gw.call("joinGroup", Map.of("client_id", c.clientId(), "group", "news"));
            JsonNode run = gw.call("cron/run", Map.of("name", "poll", "wait", true));
            assertThat(run.at("/result/status").asText()).as(run.toString()).isEqualTo("failed");
            assertThat(run.at("/result/code").asInt()).isEqualTo(200);
            assertThat(run.at("/result/output").asText())
                    .startsWith("not pushed to group:news: the message is 2000 bytes, more than outbound.max-pending-bytes");
            gw.call("sendToGroup", Map.of("group", "news", "message", "after"));
            assertThat(c.next()).as("the first thing after the refused push").isEqualTo("after");
            assertThat(c.isClosed()).as("closed: " + c.closeReason()).isFalse();
        }
    }

    @Test
    void anExecJobRunsOnDemandAndPushesItsOutputToAUid() {
        try (TestGateway gw = TestGateway.start(base() + """
                cron:
                  - name: report
                    schedule: "@yearly"
                    exec:
                      command: ["sh", "-c", "echo hello from $GATEWAYD_JOB $GREETING"]
                      env: {GREETING: again}
                      push-output: uid:u1
                  - name: hang
                    schedule: "@yearly"
                    exec:
                      command: ["sh", "-c", "sleep 60"]
                      timeout: 300ms
                """);
             WsClient c = gw.client()) {
            gw.call("bindUid", Map.of("client_id", c.clientId(), "uid", "u1"));
            JsonNode run = gw.call("cron/run", Map.of("name", "report", "wait", true));
            assertThat(run.get("started").asBoolean()).isTrue();
            assertThat(run.at("/result/status").asText()).isEqualTo("ok");
            assertThat(run.at("/result/code").asInt()).isZero();
            assertThat(run.at("/result/output").asText()).isEqualTo("hello from report again\n");
            assertThat(c.next()).isEqualTo("hello from report again\n");

            JsonNode killed = gw.call("cron/run", Map.of("name", "hang", "wait", true));
            assertThat(killed.at("/result/status").asText()).isEqualTo("timeout");
            assertThat(killed.at("/result/output").asText()).startsWith("killed after 300 ms");
        }
    }

    @Test
    void theApiListsPausesResumesAndReportsHistoryAndStatus() {
        try (TestGateway gw = TestGateway.start(base() + """
                cron:
                  - name: nightly
                    schedule: "0 30 2 * * *"
                    timezone: Europe/Berlin
                    http: {url: "%s/nightly", method: POST, body: "at ${time}"}
                """.formatted(backendUrl()))) {
            JsonNode list = gw.call("cron/list", Map.of());
            assertThat(list).hasSize(1);
            JsonNode job = list.get(0);
            assertThat(job.get("name").asText()).isEqualTo("nightly");
            assertThat(job.get("schedule").asText()).isEqualTo("0 30 2 * * *");
            assertThat(job.get("timezone").asText()).isEqualTo("Europe/Berlin");
            assertThat(job.get("run_on").asText()).isEqualTo("one");
            assertThat(job.get("next_run").asText()).matches("\\d{4}-\\d\\d-\\d\\dT0[23]:\\d\\d:\\d\\d\\+0[12]:00");
            assertThat(job.get("last_result").isNull()).isTrue();

            assertThat(gw.call("cron/pause", Map.of("name", "nightly")).get("changed").asBoolean()).isTrue();
            assertThat(gw.call("cron/list", Map.of()).get(0).get("paused").asBoolean()).isTrue();
            assertThat(gw.call("cron/resume", Map.of("name", "nightly")).get("changed").asBoolean()).isTrue();

            JsonNode run = gw.call("cron/run", Map.of("name", "nightly", "wait", true));
            assertThat(run.at("/result/code").asInt()).isEqualTo(200);
            assertThat(requests).anyMatch(r -> r.equals("POST /nightly"));
            JsonNode history = gw.call("cron/history", Map.of("name", "nightly"));
            assertThat(history).hasSize(1);
            assertThat(history.get(0).get("trigger").asText()).isEqualTo("manual");

            TestGateway.Response unknown = gw.post("cron/run", Map.of("name", "nightley"));
            assertThat(unknown.status()).isEqualTo(404);
            assertThat(unknown.errorCode()).isEqualTo("unknown_job");
            assertThat(unknown.errorMessage()).contains("nightly");

            JsonNode status = gw.get("/api/status").json().get("result").get("cron");
            assertThat(status.get("jobs").asInt()).isEqualTo(1);
            assertThat(status.get("runs").asInt()).isEqualTo(1);
            assertThat(status.get("next_job").asText()).isEqualTo("nightly");
        }
    }

    @Test
    void gatewayctlCronListRunPauseResume() {
        try (TestGateway gw = TestGateway.start(base() + """
                cron:
                  - name: hello
                    schedule: "@daily"
                    timezone: UTC
                    push: {message: hi}
                """)) {
            String url = "http://127.0.0.1:" + gw.gateway().controlPort();
            Cli list = cli("cron", "list", "--control-url", url);
            assertThat(list.exit).isZero();
            assertThat(list.out).contains("NAME", "SCHEDULE", "NEXT RUN", "hello", "@daily", "UTC", "T00:00:00Z");
            assertThat(list.out).as("no job has cancelled runs: no column for them").doesNotContain("CANCELLED");
            Cli run = cli("cron", "run", "hello", "--wait", "--control-url", url);
            assertThat(run.exit).isZero();
            assertThat(run.out).contains("cron job hello: ok in", "delivered to 0 connections");
            assertThat(cli("cron", "pause", "hello", "--control-url", url).out).contains("cron job hello paused");
            assertThat(cli("cron", "list", "--json", "--control-url", url).out).contains("\"paused\" : true");
            assertThat(cli("cron", "resume", "hello", "--control-url", url).out).contains("cron job hello resumed");
            Cli unknown = cli("cron", "run", "nope", "--control-url", url);
            assertThat(unknown.exit).isEqualTo(1);
            assertThat(unknown.err).contains("no cron job \"nope\"; jobs: hello");
        }
    }

    @Test
    void aRunReplacedByTheNextIsCancelledNotFailed() {
        // the first run sleeps until it is replaced; the second finds the marker and ends at once
        Path marker = runDir.resolve("first-run-started");
        try (TestGateway gw = TestGateway.start(base() + """
                cron:
                  - name: poll
                    schedule: "@yearly"
                    overlap: replace
                    exec:
                      command: ["sh", "-c", "test -e %s || { touch %s; exec sleep 60; }"]
                """.formatted(marker, marker))) {
            assertThat(gw.call("cron/run", Map.of("name", "poll")).get("started").asBoolean()).isTrue();
            Await.until("the first run is going", () -> java.nio.file.Files.exists(marker)
                    && gw.call("cron/list", Map.of()).get(0).get("running").asInt() == 1);
            JsonNode second = gw.call("cron/run", Map.of("name", "poll", "wait", true));
            assertThat(second.at("/result/status").asText()).isEqualTo("ok");

            JsonNode history = gw.call("cron/history", Map.of("name", "poll"));
            assertThat(history).hasSize(2);
            assertThat(history.get(1).get("status").asText()).isEqualTo("cancelled");
            assertThat(history.get(1).get("output").asText())
                    .isEqualTo("cancelled: replaced by a manual run (overlap: replace)");
            JsonNode job = gw.call("cron/list", Map.of()).get(0);
            assertThat(job.get("failures").asInt()).as("the job did nothing wrong").isZero();
            assertThat(job.get("cancelled").asInt()).isEqualTo(1);
            assertThat(job.get("runs").asInt()).isEqualTo(2);
            JsonNode status = gw.get("/api/status").json().get("result").get("cron");
            assertThat(status.get("failures").asInt()).isZero();
            assertThat(status.get("cancelled").asInt()).isEqualTo(1);

            Cli list = cli("cron", "list", "--control-url", "http://127.0.0.1:" + gw.gateway().controlPort());
            List<String> header = List.of(list.out.lines().findFirst().orElseThrow().split("\\s{2,}"));
            List<String> row = List.of(list.out.lines().filter(l -> l.startsWith("poll ")).findFirst().orElseThrow()
                    .split("\\s{2,}"));
            assertThat(header).containsSubsequence("RUNS", "FAILS", "CANCELLED", "SKIPS");
            assertThat(row.get(header.indexOf("RUNS"))).isEqualTo("2");
            assertThat(row.get(header.indexOf("FAILS"))).isEqualTo("0");
            assertThat(row.get(header.indexOf("CANCELLED"))).isEqualTo("1");
        }
    }

    @Test
    void gatewayctlCronListShowsNoTimeZoneForAnIntervalWithoutOne() {
        try (TestGateway gw = TestGateway.start(base() + """
                cron:
                  - name: tick
                    every: 1h
                    push: {message: hi}
                  - name: berlin-tick
                    every: 1h
                    timezone: Europe/Berlin
                    push: {message: hi}
                """)) {
            String url = "http://127.0.0.1:" + gw.gateway().controlPort();
            assertThat(cli("cron", "run", "tick", "--wait", "--control-url", url).exit).isZero();
            Cli list = cli("cron", "list", "--control-url", url);
            assertThat(list.exit).isZero();
            String row = list.out.lines().filter(l -> l.startsWith("tick ")).findFirst().orElseThrow();
            assertThat(row.split("\\s+")[3]).as("TIMEZONE of " + row).isEqualTo("-");
            assertThat(row.split("\\s+")[5]).as("LAST RUN, in the offset NEXT RUN has")
                    .endsWith(row.split("\\s+")[4].substring(19));
            String berlin = list.out.lines().filter(l -> l.startsWith("berlin-tick ")).findFirst().orElseThrow();
            assertThat(berlin.split("\\s+")[3]).isEqualTo("Europe/Berlin");
            assertThat(cli("cron", "list", "--json", "--control-url", url).out).contains("\"timezone\" : null");
        }
    }

    record Cli(int exit, String out, String err) {
    }

    private static Cli cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = GatewayCtl.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Cli(exit, out.toString(), err.toString());
    }

    @Test
    void reloadAddsRemovesAndChangesJobs() {
        String before = base() + """
                cron:
                  - name: a
                    schedule: "@daily"
                    push: {message: a}
                  - name: b
                    schedule: "@daily"
                    push: {message: b}
                """;
        String after = base() + """
                cron:
                  - name: b
                    schedule: "@hourly"
                    push: {message: b}
                  - name: c
                    every: 1s
                    run-on: each
                    push: {message: from c}
                """;
        try (TestGateway gw = TestGateway.start(before); WsClient client = gw.client()) {
            assertThat(gw.call("cron/list", Map.of()).findValuesAsText("name")).containsExactly("a", "b");
            gw.gateway().reload(TestGateway.config(after));
            JsonNode list = gw.call("cron/list", Map.of());
            assertThat(list.findValuesAsText("name")).containsExactly("b", "c");
            assertThat(list.get(0).get("schedule").asText()).isEqualTo("@hourly");
            assertThat(client.next()).isEqualTo("from c");
        }
    }

    @Test
    void gracefulStopWaitsForARunningJob() {
        TestGateway gw = TestGateway.start(base() + """
                cron:
                  - name: slow
                    schedule: "@yearly"
                    exec:
                      command: ["sh", "-c", "sleep 0.3; echo finished"]
                """);
        try {
            JsonNode started = gw.call("cron/run", Map.of("name", "slow"));
            assertThat(started.get("started").asBoolean()).isTrue();
        } finally {
            gw.gateway().stop(Duration.ofSeconds(60));
        }
        List<JobResult> history = gw.gateway().cron().history("slow");
        assertThat(history).hasSize(1);
        assertThat(history.get(0).status()).isEqualTo(JobResult.Status.OK);
        assertThat(history.get(0).output()).isEqualTo("finished\n");
    }

    @Test
    void theCommentedExampleInTheShippedConfigIsValid() throws Exception {
        String shipped = java.nio.file.Files.readString(Path.of("conf", "gatewayd.yaml"));
        // the commented block that starts at "# cron:" and ends at the first line that is not a comment
        String example = shipped.substring(shipped.indexOf("\n# cron:") + 1).lines()
                .takeWhile(l -> l.startsWith("#"))
                .map(l -> l.replaceFirst("^# ?", ""))
                .collect(java.util.stream.Collectors.joining("\n"));
        GatewayConfig config = new ConfigLoader(Map.of()).parse(example, "conf/gatewayd.yaml (cron example)");
        assertThat(config.cron().jobs()).extracting(j -> j.name()).containsExactly("poll-news", "ping", "cleanup");
        assertThat(new ConfigLoader(Map.of()).parse(shipped, "conf/gatewayd.yaml").cron().jobs()).isEmpty();
    }

    @Test
    void aBadScheduleIsAConfigErrorNamingFileLineJobAndField() {
        String yaml = """
                cron:
                  - name: report
                    schedule: "0 0 25 * * *"
                    push: {message: x}
                """;
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).parse(yaml, "gatewayd.yaml"))
                .isInstanceOf(ConfigException.class)
                // the line is where the job's mapping ends (the loader reports record errors there)
                .hasMessageMatching("gatewayd\\.yaml:\\d+: cron\\[0]\\.schedule is invalid: job \"report\": "
                        + "field 3 \\(hour\\) value 25 out of range 0-23");
        GatewayConfig ok = new ConfigLoader(Map.of()).parse("cron:\n  workers: 2\n  jobs: []\n", "x.yaml");
        assertThat(ok.cron().workers()).isEqualTo(2);
    }
}
