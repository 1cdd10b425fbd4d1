package io.gatewayd.lifecycle;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.InstallationTest;
import io.gatewayd.testing.TempInstallation.Ready;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A second `stop -g` while a drain is under way joins it: it says so, with the time left of the
 * running drain's timeout (the first one's --timeout, not its own), and waits as the first does.
 */
class DrainJoinIT extends InstallationTest {
    private static final Duration LONG = Duration.ofSeconds(60);

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aSecondStopGracefulSaysItJoinedTheDrainAndShowsItsTimeout() throws Exception {
        Ready ready = inst.startDaemon();
        WsClient client = WsClient.connectAndInit(ready.ws());
        Path first = dir.resolve("first.txt");
        Path second = dir.resolve("second.txt");
        Process stop1 = inst.spawn(first, "stop", "-g", "--timeout", "300");
        Await.until("the first stop -g started the drain", LONG, () -> read(first).contains("draining gatewayd"));
        assertThat(read(first)).contains("or after 300 s").doesNotContain("already under way");

        Process stop2 = inst.spawn(second, "stop", "-g", "--timeout", "1");
        Await.until("the second stop -g answered", LONG, () -> read(second).contains("draining gatewayd"));
        assertThat(read(second)).contains("already under way", "1 connection left")
                .containsPattern("or in (2\\d\\d|300) s \\(its timeout\\)")
                .contains("--timeout not applied").doesNotContain("Exception");
        assertThat(stop2.isAlive()).as("the second waits for the drain: " + read(second)).isTrue();

        client.close();
        for (Process p : new Process[] {stop1, stop2}) {
            assertThat(p.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)).as("stop -g returns once the client left")
                    .isTrue();
            assertThat(p.exitValue()).isZero();
        }
        assertThat(read(first)).contains("stopped (pid " + ready.pid() + ")");
        assertThat(read(second)).contains("stopped (pid " + ready.pid() + ")");
    }
}
