package io.gatewayd.lifecycle;

import ch.qos.logback.classic.Level;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pid file means "ready": whoever reads it may signal the pid at once, so the handlers must
 * be in place by then. A SIGHUP that beats the HUP handler gets the JVM's default and kills the
 * gateway (WarningsOnceIT's `kill -HUP` right after `start -d` did, now and then, on a loaded box).
 * The handlers are recorded here rather than installed, so this JVM keeps its own.
 */
class SignalHandlersTest {
    @RegisterExtension
    final LogCapture log = new LogCapture(GatewayProcess.class);

    @TempDir
    Path home;

    @Test
    void theHandlersAreInPlaceBeforeThePidFileIsPublished() throws Exception {
        Files.createDirectories(home.resolve("conf"));
        Path config = home.resolve("conf/gatewayd.yaml");
        Files.writeString(config, "listeners:\n  - url: websocket://127.0.0.1:0\ncontrol:\n  listen: http://127.0.0.1:0\n");
        Path pidFile = home.resolve("run/gatewayd.pid");
        Map<String, Runnable> handlers = new LinkedHashMap<>();
        Map<String, Boolean> publishedWhenInstalled = new LinkedHashMap<>();
        GatewayProcess process = GatewayProcess.start(new GatewayProcess.Options(home, Map.of(), config, null, "daemon",
                Duration.ofSeconds(5), false, null, null), (name, action) -> {
                    handlers.put(name, action);
                    publishedWhenInstalled.put(name, Files.exists(pidFile));
                    return true;
                });
        try {
            assertThat(pidFile).exists();
            assertThat(handlers).containsOnlyKeys("TERM", "INT", "HUP");
            assertThat(publishedWhenInstalled).as("pid file already published when each handler was installed")
                    .containsExactlyInAnyOrderEntriesOf(Map.of("TERM", false, "INT", false, "HUP", false));

            // a refused reload is what the default log level shows
            Files.writeString(config, "listeners:\n  - url: websocket://127.0.0.1:0\nheartbeat:\n  ping-interval: abc\n");
            handlers.get("HUP").run();
            Await.until("the SIGHUP's reload is refused and logged", () -> log.messages(Level.WARN).stream()
                    .anyMatch(m -> m.startsWith("reload refused") && m.contains("heartbeat.ping-interval")));
        } finally {
            process.gateway().stop(Duration.ofSeconds(5));
            process.close();
        }
    }
}
