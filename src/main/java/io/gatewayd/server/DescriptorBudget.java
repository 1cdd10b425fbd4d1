package io.gatewayd.server;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How many client sockets the process's open-file limit leaves room for. Every client is one
 * file descriptor, and once none is left accept() fails on every port, the control port
 * included: the operator could then neither run {@code gatewayctl status} nor push. Capping
 * clients below the limit keeps descriptors for everything else, and a client over the cap is
 * refused the way limits.max-connections refuses it (HTTP 503, a TCP client closed) while the
 * gateway can still answer.
 *
 * <p>Reserved: what is open when the listeners bind (jars, logs, event loops, the control port:
 * ~75 on a default installation; measured, since it grows with every jar and loop), plus
 * {@link #HEADROOM} for what opens later (Redis, cron exec pipes, files a reload reads, log
 * rotation), plus webhooks.max-concurrency (one connection per request in flight; counted even
 * with webhooks off, since a reload may turn them on), plus control.max-connections and the
 * control port's operator reserve (without a control cap, control connections come out of the
 * headroom). A limit too low for
 * all that reserves half of what is free, so some clients still get in.
 */
public final class DescriptorBudget {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DescriptorBudget.class);
    /** Descriptors kept for what the gateway opens after the start, besides webhook connections. */
    static final int HEADROOM = 64;
    /** Where an operator raises the open-file limit; said wherever the limit is the problem. */
    static final String HOW_TO_RAISE = "LimitNOFILE= in the systemd unit, minfds in supervisord, ulimit -n in a "
            + "shell; conf/jvm.options explains";
    private static final DescriptorBudget NONE = new DescriptorBudget(-1, 0, 0, false);

    private final long limit;
    private final long reserved;
    private final int cap;
    private final boolean squeezed;

    private DescriptorBudget(long limit, long reserved, int cap, boolean squeezed) {
        this.limit = limit;
        this.reserved = reserved;
        this.cap = cap;
        this.squeezed = squeezed;
    }

    /** No cap: the limit is unknown (not Unix) or not measured (tests of other things). */
    public static DescriptorBudget none() {
        return NONE;
    }

    /**
     * Reads the soft limit and the descriptors open now; call it before the client listeners
     * bind (they are counted in {@code later}).
     *
     * @param later descriptors the caller knows it will open besides clients: one per client
     *              listener, webhooks.max-concurrency
     */
    public static DescriptorBudget measure(int later) {
        try {
            if (ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.UnixOperatingSystemMXBean os) {
                return of(os.getMaxFileDescriptorCount(), os.getOpenFileDescriptorCount(), later);
            }
        } catch (RuntimeException | InternalError e) {
            return NONE; // cannot count: no cap rather than a wrong one
        }
        return NONE;
    }

    static DescriptorBudget of(long limit, long open, int later) {
        if (limit <= 0 || open < 0) {
            return NONE;
        }
        long free = limit - open;
        long extra = (long) later + HEADROOM;
        boolean squeezed = extra > free / 2;
        long reserved = open + (squeezed ? free / 2 : extra);
        long cap = Math.max(1, limit - reserved);
        return new DescriptorBudget(limit, reserved, (int) Math.min(cap, Integer.MAX_VALUE), squeezed);
    }

    /** The most client sockets allowed: the lower of {@code configured} (0: none) and the cap. */
    public int effectiveMax(int configured) {
        if (cap == 0) {
            return configured;
        }
        return configured > 0 && configured <= cap ? configured : cap;
    }

    /** Where {@link #effectiveMax} comes from: limits.max-connections, the open-file limit, or none. */
    public String source(int configured) {
        if (cap > 0 && (configured == 0 || configured > cap)) {
            return "open-file limit";
        }
        return configured > 0 ? "limits.max-connections" : "none";
    }

    /** Said once at the start (and by a reload that sets the value): null when nothing is wrong. */
    public String warning(int configured) {
        if (cap == 0) {
            return null;
        }
        String raise = " Raise the limit (" + HOW_TO_RAISE + ")";
        if (configured > cap) {
            return "limits.max-connections is " + configured + ", but the open-file limit (" + limit
                    + ") leaves room for " + cap + " clients after the " + reserved + " descriptors the gateway keeps "
                    + "for itself; clients beyond " + cap + " are refused with 503." + raise
                    + " or lower limits.max-connections to " + cap + " or less";
        }
        if (squeezed && configured == 0) {
            return "the open-file limit (" + limit + ") is low: it leaves room for " + cap + " clients after the "
                    + reserved + " descriptors the gateway keeps for itself; clients beyond that are refused with 503."
                    + raise;
        }
        return null;
    }

    /** The "connection_cap" part of the limits status. */
    public Map<String, Object> status(int configured) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("effective", effectiveMax(configured));
        o.put("source", source(configured));
        o.put("open_file_limit", limit < 0 ? null : limit);
        o.put("reserved", limit < 0 ? null : reserved);
        return o;
    }

    /** One line: a warning when something is wrong, else what caps clients if the limit does. */
    public void logAtStart(int configured) {
        String warning = warning(configured);
        if (warning != null) {
            LOG.warn(warning);
        } else if ("open-file limit".equals(source(configured))) {
            LOG.info("clients capped at {} by the open-file limit ({}, of which {} kept for the gateway itself); "
                    + "limits.max-connections can set a lower cap", cap, limit, reserved);
        }
    }
}
