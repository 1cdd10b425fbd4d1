package io.gatewayd.lifecycle;

import io.gatewayd.testing.InstallationTest;
import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Ready;
import io.gatewayd.testing.TempInstallation.Result;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two gateways with pid files of their own but one log directory: the second daemon start is
 * refused, naming the directory, the gateway that holds it and the setting to change, and
 * writes nothing into the first one's logs.
 */
class SharedLogDirIT extends InstallationTest {
    @Test
    void aSecondDaemonWithTheSameLogDirectoryIsRefused() throws Exception {
        Ready first = inst.startDaemon();
        String out = inst.read("logs/gatewayd.out");
        String log = inst.read("logs/gatewayd.log");

        Files.writeString(inst.home().resolve("conf/b.yaml"), TempInstallation.CONFIG + "paths:\n  run-dir: run-b\n");
        Result second = inst.run("start", "-d", "--config", "conf/b.yaml");
        assertThat(second.exit()).as(second.toString()).isEqualTo(1);
        assertThat(second.err()).contains("log directory " + inst.home().resolve("logs"),
                "in use by another gatewayd (pid " + first.pid() + ", pid file " + inst.pidFile() + ")",
                "paths.log-dir");
        assertThat(second.err()).doesNotContain("Exception");
        assertThat(inst.read("logs/gatewayd.out")).as("nothing appended to the first one's output").isEqualTo(out);
        assertThat(inst.read("logs/gatewayd.log")).as("nothing written to the first one's log").isEqualTo(log);
        assertThat(inst.home().resolve("run-b/gatewayd.pid")).doesNotExist();

        // restarting the gateway that holds it is no conflict
        Result restart = inst.run("restart", "-d");
        assertThat(restart.exit()).as(restart.toString()).isZero();

        Files.writeString(inst.home().resolve("conf/b.yaml"), TempInstallation.CONFIG
                + "paths:\n  run-dir: run-b\n  log-dir: logs-b\n");
        Result own = inst.run("start", "-d", "--config", "conf/b.yaml");
        assertThat(own.exit()).as(own.toString()).isZero();
        assertThat(inst.run("stop", "--config", "conf/b.yaml").exit()).isZero();
        assertThat(inst.run("stop").exit()).isZero();
    }
}
