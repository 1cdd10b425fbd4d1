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
        assumeTrue(Files.isExecutable(JSVC), "jsvc is not installed (apt-get install jsvc): skipping the jsvc test");
        boolean root = "root".equals(System.getProperty("user.name"));
        inst = new TempInstallation(dir);
        int port = root ? freePrivilegedPort() : 0;
        if (root) {
            // "nobody" must reach the installation
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        inst.writeConfig(TempInstallation.CONFIG.replace("websocket://127.0.0.1:0", "websocket://127.0.0.1:" + port));
        String script = inst.project().resolve("packaging/jsvc/gatewayd").toString();
        Map<String, String> env = Map.of("GATEWAYD_USER", root ? "nobody" : "", "GATEWAYD_DEFAULTS", "/dev/null");

        Result start = inst.exec(List.of("sh", script, "start"), env);
        assertThat(start.exit()).as(start + "\n--- gatewayd.out\n" + inst.read("logs/gatewayd.out")).isZero();
        long pid = Long.parseLong(Files.readString(inst.pidFile()).trim());
        inst.track(pid);
        Result status = inst.run("status");
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(status.out()).contains("JSVC mode", "pid " + pid);
        if (root) {
            assertThat(ProcessHandle.of(pid).orElseThrow().info().user()).hasValue("nobody");
        }
        String listener = WsClient.json(inst.read("run/gatewayd.pid.json")).path("listeners").get(0).asText();
        try (WsClient client = WsClient.connectAndInit(URI.create(listener.replace("websocket://", "ws://") + "/"))) {
            Result stop = inst.exec(List.of("sh", script, "stop"), env);
            assertThat(stop.exit()).as(stop.toString()).isZero();
            assertThat(client.awaitClose(LONG)).isEqualTo(1001);
        }
        Await.until("the jsvc JVM has exited", LONG, () -> !TempInstallation.alive(pid));
        assertThat(inst.pidFile()).doesNotExist();
        assertThat(inst.home().resolve("run/jsvc.pid")).doesNotExist();
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
