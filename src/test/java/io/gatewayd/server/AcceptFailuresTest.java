package io.gatewayd.server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

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
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(AcceptFailures.class);

    @BeforeEach
    void capture() {
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void release() {
        logger.detachAppender(log);
    }

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
        assertThat(log.list).hasSize(1);
        assertThat(log.list.get(0).getFormattedMessage())
                .contains("websocket://127.0.0.1:1", "cannot accept connections", "Too many open files",
                        "LimitNOFILE", "limits.max-connections");
        assertThat(server.config().isAutoRead()).as("paused").isFalse();

        server.advanceTimeBy(AcceptFailures.PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        server.runScheduledPendingTasks();
        assertThat(server.config().isAutoRead()).as("accepting again").isTrue();
        server.finishAndReleaseAll();
    }
}
