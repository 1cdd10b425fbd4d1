package io.gatewayd.api;

import io.gatewayd.config.ControlConfig;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Caps the open control connections (control.max-connections). Without a cap a backend that
 * leaks connections (a PHP-FPM pool opening one per request and never closing it) ran the process
 * out of descriptors, and the client listeners stopped accepting with it.
 *
 * <p>Over the cap, {@link #OPERATOR_RESERVE} more connections are let in for the operator: their
 * first request is served only if it is one gatewayctl sends to see or stop a gateway (GET /health,
 * /api/status, admin/stop, admin/reload; the last so that a raised cap can be applied), and then
 * the connection closes; any other request is answered 503 too_many_connections, and a connection
 * that has not sent its whole request within {@link #RESERVED_REQUEST_DEADLINE} is let go. The reserve is
 * chosen by request rather than by address because the leaking backend is usually on the same
 * host as gatewayctl. Past the reserve a connection gets a 503 at once, without its request
 * being read, and is closed (over TLS closed at once, unanswered): waiting for its request means
 * keeping its descriptor, which a flood must not be able to make the gateway do.
 */
final class ControlAdmission {
    private static final Logger LOG = LoggerFactory.getLogger(ControlAdmission.class);
    /** Connections over the cap kept for gatewayctl status/stop/reload; also counted in the descriptor budget. */
    static final int OPERATOR_RESERVE = 8;
    /**
     * How long a reserved connection has, from connect (TLS handshake included), to send its whole
     * request: gatewayctl sends at once, over loopback more often than not, so a second is ample
     * even on a loaded host. Without it a few connections that never send would hold the reserve
     * for control.request-timeout (30 s by default) in the very incident it is kept for. The
     * alternative, holding the reserve only once the request line is known to be an operator's,
     * would need a second bound on connections waiting for their line (each is a descriptor), so
     * the reserve stays counted per connection and is made short instead. Connections under the
     * cap never see this deadline.
     */
    static final java.time.Duration RESERVED_REQUEST_DEADLINE = java.time.Duration.ofSeconds(1);
    private static final long WARN_EVERY_NANOS = 60_000_000_000L;
    private static final Set<String> OPERATOR_PATHS = Set.of("/health", "/api/status", "/api/admin/stop",
            "/api/admin/reload");

    enum Admission { SERVED, OPERATOR_ONLY, REFUSED }

    private final Supplier<ControlConfig> config;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong lastWarning = new AtomicLong(System.nanoTime() - WARN_EVERY_NANOS);
    /**
     * Connections over the cap: answered 503 (past the reserve without reading the request), or closed on the
     * reserve for not sending a request within {@link #RESERVED_REQUEST_DEADLINE}.
     */
    final LongAdder refused = new LongAdder();

    ControlAdmission(Supplier<ControlConfig> config) {
        this.config = config;
    }

    /** Counts a new connection (released when it closes) and says how it is served. */
    Admission opened(Channel ch) {
        int n = open.incrementAndGet();
        ch.closeFuture().addListener(f -> open.decrementAndGet());
        int max = config.get().maxConnections();
        if (max == 0 || n <= max) {
            return Admission.SERVED;
        }
        warn(max);
        if (n <= max + OPERATOR_RESERVE) {
            return Admission.OPERATOR_ONLY;
        }
        refused.increment();
        return Admission.REFUSED;
    }

    /** The reserve's deadline, or control.request-timeout when that is shorter still. */
    java.time.Duration reservedRequestDeadline() {
        java.time.Duration timeout = config.get().requestTimeout();
        return timeout.compareTo(RESERVED_REQUEST_DEADLINE) < 0 ? timeout : RESERVED_REQUEST_DEADLINE;
    }

    int open() {
        return open.get();
    }

    /** What gatewayctl status, stop and reload send; served on a connection over the cap. */
    static boolean operatorRequest(HttpRequest req) {
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        HttpMethod m = req.method();
        boolean read = m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD);
        return OPERATOR_PATHS.contains(path) && (read || m.equals(HttpMethod.POST));
    }

    /** The 503's message: what is wrong and the two ways out. */
    String overCapMessage() {
        int max = config.get().maxConnections();
        return "the control port is at its limit of " + max + " open connections (control.max-connections); "
                + "close idle ones (does a backend open a connection per request and keep it?) or raise "
                + "control.max-connections";
    }

    /** The 503's message past the reserve: an operator's request is refused too, so it says when to try again. */
    String pastReserveMessage() {
        return overCapMessage() + "; the " + OPERATOR_RESERVE + " more kept for gatewayctl status, stop and reload "
                + "are busy too: retry in a second";
    }

    /** Said at most once a minute while connections are over the cap: the operator must look at who holds them. */
    private void warn(int max) {
        long last = lastWarning.get();
        long now = System.nanoTime();
        if (now - last >= WARN_EVERY_NANOS && lastWarning.compareAndSet(last, now)) {
            LOG.warn("control port: {} connections open, the most control.max-connections allows; new ones get 503 "
                    + "too_many_connections (gatewayctl status and stop still get through). A backend that keeps a "
                    + "connection per request open? `ss -tn state established '( sport = :{} )'` shows who holds "
                    + "them; raise control.max-connections if they are all in use", max, config.get().port());
        }
    }
}
