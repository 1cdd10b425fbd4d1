package io.gatewayd.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * On a listening socket: what happens when accept() fails, above all with EMFILE (the process is
 * out of file descriptors). Left to Netty, the pipeline's tail logged a WARN with a stack trace per
 * failed accept: on io_uring, which retries at once, ~100,000 lines a second (28 GB of log in 11
 * minutes under `ulimit -n 256`). Here each failure is counted for status, the log gets one line
 * when failures start and at most one summary per {@link #LOG_EVERY_MILLIS}, and the listener
 * stops accepting for {@link #PAUSE_MILLIS} (the waiting connections stay in the kernel's backlog
 * and are taken once descriptors are free again). On io_uring the pause holds only with
 * single-shot accepts, which {@link Transport} selects.
 */
public final class AcceptFailures extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(AcceptFailures.class);
    static final long PAUSE_MILLIS = 100;
    static final long LOG_EVERY_MILLIS = 60_000;

    private static final long MAX_OPEN_FILES = maxOpenFiles();

    private final java.util.function.Supplier<String> listener;
    private final LongAdder counter;
    // only touched on the server channel's event loop
    private long lastLogNanos;
    private boolean logged;
    private long unlogged;
    private boolean paused;

    /**
     * @param listener what the log calls this socket (a listener URL, or "control http://...")
     * @param counter  bumped per failed accept (status: connections.accept_failures)
     */
    public AcceptFailures(java.util.function.Supplier<String> listener, LongAdder counter) {
        this.listener = listener;
        this.counter = counter;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        counter.increment();
        log(cause);
        ChannelConfig config = ctx.channel().config();
        // a listener bound but not yet accepting (jsvc) never fails an accept, so autoRead is on here
        if (!paused && config.isAutoRead()) {
            paused = true;
            config.setAutoRead(false);
            ctx.executor().schedule(() -> {
                paused = false;
                if (ctx.channel().isOpen()) {
                    config.setAutoRead(true);
                }
            }, PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        }
        // not passed on: the pipeline's tail would log a stack trace per failure
    }

    private void log(Throwable cause) {
        long now = System.nanoTime();
        if (logged && now - lastLogNanos < TimeUnit.MILLISECONDS.toNanos(LOG_EVERY_MILLIS)) {
            unlogged++;
            return;
        }
        String why = describe(cause);
        if (!logged) {
            LOG.warn("{}: cannot accept connections: {}; new connections wait in the backlog until it recovers"
                    + "{} (further failures are summed up at most once a minute; status: connections.accept_failures)",
                    listener.get(), why, tooManyFiles(cause) ? advice() : "");
        } else {
            LOG.warn("{}: {} more failed accepts in the last {} s, the last: {}{}", listener.get(), unlogged + 1,
                    TimeUnit.NANOSECONDS.toSeconds(now - lastLogNanos), why, tooManyFiles(cause) ? advice() : "");
        }
        logged = true;
        lastLogNanos = now;
        unlogged = 0;
    }

    private static String describe(Throwable cause) {
        String m = cause.getMessage();
        return m == null ? cause.getClass().getSimpleName() : m;
    }

    static boolean tooManyFiles(Throwable cause) {
        String m = cause.getMessage();
        return m != null && m.toLowerCase().contains("too many open files");
    }

    private static String advice() {
        return (MAX_OPEN_FILES < 0 ? "" : " (the limit is " + MAX_OPEN_FILES + " open files)")
                + ". Every client is one file descriptor: raise the process's limit ("
                + DescriptorBudget.HOW_TO_RAISE + ") or cap clients below it with limits.max-connections";
    }

    /**
     * Read when the first listener binds: once descriptors run out, the JVM can neither load a class
     * (ManagementFactory failed with NoClassDefFoundError inside this handler) nor count them.
     */
    private static long maxOpenFiles() {
        try {
            if (ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.UnixOperatingSystemMXBean os) {
                return os.getMaxFileDescriptorCount();
            }
        } catch (RuntimeException | LinkageError e) {
            return -1;
        }
        return -1;
    }
}
