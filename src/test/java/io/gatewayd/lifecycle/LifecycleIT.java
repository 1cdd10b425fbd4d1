package io.gatewayd.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.InstallationTest;
import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Ready;
import io.gatewayd.testing.TempInstallation.Result;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Drives the real bin/gatewayctl against an installation in a temp directory: daemon start and
 * readiness, push from the shell, connections, reload (good and broken), stop, stop -g, a second
 * start, recovery after kill -9, a busy port.
 */
class LifecycleIT extends InstallationTest {
    private static final Duration LONG = Duration.ofSeconds(60);

    @Test
    void daemonStartSendConnectionsReloadAndStop() throws Exception {
        assertThat(inst.run("status").exit()).as("status before start").isEqualTo(3);

        Ready ready = inst.startDaemon();
        // start -d returned: the gateway must be ready now, not a moment later
        Result status = inst.run("status");
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(status.out()).contains("DAEMON mode", "pid " + ready.pid(), "running");
        assertThat(Files.readString(inst.pidFile()).trim()).isEqualTo(Long.toString(ready.pid()));

        try (WsClient client = WsClient.connect(ready.ws())) {
            JsonNode init = client.init();
            assertThat(init.path("v").asInt()).isEqualTo(1);
            Result bind = inst.run("call", "bindUid", "client_id=" + client.clientId(), "uid=alice");
            assertThat(bind.exit()).as(bind.toString()).isZero();
            assertThat(bind.out().trim()).isEqualTo("true");

            Result send = inst.run("send", "--uid", "alice", "hello from the shell");
            assertThat(send.exit()).as(send.toString()).isZero();
            assertThat(send.out()).contains("delivered to 1 connection");
            assertThat(client.next(LONG)).isEqualTo("hello from the shell");

            Result conns = inst.run("connections");
            assertThat(conns.exit()).as(conns.toString()).isZero();
            assertThat(conns.out()).contains(client.clientId()).contains("alice").contains("1 connection");
            Result connsJson = inst.run("connections", "--uid", "alice", "--json");
            JsonNode row = WsClient.json(connsJson.out()).path("connections").get(0);
            assertThat(row.path("client_id").asText()).isEqualTo(client.clientId());
            assertThat(row.path("uid").asText()).isEqualTo("alice");
            assertThat(row.path("protocol").asText()).isEqualTo("websocket");

            Result second = inst.run("start", "-d");
            assertThat(second.exit()).as(second.toString()).isEqualTo(1);
            assertThat(second.err()).contains("already running (pid " + ready.pid() + ")");

            // reload: a 1 s heartbeat with ping data, and a new welcome template
            inst.writeConfig(TempInstallation.CONFIG
                    .replace("\"v\":1", "\"v\":2")
                    .replace("ping-interval: 55", "ping-interval: 1\n  ping-data: '{\"type\":\"ping\"}'"));
            Result reload = inst.run("reload");
            assertThat(reload.exit()).as(reload.toString()).isZero();
            assertThat(reload.out()).contains("reloaded");
            assertThat(client.next(LONG)).as("heartbeat ping after reload").isEqualTo("{\"type\":\"ping\"}");
            try (WsClient late = WsClient.connect(ready.ws())) {
                assertThat(late.init().path("v").asInt()).as("welcome after reload").isEqualTo(2);
            }

            // a broken config is refused, naming the key; the running config stays
            inst.writeConfig(TempInstallation.CONFIG.replace("ping-interval: 55", "ping-interval: -3"));
            Result broken = inst.run("reload");
            assertThat(broken.exit()).as(broken.toString()).isEqualTo(2);
            assertThat(broken.err()).contains("heartbeat.ping-interval").contains("running config stays");
            try (WsClient late = WsClient.connect(ready.ws())) {
                assertThat(late.init().path("v").asInt()).as("welcome after refused reload").isEqualTo(2);
            }
            Result stillSends = inst.run("send", "--client", client.clientId(), "still here");
            assertThat(stillSends.out()).as(stillSends.toString()).contains("delivered to 1 connection");
            Await.until("the old client gets the push after the refused reload", LONG,
                    () -> "still here".equals(pollSkippingPings(client)));
            assertThat(client.isClosed()).isFalse();

            Result stop = inst.run("stop");
            assertThat(stop.exit()).as(stop.toString()).isZero();
            assertThat(stop.out()).contains("stopped (pid " + ready.pid() + ")");
            assertThat(client.awaitClose(LONG)).isEqualTo(1001);
        }
        assertThat(TempInstallation.alive(ready.pid())).isFalse();
        assertThat(inst.pidFile()).doesNotExist();
        assertThat(inst.run("status").exit()).as("status after stop").isEqualTo(3);
    }

    /** Next message that is not a heartbeat ping, or null if none is queued. */
    private static String pollSkippingPings(WsClient c) {
        String m;
        while ((m = c.poll()) != null) {
            if (!m.equals("{\"type\":\"ping\"}")) {
                return m;
            }
        }
        return null;
    }

    @Test
    void gracefulStopKeepsDeliveringUntilTheLastClientLeaves() throws Exception {
        Ready ready = inst.startDaemon();
        WsClient client = WsClient.connectAndInit(ready.ws());
        TempInstallation.post(ready.control(), "bindUid", Map.of("client_id", client.clientId(), "uid", "bob"));
        Path out = dir.resolve("stop-g.txt");
        Process stop = inst.spawn(out, "stop", "-g");
        Await.until("the gateway is draining", LONG,
                () -> "draining".equals(TempInstallation.get(ready.control(), "/api/status").path("state").asText()));

        assertThatThrownBy(() -> WsClient.connect(ready.ws())).as("new clients are refused while draining");
        JsonNode pushed = TempInstallation.post(ready.control(), "sendToUid",
                Map.of("uid", "bob", "message", "still delivered"));
        assertThat(pushed.path("delivered").asInt()).isEqualTo(1);
        assertThat(client.next(LONG)).isEqualTo("still delivered");
        Result status = inst.run("status");
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(status.out()).contains("draining, 1 connection left");
        assertThat(stop.isAlive()).as("stop -g waits for the client: " + Files.readString(out)).isTrue();

        client.close();
        assertThat(stop.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)).as("stop -g returns once the client left").isTrue();
        assertThat(stop.exitValue()).as(Files.readString(out)).isZero();
        assertThat(Files.readString(out)).contains("draining gatewayd", "stopped (pid " + ready.pid() + ")");
        assertThat(TempInstallation.alive(ready.pid())).isFalse();
        assertThat(inst.pidFile()).doesNotExist();
    }

    @Test
    void afterKill9TheStalePidFileIsReportedAndTheNextStartSucceeds() throws Exception {
        Ready first = inst.startDaemon();
        ProcessHandle.of(first.pid()).orElseThrow().destroyForcibly();
        Await.until("the killed gateway is gone", LONG, () -> !TempInstallation.alive(first.pid()));
        assertThat(inst.pidFile()).exists();

        Result dead = inst.run("status");
        assertThat(dead.exit()).as("LSB: dead but pid file exists " + dead).isEqualTo(1);

        Ready second = inst.startDaemon();
        assertThat(second.pid()).isNotEqualTo(first.pid());
        assertThat(inst.run("status").exit()).isZero();
        try (WsClient c = WsClient.connectAndInit(second.ws())) {
            assertThat(c.clientId()).hasSize(20);
        }
        assertThat(inst.run("stop").exit()).isZero();
        assertThat(inst.pidFile()).doesNotExist();
    }

    @Test
    void aBusyPortFailsTheStartNamingThePortAndItsHolder() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            int port = busy.getLocalPort();
            Result r = inst.run("start", "-d", "--ws-port", Integer.toString(port));
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).contains("port " + port + " is already in use")
                    .contains("held by pid " + ProcessHandle.current().pid());
            assertThat(r.err()).doesNotContain("Exception");
        }
        assertThat(inst.pidFile()).doesNotExist();
        assertThat(inst.run("status").exit()).isEqualTo(3);
    }

    @Test
    void foregroundStartStopsCleanlyOnSigterm() throws Exception {
        Path out = dir.resolve("foreground.txt");
        Process fg = inst.spawn(out, "start");
        inst.track(fg.pid());
        Await.until("the foreground gateway published its pid file", LONG, () -> Files.exists(inst.pidFile()));
        Result status = inst.run("status", "--json");
        assertThat(status.exit()).as(status.toString()).isZero();
        JsonNode st = WsClient.json(status.out());
        assertThat(st.path("mode").asText()).isEqualTo("debug");
        // bin/gatewayctl execs java: the process we started is the gateway
        assertThat(st.path("pid").asLong()).isEqualTo(fg.pid());
        String ws = st.path("listeners").get(0).path("url").asText().replace("websocket://", "ws://") + "/";
        try (WsClient client = WsClient.connectAndInit(java.net.URI.create(ws))) {
            Result piped = inst.runWithInput("from stdin\n", "send", "--all", "-");
            assertThat(piped.out()).as(piped.toString()).contains("delivered to 1 connection");
            assertThat(client.next(LONG)).isEqualTo("from stdin");

            fg.destroy(); // SIGTERM
            assertThat(fg.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(fg.exitValue()).as(Files.readString(out)).isZero();
            assertThat(client.awaitClose(LONG)).isEqualTo(1001);
        }
        assertThat(Files.readString(out)).contains("started in DEBUG mode", "SIGTERM received", "gatewayd stopped");
        assertThat(inst.pidFile()).doesNotExist();
    }

    @Test
    void restartReplacesTheDaemon() {
        Ready first = inst.startDaemon();
        Result r = inst.run("restart", "-d");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).contains("stopped (pid " + first.pid() + ")", "started in DAEMON mode");
        long second = Long.parseLong(inst.read("run/gatewayd.pid").trim());
        inst.track(second);
        assertThat(second).isNotEqualTo(first.pid());
        assertThat(TempInstallation.alive(first.pid())).isFalse();
        assertThat(inst.run("status").exit()).isZero();
        assertThat(inst.run("stop").exit()).isZero();
    }

    @Test
    void statusWatchJsonIsJsonToTheLastLine() throws Exception {
        Ready ready = inst.startDaemon();
        Path out = dir.resolve("watch.out");
        Process watch = inst.spawn(out, "status", "--watch", "--json");
        awaitLine(out, "a first status line", l -> l.contains("\"pid\""), 0);
        assertThat(inst.run("stop").exit()).isZero();
        assertThat(watch.waitFor(60, TimeUnit.SECONDS)).as("watch ends when the gateway is gone").isTrue();
        assertThat(watch.exitValue()).isEqualTo(3);
        var lines = Files.readAllLines(out).stream().filter(l -> !l.isBlank()).toList();
        for (String line : lines) {
            assertThat(WsClient.json(line).isObject()).as("every line is a JSON object: " + line).isTrue();
        }
        JsonNode last = WsClient.json(lines.get(lines.size() - 1));
        assertThat(last.path("running").asBoolean(true)).isFalse();
        assertThat(last.path("state").asText()).isEqualTo("stopped");
        assertThat(TempInstallation.alive(ready.pid())).isFalse();
    }

    /**
     * A stopping gateway closes its control port a moment before its process ends, and a wedged one
     * never answers: neither ends a watch, which goes on, saying so, until the process is gone.
     */
    @Test
    void statusWatchGoesOnWhileTheProcessRunsButDoesNotAnswer() throws Exception {
        Ready ready = inst.startDaemon();
        Path out = dir.resolve("watch.out");
        Process watch = inst.spawn(out, "status", "--watch", "--json", "--timeout", "1");
        awaitLine(out, "a first status line", l -> l.contains("\"pid\"") && l.contains("\"running\":true"), 0);
        String pid = Long.toString(ready.pid());
        assertThat(new ProcessBuilder("kill", "-STOP", pid).start().waitFor()).isZero();
        int unknown;
        try {
            unknown = awaitLine(out, "a line saying the control port does not answer",
                    l -> l.contains("\"state\":\"unknown\"") && l.contains("does not answer"), 0);
        } finally {
            new ProcessBuilder("kill", "-CONT", pid).start().waitFor();
        }
        awaitLine(out, "status lines again once the gateway answers", l -> l.contains("\"running\":true"), unknown + 1);
        assertThat(inst.run("stop").exit()).isZero();
        assertThat(watch.waitFor(60, TimeUnit.SECONDS)).as("watch ends when the gateway is gone").isTrue();
        assertThat(watch.exitValue()).as(Files.readString(out)).isEqualTo(3);
        List<String> lines = Files.readAllLines(out);
        assertThat(lines.get(lines.size() - 1)).contains("\"state\":\"stopped\"");
    }

    /** Waits for a line of {@code out}, from line {@code from} on, that passes {@code test}; its index. */
    private static int awaitLine(Path out, String what, java.util.function.Predicate<String> test, int from) {
        int[] found = {-1};
        Await.until(what, LONG, () -> {
            try {
                List<String> lines = Files.exists(out) ? Files.readAllLines(out) : List.of();
                for (int i = from; i < lines.size(); i++) {
                    if (test.test(lines.get(i))) {
                        found[0] = i;
                        return true;
                    }
                }
                return false;
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                return false;
            }
        });
        return found[0];
    }

    @Test
    void aHungGatewayIsReportedAsNotAnsweringAndStopForceEndsIt() throws Exception {
        Ready ready = inst.startDaemon();
        Process freeze = new ProcessBuilder("kill", "-STOP", Long.toString(ready.pid())).start();
        assertThat(freeze.waitFor()).isZero(); // the port still takes connections; nothing answers
        try {
            Result status = inst.run("status", "--timeout", "2");
            assertThat(status.exit()).as(status.toString()).isEqualTo(4);
            assertThat(status.err()).contains("does not answer");
            Result send = inst.run("send", "--all", "x", "--timeout", "2");
            assertThat(send.exit()).as("a failure, not \"not running\": " + send).isEqualTo(1);
            assertThat(send.err()).contains("did not answer within 2 s").contains("stop --force");
            Result stop = inst.run("stop", "--force", "--timeout", "1");
            assertThat(stop.exit()).as(stop.toString()).isZero();
            assertThat(stop.all()).contains("SIGTERM").contains("killing it (--force)");
            assertThat(TempInstallation.alive(ready.pid())).isFalse();
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(ready.pid())).start().waitFor();
        }
    }
}
