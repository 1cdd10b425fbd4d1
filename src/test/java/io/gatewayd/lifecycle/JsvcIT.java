package io.gatewayd.lifecycle;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Result;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * packaging/jsvc/gatewayd start and stop under the real jsvc. As root it runs the gateway as
 * "nobody" on a port below 1024, which works only if the port is bound in init().
 */
class JsvcIT {
    private static final Path JSVC = Path.of("/usr/bin/jsvc");
    private static final Duration LONG = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    TempInstallation inst;

    @AfterEach
    void killLeftovers() {
        if (inst != null) {
            inst.close();
        }
    }

    @Test
    void startAndStopUnderJsvc() throws Exception {
        Path home = dir.resolve("inst");
        startAndStop(home, "/dev/null", home.resolve("run"), () -> {
            assertThat(home.resolve("run/jsvc.pid")).exists();
            assertThat(home.resolve("logs/gatewayd.out")).exists();
        });
        assertThat(home.resolve("run/jsvc.pid")).doesNotExist();
    }

    /** GATEWAYD_RUN_DIR and GATEWAYD_LOG_DIR in /etc/default/gatewayd move every file the script and the gateway write. */
    @Test
    void runAndLogDirectoriesFromTheDefaultsFile() throws Exception {
        Path home = dir.resolve("inst");
        Path runDir = dir.resolve("var-run/gatewayd");
        Path logDir = dir.resolve("var-log/gatewayd");
        Path defaults = dir.resolve("default-gatewayd");
        Files.writeString(defaults, "GATEWAYD_RUN_DIR=" + runDir + "\nGATEWAYD_LOG_DIR=" + logDir + "\n");
        startAndStop(home, defaults.toString(), runDir, () -> {
            assertThat(runDir.resolve("jsvc.pid")).as("jsvc's pid file is in GATEWAYD_RUN_DIR").exists();
            assertThat(logDir.resolve("gatewayd.out")).exists();
            assertThat(logDir.resolve("gatewayd.log")).as("the gateway logs to GATEWAYD_LOG_DIR").exists();
        });
        assertThat(runDir.resolve("jsvc.pid")).doesNotExist();
        assertThat(home.resolve("run")).as("nothing in the default run/").doesNotExist();
        assertThat(home.resolve("logs")).as("nothing in the default logs/").doesNotExist();
    }

    interface Check {
        void run() throws Exception;
    }

    /**
     * Starts the gateway with the init script and GATEWAYD_DEFAULTS={@code defaults}, checks it
     * runs (as "nobody" on a port below 1024 when root) with its pid file in {@code runDir} and
     * {@code whileRunning}, stops it with the script.
     */
    private void startAndStop(Path home, String defaults, Path runDir, Check whileRunning) throws Exception {
        assumeTrue(Files.isExecutable(JSVC), "jsvc is not installed (apt-get install jsvc): skipping the jsvc test");
        boolean root = "root".equals(System.getProperty("user.name"));
        inst = new TempInstallation(home);
        int port = root ? freePrivilegedPort() : 0;
        if (root) {
            // "nobody" must reach the installation
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(home, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        inst.writeConfig(TempInstallation.CONFIG.replace("websocket://127.0.0.1:0", "websocket://127.0.0.1:" + port));
        String script = inst.project().resolve("packaging/jsvc/gatewayd").toString();
        Map<String, String> env = Map.of("GATEWAYD_USER", root ? "nobody" : "", "GATEWAYD_DEFAULTS", defaults);

        Result start = inst.exec(List.of("sh", script, "start"), env);
        assertThat(start.exit()).as(start.toString()).isZero();
        Path pidFile = runDir.resolve("gatewayd.pid");
        assertThat(pidFile).as("the gateway's pid file").exists();
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        inst.track(pid);
        // gatewayctl, told where the run directory is (README: set GATEWAYD_RUN_DIR for every command)
        Result status = inst.exec(List.of(home.resolve("bin/gatewayctl").toString(), "status"),
                Map.of("GATEWAYD_RUN_DIR", runDir.toString()));
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(status.out()).contains("JSVC mode", "pid " + pid);
        Result scriptStatus = inst.exec(List.of("sh", script, "status"), env);
        assertThat(scriptStatus.exit()).as("the script's status finds the gateway: " + scriptStatus).isZero();
        if (root) {
            assertThat(ProcessHandle.of(pid).orElseThrow().info().user()).hasValue("nobody");
        }
        whileRunning.run();
        String listener = WsClient.json(Files.readString(runDir.resolve("gatewayd.pid.json")))
                .path("listeners").get(0).asText();
        try (WsClient client = WsClient.connectAndInit(URI.create(listener.replace("websocket://", "ws://") + "/"))) {
            Result stop = inst.exec(List.of("sh", script, "stop"), env);
            assertThat(stop.exit()).as(stop.toString()).isZero();
            assertThat(client.awaitClose(LONG)).isEqualTo(1001);
        }
        Await.until("the jsvc JVM has exited", LONG, () -> !TempInstallation.alive(pid));
        assertThat(pidFile).doesNotExist();
    }

    private static int freePrivilegedPort() throws IOException {
        for (int p = 900; p < 1024; p++) {
            try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException busy) {
                // next
            }
        }
        throw new IOException("no free port between 900 and 1023");
    }
}
