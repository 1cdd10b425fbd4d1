package io.gatewayd.lifecycle;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LogDirLockTest {
    @TempDir
    Path dir;

    @Test
    void aSecondGatewayIsRefusedTheLogDirectoryUntilTheFirstLetsGo() {
        Path logs = dir.resolve("logs");
        Path firstPid = dir.resolve("run-a/gatewayd.pid");
        assertThat(LogDirLock.probe(logs)).isNull();
        try (LogDirLock held = LogDirLock.acquire(logs, firstPid)) {
            long me = ProcessHandle.current().pid();
            assertThat(LogDirLock.probe(logs)).isEqualTo(new LogDirLock.Holder(me, firstPid.toString()));
            assertThatThrownBy(() -> LogDirLock.acquire(logs, dir.resolve("run-b/gatewayd.pid")))
                    .isInstanceOf(LogDirLock.InUseException.class)
                    .hasMessageContaining("log directory " + logs + " is in use by another gatewayd (pid " + me
                            + ", pid file " + firstPid + ")")
                    .hasMessageContaining("paths.log-dir");
        }
        assertThat(LogDirLock.probe(logs)).as("released").isNull();
        LogDirLock.acquire(logs, dir.resolve("run-b/gatewayd.pid")).close();
    }
}
