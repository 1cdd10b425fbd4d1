package io.gatewayd.cli;

import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** `gatewayctl status` tells how many pushes were not delivered as repeats of a msg_id, once there are any. */
class StatusMsgIdTest {
    @TempDir
    Path dir;

    @Test
    void theApiRowCountsTheRepeatsOnceThereAreAny() throws Exception {
        try (TestGateway gw = TestGateway.start(); WsClient c = gw.client()) {
            Path cli = dir.resolve("cli.yaml");
            Files.writeString(cli, "control:\n  listen: http://127.0.0.1:" + gw.gateway().controlPort()
                    + "\npaths:\n  run-dir: " + dir.resolve("run") + "\n");
            StartCommandTest.Run before = StartCommandTest.run("status", "--config", cli.toString());
            assertThat(before.exit()).as(before.toString()).isZero();
            assertThat(before.out()).contains("rejected (overloaded)\n").doesNotContain("msg_id");

            for (int i = 0; i < 3; i++) {
                gw.call("sendToClient", Map.of("client_id", c.clientId(), "message", "once", "msg_id", "s1"));
            }
            StartCommandTest.Run after = StartCommandTest.run("status", "--config", cli.toString());
            assertThat(after.exit()).as(after.toString()).isZero();
            assertThat(after.out()).contains("0 rejected (overloaded), 2 repeated msg_id not delivered\n");
        }
    }
}
