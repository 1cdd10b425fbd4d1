package io.gatewayd.server;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The periodic look at the served certificate's end, scheduled only while a listener or the
 * control port serves TLS: a gateway that runs for weeks without a reload would otherwise have
 * warned only at its start, and one without TLS has nothing to look at. Thread-safe.
 */
public final class CertificateCheck {
    private final ScheduledExecutorService executor;
    private final Supplier<ServerTls> tls;
    private final Duration every;
    private ScheduledFuture<?> task; // guarded by this

    /**
     * @param tls   the certificate served by then (a reload may have renewed it)
     * @param every how often; the first check comes one period after TLS starts being served,
     *              since loading the certificate (start, reload) has just warned
     */
    public CertificateCheck(ScheduledExecutorService executor, Supplier<ServerTls> tls, Duration every) {
        this.executor = executor;
        this.tls = tls;
        this.every = every;
    }

    /** Schedules the checks when TLS starts being served and cancels them when it stops. */
    public synchronized void serving(boolean served) {
        if (served && task == null) {
            long millis = every.toMillis();
            task = executor.scheduleAtFixedRate(this::check, millis, millis, TimeUnit.MILLISECONDS);
        } else if (!served && task != null) {
            task.cancel(false);
            task = null;
        }
    }

    public synchronized boolean scheduled() {
        return task != null;
    }

    private void check() {
        ServerTls t = tls.get();
        if (t != null) {
            t.warnIfExpiringSoon();
        }
    }
}
