package io.gatewayd.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.gatewayd.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** One warning per interval, the next one saying how many were held back; exceptions keep their trace. */
class LogLimiterTest {
    @RegisterExtension
    final LogCapture log = new LogCapture(LogLimiterTest.class);

    private final AtomicLong clock = new AtomicLong(42);
    private final LogLimiter limiter = new LogLimiter(LoggerFactory.getLogger(LogLimiterTest.class), 10_000,
            clock::get);

    @Test
    void warningsWithinAnIntervalAreCountedAndReportedWithTheNextOneLogged() {
        limiter.warn("queue full: dropped {}", 1);
        limiter.warn("queue full: dropped {}", 2);
        clock.addAndGet(9_999_000_000L);
        limiter.warn("queue full: dropped {}", 3);
        assertThat(log.messages(Level.WARN)).containsExactly("queue full: dropped 1");

        clock.addAndGet(1_000_000L);
        limiter.warn("queue full: dropped {}", 4);
        limiter.warn("queue full: dropped {}", 5);
        clock.addAndGet(10_000_000_000L);
        limiter.warn("queue full: dropped {}", 6);
        assertThat(log.messages(Level.WARN)).containsExactly("queue full: dropped 1",
                "queue full: dropped 4 (2 similar messages suppressed)",
                "queue full: dropped 6 (1 similar message suppressed)");
    }

    @Test
    void aThrowableAsTheLastArgumentIsLoggedAsTheCause() {
        limiter.warn("hook for {} failed", "c1", new IllegalStateException("boom"));
        ILoggingEvent e = log.events().get(0);
        assertThat(e.getFormattedMessage()).isEqualTo("hook for c1 failed");
        assertThat(e.getThrowableProxy().getMessage()).isEqualTo("boom");
    }
}
