package io.gatewayd.lifecycle;

import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Result;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A machine without the native transports, as a seccomp profile or an old kernel leaves it
 * (simulated with Netty's -Dio.netty.transport.noNative=true, through the real bin/gatewayctl):
 * node.transport auto falls back to NIO and says why in the log and status; a config that names
 * io_uring refuses to start with the reason and the key, and no stack trace.
 */
class TransportFallbackIT {
    @TempDir
    Path dir;
    TempInstallation inst;

    @BeforeEach
    void install() throws Exception {
        inst = new TempInstallation(dir)
                .javaOpts(TempInstallation.TEST_JAVA_OPTS + " -Dio.netty.transport.noNative=true");
    }

    @AfterEach
    void killLeftovers() {
        inst.close();
    }

    @Test
    void autoFallsBackToNioAndSaysWhy() throws Exception {
        TempInstallation.Ready ready = inst.startDaemon();
        try (WsClient client = WsClient.connect(ready.ws())) {
            client.init();
            Result send = inst.run("send", "--client", client.clientId(), "over nio");
            assertThat(send.exit()).as(send.toString()).isZero();
            assertThat(client.next()).isEqualTo("over nio");
        }
        Result status = inst.run("status");
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(status.out()).containsPattern("transport +nio, \\d+ event loops?: ");
        assertThat(inst.read("logs/gatewayd.log"))
                .contains("(nio transport; io_uring unavailable: ")
                .contains("; epoll unavailable: ");
        assertThat(inst.run("stop").exit()).isZero();
    }

    @Test
    void aNamedTransportThatIsMissingStopsTheStartWithTheReason() throws Exception {
        inst.writeConfig(TempInstallation.CONFIG + "node:\n  transport: io_uring\n");
        Result start = inst.run("start", "-d");
        assertThat(start.exit()).as(start.toString()).isNotZero();
        assertThat(start.all())
                .contains("node.transport: io_uring is not available on this machine")
                .contains("set node.transport to auto")
                .doesNotContain("\tat io.");
    }
}
