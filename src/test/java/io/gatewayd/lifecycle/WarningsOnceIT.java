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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the real bin/gatewayctl and the gateway's log say about a stale pid file and a refused
 * reload: each once. A doubled line reads as two events, and an operator goes looking for the
 * second one.
 */
class WarningsOnceIT extends InstallationTest {
    private static final Duration LONG = Duration.ofSeconds(60);

    @Test
    void aStalePidFileIsReportedOnceByAForegroundStartAndByRestart() throws Exception {
        long killed = killedDaemon();
        Path out = dir.resolve("foreground.txt");
        Process fg = inst.spawn(out, "start");
        inst.track(fg.pid());
        Await.until("the foreground gateway is ready", LONG, () -> read(out).contains("started in DEBUG mode"));
        assertThat(count(read(out), "stale pid file")).as(read(out)).isEqualTo(1);
        assertThat(read(out)).contains("pid " + killed);
        fg.destroy();
        Await.until("the foreground gateway stopped", LONG, () -> !fg.isAlive());

        killed = killedDaemon();
        Result restart = inst.run("restart", "-d");
        assertThat(restart.exit()).as(restart.toString()).isZero();
        assertThat(count(restart.all(), "pid file")).as(restart.toString()).isEqualTo(1);
        assertThat(restart.all()).contains("stale pid file", "pid " + killed);
        assertThat(inst.run("stop").exit()).isZero();
    }

    @Test
    void aRefusedSighupReloadIsLoggedOnce() throws Exception {
        TempInstallation.assumeSighupNotIgnored();
        Ready ready = inst.startDaemon();
        inst.writeConfig(TempInstallation.CONFIG.replace("ping-interval: 55", "ping-interval: abc"));
        Result kill = inst.exec(java.util.List.of("kill", "-HUP", Long.toString(ready.pid())), java.util.Map.of());
        assertThat(kill.exit()).as(kill.toString()).isZero();
        Await.until("the gateway logs the SIGHUP", LONG, () -> inst.read("logs/gatewayd.log").contains("SIGHUP received"));
        // reloads run one at a time: once this one is refused, the SIGHUP's has been logged
        Result reload = inst.run("reload");
        assertThat(reload.exit()).as(reload.toString()).isEqualTo(2);

        String log = inst.read("logs/gatewayd.log");
        assertThat(count(log, "heartbeat.ping-interval")).as(log).isEqualTo(2);
        assertThat(log).doesNotContain("ERROR");
        assertThat(inst.run("stop").exit()).isZero();
    }

    /** A daemon killed with SIGKILL, whose pid file stays behind; its pid. */
    private long killedDaemon() {
        Ready r = inst.startDaemon();
        ProcessHandle.of(r.pid()).orElseThrow().destroyForcibly();
        Await.until("the killed gateway is gone", LONG, () -> !TempInstallation.alive(r.pid()));
        assertThat(inst.pidFile()).exists();
        return r.pid();
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static int count(String text, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
