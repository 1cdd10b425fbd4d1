package io.gatewayd.cron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.Commands;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gateway process stopped with SIGSTOP (a debugger, a suspended container or machine) while an
 * exec job's command runs: the command goes on and exits, and nobody collects its exit until the
 * gateway is continued. By then its timeout is overdue too, and the two race.
 */
class ExecAcrossAStopIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    /** Long enough for the test to stop the gateway before it on a loaded machine. */
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private Process gateway;

    @AfterEach
    void cleanUp() throws Exception {
        Files.writeString(dir.resolve("go"), ""); // a command still waiting ends
        if (gateway != null) {
            if (gateway.isAlive()) { // left stopped by a failed step
                new ProcessBuilder("kill", "-CONT", Long.toString(gateway.pid())).inheritIO().start().waitFor();
            }
            Commands.endAll(List.of(gateway));
        }
    }

    @Test
    void aCommandThatExitsByItselfWhileTheGatewayIsStoppedIsRecordedAsItEndedNotAsKilled() throws Exception {
        Path yaml = dir.resolve("gw.yaml");
        Files.writeString(yaml, """
                listeners:
                  - url: websocket://127.0.0.1:0
                control:
                  listen: http://127.0.0.1:0
                paths:
                  run-dir: %s
                cron:
                  - name: quick
                    schedule: "@yearly"
                    exec:
                      command: ["sh", "-c", "echo $$ > pid.tmp && mv pid.tmp pid; until [ -e go ]; do sleep 0.05; done; echo done"]
                      dir: %s
                      timeout: %dms
                """.formatted(dir.resolve("run"), dir, TIMEOUT.toMillis()));
        Path log = dir.resolve("gw.log");
        gateway = CronProcessMain.spawn(yaml, log);
        int port = Await.value("the gateway is ready", Duration.ofSeconds(120), () -> CronProcessMain.readyPort(log));

        assertThat(call(port, "cron/run").path("started").asBoolean()).isTrue();
        Path pidFile = dir.resolve("pid");
        Await.until("the command runs", () -> Files.exists(pidFile));
        long started = System.nanoTime(); // the timeout counts from before this
        long command = Long.parseLong(Files.readString(pidFile).trim());
        signal("STOP", gateway.pid());
        Await.until("the gateway is stopped", () -> state(gateway.pid()) == 'T');
        // alive: sleeping, running, or in a disk wait (D: seen on a loaded CI box); killed, it would
        // be a zombie (Z) the stopped gateway cannot collect
        assertThat(state(command)).as("the command still waits (not killed by its timeout before the stop)")
                .isIn('S', 'R', 'D');
        Files.writeString(dir.resolve("go"), "");
        Await.until("the command has exited (a zombie: the stopped gateway cannot collect it)",
                () -> state(command) == 'Z');
        Await.until("the command's timeout is overdue", Duration.ofSeconds(30),
                () -> System.nanoTime() - started > TIMEOUT.toNanos() + TimeUnit.MILLISECONDS.toNanos(200));
        signal("CONT", gateway.pid());

        JsonNode run = Await.value("the run is recorded", Duration.ofSeconds(30), () -> {
            JsonNode history = call(port, "cron/history");
            return history.isEmpty() ? null : history.get(0);
        });
        assertThat(run.get("status").asText()).as(run.toString()).isEqualTo("ok");
        assertThat(run.get("code").asInt()).isZero();
        assertThat(run.get("output").asText()).isEqualTo("done\n");
    }

    private static JsonNode call(int port, String method) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/api/" + method)).timeout(Duration.ofSeconds(20))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"quick\"}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body()).get("result");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The process' state letter in /proc (R, S, Z...), or '?' when it is gone. */
    private static char state(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch (IOException e) {
            return '?';
        }
    }

    private static void signal(String name, long pid) throws Exception {
        assertThat(new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start()
                .waitFor()).as("kill -" + name + " " + pid).isZero();
    }
}
