package io.gatewayd.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.InstallationTest;
import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Ready;
import io.gatewayd.testing.TempInstallation.Result;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * `--control-url` naming another gateway than the config's: the commands describe and act on
 * that gateway only. The config's pid file belongs to the other one; its pid must not be
 * reported, waited on or signalled.
 */
class ControlUrlOfAnotherGatewayIT extends InstallationTest {
    @Test
    void commandsWithTheUrlOfAnotherGatewayLeaveTheConfigsGatewayOutOfIt() throws Exception {
        TempInstallation.assumeSighupNotIgnored();
        Ready configs = inst.startDaemon();
        Files.writeString(inst.home().resolve("conf/other.yaml"), TempInstallation.CONFIG
                + "paths:\n  run-dir: run-other\n  log-dir: logs-other\n");
        Result started = inst.run("start", "-d", "--config", "conf/other.yaml");
        assertThat(started.exit()).as(started.toString()).isZero();
        Matcher m = Pattern.compile("pid (\\d+).*control on (\\S+?);").matcher(started.out());
        assertThat(m.find()).as(started.out()).isTrue();
        long otherPid = Long.parseLong(m.group(1));
        String otherUrl = m.group(2);

        Result status = inst.run("status", "--control-url", otherUrl);
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(status.out()).contains("pid " + otherPid, "run-other").doesNotContain("pid " + configs.pid());

        Result stop = inst.run("stop", "--control-url", otherUrl);
        assertThat(stop.exit()).as(stop.toString()).isZero();
        assertThat(stop.out()).contains("stopped (pid " + otherPid + ")").doesNotContain(Long.toString(configs.pid()));
        assertThat(TempInstallation.alive(otherPid)).isFalse();

        Result gone = inst.run("status", "--json", "--control-url", otherUrl);
        assertThat(gone.exit()).as(gone.toString()).isEqualTo(3);
        JsonNode json = WsClient.json(gone.out());
        assertThat(json.path("running").asBoolean()).isFalse();
        assertThat(json.path("pid").isNull()).as(gone.out()).isTrue();
        assertThat(json.path("message").asText()).contains("not running at " + otherUrl);

        // nothing answers there: no SIGHUP or SIGTERM to the config's gateway instead
        Result reload = inst.run("reload", "--control-url", otherUrl);
        assertThat(reload.exit()).as(reload.toString()).isEqualTo(3);
        assertThat(reload.all()).doesNotContain("SIGHUP");
        Result stopAgain = inst.run("stop", "--control-url", otherUrl);
        assertThat(stopAgain.exit()).as(stopAgain.toString()).isEqualTo(3);
        assertThat(stopAgain.all()).doesNotContain("SIGTERM");
        assertThat(inst.read("logs/gatewayd.log")).doesNotContain("SIGHUP", "SIGTERM");

        Result mine = inst.run("status");
        assertThat(mine.exit()).as("the config's gateway is untouched: " + mine).isZero();
        assertThat(mine.out()).contains("pid " + configs.pid());
        assertThat(inst.run("stop").exit()).isZero();
    }
}
