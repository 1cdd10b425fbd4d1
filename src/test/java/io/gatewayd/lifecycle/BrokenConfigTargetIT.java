package io.gatewayd.lifecycle;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.InstallationTest;
import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Ready;
import io.gatewayd.testing.TempInstallation.Result;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the real bin/gatewayctl finds a running gateway that is not where the defaults say: a
 * config being edited (it does not load) with paths.run-dir or GATEWAYD_RUN_DIR elsewhere, and
 * `stop` and `restart` with no pid file at hand, through --control-url or control.listen.
 */
class BrokenConfigTargetIT extends InstallationTest {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final String BAD = "ping-interval: abc";

    @Test
    void aConfigThatDoesNotLoadStillFindsTheGatewayThroughItsPathsSection() throws Exception {
        Path runDir = dir.resolve("elsewhere-run");
        String config = TempInstallation.CONFIG + "paths:\n  run-dir: " + runDir + "\n";
        inst.writeConfig(config);
        Ready ready = inst.startDaemon();
        assertThat(runDir.resolve("gatewayd.pid")).exists();

        inst.writeConfig(config.replace("ping-interval: 55", BAD));
        Result reload = inst.run("reload");
        assertThat(reload.exit()).as(reload.toString()).isEqualTo(2);
        assertThat(reload.err()).contains("gatewayd.yaml:").contains("heartbeat.ping-interval")
                .contains("running config stays").doesNotContain("not running");

        Result status = inst.run("status");
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(status.out()).contains("pid " + ready.pid());
        assertThat(status.err()).contains("warning").contains("heartbeat.ping-interval")
                .contains(runDir.resolve("gatewayd.pid").toString());

        Result send = inst.run("send", "--all", "hi");
        assertThat(send.exit()).as(send.toString()).isZero();
        assertThat(send.out()).contains("delivered to 0 connections");

        Result stop = inst.run("stop");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(stop.out()).contains("stopped (pid " + ready.pid() + ")");
        assertThat(TempInstallation.alive(ready.pid())).isFalse();
    }

    @Test
    void aConfigThatDoesNotLoadStillHonoursGatewaydRunDir() throws Exception {
        Path runDir = dir.resolve("env-run");
        inst.env("GATEWAYD_RUN_DIR", runDir.toString()); // as the .deb's /usr/bin/gatewayctl does
        Ready ready = inst.startDaemon();
        assertThat(runDir.resolve("gatewayd.pid")).exists();

        inst.writeConfig(TempInstallation.CONFIG.replace("ping-interval: 55", BAD));
        Result reload = inst.run("reload");
        assertThat(reload.exit()).as(reload.toString()).isEqualTo(2);
        assertThat(reload.err()).contains("heartbeat.ping-interval").contains("running config stays");

        Result stop = inst.run("stop");
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(stop.out()).contains("stopped (pid " + ready.pid() + ")");
    }

    @Test
    void restartRefusesABrokenConfigBeforeStoppingAnything() throws Exception {
        Ready ready = inst.startDaemon();
        inst.writeConfig(TempInstallation.CONFIG.replace("ping-interval: 55", BAD));
        Result restart = inst.run("restart", "-d");
        assertThat(restart.exit()).as(restart.toString()).isEqualTo(2);
        assertThat(restart.err()).contains("heartbeat.ping-interval");
        assertThat(restart.out()).doesNotContain("stopped");
        assertThat(TempInstallation.alive(ready.pid())).as("the running gateway stays up").isTrue();
        assertThat(inst.run("status").exit()).isZero();
    }

    @Test
    void stopHonoursControlUrlWhenThePidFileIsNotAtHand() throws Exception {
        Ready ready = inst.startDaemon();
        // a config whose pid file is elsewhere: only --control-url leads to the gateway
        Path other = dir.resolve("other.yaml");
        Files.writeString(other, TempInstallation.CONFIG + "paths:\n  run-dir: " + dir.resolve("nothing-here") + "\n");

        Result stop = inst.run("stop", "--config", other.toString(), "--control-url", ready.control().toString());
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(stop.out()).contains("stopped (pid " + ready.pid() + ")");
        // it returned once the process had gone, not merely once it was asked
        assertThat(TempInstallation.alive(ready.pid())).isFalse();
        Await.until("the pid file is removed", LONG, () -> !Files.exists(inst.pidFile()));

        Result again = inst.run("stop", "--config", other.toString(), "--control-url", ready.control().toString());
        assertThat(again.exit()).as(again.toString()).isEqualTo(3);
        assertThat(again.err()).contains("not running").contains(ready.control().getAuthority());
    }

    @Test
    void restartHonoursControlUrlWhenThePidFileIsNotAtHand() throws Exception {
        Ready first = inst.startDaemon();
        Path other = dir.resolve("other.yaml");
        Files.writeString(other, TempInstallation.CONFIG + "paths:\n  run-dir: " + dir.resolve("other-run") + "\n");

        Result restart = inst.run("restart", "-d", "--config", other.toString(), "--control-url",
                first.control().toString());
        assertThat(restart.exit()).as(restart.toString()).isZero();
        assertThat(restart.out()).contains("stopped (pid " + first.pid() + ")", "started in DAEMON mode")
                .doesNotContain("not running");
        assertThat(TempInstallation.alive(first.pid())).isFalse();
        assertThat(dir.resolve("other-run/gatewayd.pid")).exists();
        assertThat(inst.run("stop", "--config", other.toString()).exit()).isZero();
    }

    @Test
    void stopAndRestartFindTheGatewayThroughControlListenAsStatusDoes() throws Exception {
        Ready first = inst.startDaemon();
        // no pid file where this config looks, but its control.listen is the gateway's port
        Path other = dir.resolve("other.yaml");
        Files.writeString(other, TempInstallation.CONFIG.replace("http://127.0.0.1:0", first.control().toString())
                + "paths:\n  run-dir: " + dir.resolve("other-run") + "\n");
        assertThat(inst.run("status", "--config", other.toString()).exit()).isZero();

        Result restart = inst.run("restart", "-d", "--config", other.toString());
        assertThat(restart.exit()).as(restart.toString()).isZero();
        assertThat(restart.out()).contains("stopped (pid " + first.pid() + ")", "started in DAEMON mode");
        assertThat(TempInstallation.alive(first.pid())).isFalse();

        // the new one has its pid file where the config says: move it away, and stop still finds it
        long second = Long.parseLong(Files.readString(dir.resolve("other-run/gatewayd.pid")).trim());
        Path elsewhere = dir.resolve("third.yaml");
        Files.writeString(elsewhere, Files.readString(other).replace("other-run", "third-run"));
        Result stop = inst.run("stop", "--config", elsewhere.toString());
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(stop.out()).contains("stopped (pid " + second + ")");
        assertThat(TempInstallation.alive(second)).isFalse();
    }
}
