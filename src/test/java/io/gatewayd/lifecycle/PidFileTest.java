package io.gatewayd.lifecycle;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PidFileTest {
    @TempDir
    Path dir;

    private static RuntimeInfo info() {
        return new RuntimeInfo(ProcessHandle.current().pid(), "debug", "test", "2024-01-01T00:00:00Z",
                "http://127.0.0.1:1234", List.of("websocket://127.0.0.1:5678"), "/x/gatewayd.yaml", null, null);
    }

    @Test
    void lifecycleOfTheFiles() throws Exception {
        PidFile pf = new PidFile(dir.resolve("run/gatewayd.pid"));
        assertThat(pf.probe().state()).isEqualTo(PidFile.State.NOT_RUNNING);
        List<String> warnings = new ArrayList<>();
        try (PidFile.Lock lock = pf.acquire(warnings::add)) {
            long me = ProcessHandle.current().pid();
            // locked but not yet published: running ("starting"), pid known from the lock file
            PidFile.Probe starting = pf.probe();
            assertThat(starting.state()).isEqualTo(PidFile.State.RUNNING);
            assertThat(starting.pid()).isEqualTo(me);
            assertThat(pf.path()).doesNotExist();

            lock.publish(info());
            assertThat(Files.readString(pf.path()).trim()).isEqualTo(Long.toString(me));
            PidFile.Probe running = pf.probe();
            assertThat(running.runtime()).isEqualTo(info());
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(pf.path())))
                    .isEqualTo("rw-r--r--");

            assertThatThrownBy(() -> pf.acquire(warnings::add))
                    .isInstanceOf(PidFile.AlreadyRunningException.class)
                    .hasMessageContaining("already running (pid " + me + ")");
        }
        assertThat(pf.path()).doesNotExist();
        assertThat(pf.runtimePath()).doesNotExist();
        assertThat(pf.probe().state()).isEqualTo(PidFile.State.NOT_RUNNING);
        assertThat(warnings).isEmpty();
    }

    @Test
    void aPidFileWithoutItsLockIsStaleAndReplacedWithAWarning() throws Exception {
        PidFile pf = new PidFile(dir.resolve("gatewayd.pid"));
        long dead = deadPid();
        Files.writeString(pf.path(), dead + "\n");
        PidFile.Probe probe = pf.probe();
        assertThat(probe.state()).isEqualTo(PidFile.State.STALE);
        assertThat(probe.pid()).isEqualTo(dead);

        List<String> warnings = new ArrayList<>();
        try (PidFile.Lock lock = pf.acquire(warnings::add)) {
            lock.publish(info());
            assertThat(warnings).singleElement().asString().contains("stale pid file", "pid " + dead, "not running");
            assertThat(Files.readString(pf.path()).trim()).isEqualTo(Long.toString(ProcessHandle.current().pid()));
        }
    }

    @Test
    void anUnwritableRunDirectoryIsExplained() throws Exception {
        Path file = dir.resolve("blocked");
        Files.writeString(file, "a file where the run directory should be");
        PidFile pf = new PidFile(file.resolve("gatewayd.pid"));
        assertThatThrownBy(() -> pf.acquire(w -> { }))
                .isInstanceOf(PidFile.PidFileException.class)
                .hasMessageContaining("cannot create the run directory").hasMessageContaining("paths.run-dir");
    }

    /** A pid no process has: one past the largest alive, which the kernel has not reused yet. */
    private static long deadPid() {
        long max = ProcessHandle.allProcesses().mapToLong(ProcessHandle::pid).max().orElse(1000);
        long pid = max + 1000;
        while (ProcessHandle.of(pid).isPresent()) {
            pid++;
        }
        return pid;
    }
}
