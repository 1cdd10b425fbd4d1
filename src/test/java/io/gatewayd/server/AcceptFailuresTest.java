package io.gatewayd.server;

import io.gatewayd.testing.LogCapture;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A listener out of file descriptors: every failed accept counted, one log line instead of one
 * per failure, and accepting paused then resumed. (Driven on an embedded channel: exhausting the
 * descriptors of the test JVM would break the test run itself; the real EMFILE was reproduced
 * with `ulimit -n 256`, see AcceptFailures.)
 */
class AcceptFailuresTest {
    @RegisterExtension
    final LogCapture log = new LogCapture(AcceptFailures.class);

    @Test
    void failedAcceptsAreCountedLoggedOnceAndPauseAccepting() {
        LongAdder counter = new LongAdder();
        EmbeddedChannel server = new EmbeddedChannel(new AcceptFailures(() -> "websocket://127.0.0.1:1", counter));
        IOException emfile = new IOException("io_uring accept(..) failed with error(-24): Too many open files");

        for (int i = 0; i < 10_000; i++) {
            server.pipeline().fireExceptionCaught(emfile);
        }
        server.checkException(); // nothing reached the tail: no stack trace per failure

        assertThat(counter.sum()).isEqualTo(10_000);
        assertThat(log.events()).hasSize(1);
        assertThat(log.events().get(0).getFormattedMessage())
                .contains("websocket://127.0.0.1:1", "cannot accept connections", "Too many open files",
                        "LimitNOFILE", "limits.max-connections");
        assertThat(server.config().isAutoRead()).as("paused").isFalse();

        server.advanceTimeBy(AcceptFailures.PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        server.runScheduledPendingTasks();
        assertThat(server.config().isAutoRead()).as("accepting again").isTrue();
        server.finishAndReleaseAll();
    }
}
