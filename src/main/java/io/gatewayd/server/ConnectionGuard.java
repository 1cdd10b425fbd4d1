package io.gatewayd.server;

import io.gatewayd.config.Cidr;
import io.gatewayd.config.LimitsConfig;

import java.net.InetAddress;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Admission control for client sockets: the total and per-address connection counts, the
 * per-address connect rate, and the counters of everything refused or closed by a limit.
 * Thread-safe; every check is a few atomic operations, cheap enough for every accept.
 */
public final class ConnectionGuard {
    private static final int MAX_TRACKED_ADDRESSES = 100_000;

    private final Supplier<LimitsConfig> limits;
    private final AtomicInteger open = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final KeyedRateLimiter<InetAddress> connectRate = new KeyedRateLimiter<>(MAX_TRACKED_ADDRESSES);
    private final Map<Rejection, LongAdder> rejected = new EnumMap<>(Rejection.class);
    /** Connections closed with 1008 for sending faster than limits.client-messages-per-second. */
    public final LongAdder messageRateClosed = new LongAdder();
    /** Pings not answered because the client was not reading its pongs. */
    public final LongAdder pingsDropped = new LongAdder();
    /** Connections closed because their uid had too many (limits.max-connections-per-uid). */
    public final LongAdder uidLimitClosed = new LongAdder();
    /** joinGroup calls refused by limits.max-groups-per-connection. */
    public final LongAdder groupLimitRefused = new LongAdder();
    private volatile DescriptorBudget descriptors = DescriptorBudget.none();
    private volatile List<Cidr> trusted;
    private volatile List<String> trustedSource;

    public ConnectionGuard(Supplier<LimitsConfig> limits) {
        this.limits = limits;
        for (Rejection r : Rejection.values()) {
            rejected.put(r, new LongAdder());
        }
    }

    public LimitsConfig limits() {
        return limits.get();
    }

    /** Caps the open sockets below what the open-file limit allows, besides limits.max-connections. */
    public void descriptors(DescriptorBudget budget) {
        this.descriptors = budget;
    }

    public DescriptorBudget descriptors() {
        return descriptors;
    }

    /**
     * WebSocket sockets over the connection cap kept open until their request comes, to be
     * answered 503; past this many, more are closed at once. Waiting for a request (up to
     * limits.handshake-timeout) held a descriptor per refused socket, so a flood of idle connects
     * ran the process out of descriptors in spite of the cap.
     */
    public static final int ANSWERED_OVER_CAP = 32;

    /** A socket was accepted; counts it and says whether the total is over the limit. */
    Rejection socketOpened() {
        int n = open.incrementAndGet();
        int max = descriptors.effectiveMax(limits.get().maxConnections());
        return max > 0 && n > max ? Rejection.TOO_MANY_CONNECTIONS : null;
    }

    /** So many sockets over the cap already wait for their 503 that another is closed unanswered. */
    boolean tooManyToAnswer() {
        int max = descriptors.effectiveMax(limits.get().maxConnections());
        return max > 0 && open.get() > max + ANSWERED_OVER_CAP;
    }

    void socketClosed() {
        open.decrementAndGet();
    }

    /** Open client sockets, handshakes in progress included. */
    public int openSockets() {
        return open.get();
    }

    /**
     * Counts one more connection from {@code address} unless it is over the per-address count or
     * rate; the caller must {@link #addressReleased} exactly once when accepted (null returned).
     */
    Rejection addressOpened(InetAddress address) {
        LimitsConfig l = limits.get();
        if (!connectRate.tryAcquire(address, l.connectRatePerIp())) {
            return Rejection.CONNECT_RATE;
        }
        int max = l.maxConnectionsPerIp();
        boolean[] over = new boolean[1];
        perAddress.compute(address, (a, count) -> {
            AtomicInteger c = count == null ? new AtomicInteger() : count;
            if (max > 0 && c.get() >= max) {
                over[0] = true;
            } else {
                c.incrementAndGet();
            }
            return c.get() == 0 ? null : c;
        });
        return over[0] ? Rejection.TOO_MANY_FROM_ADDRESS : null;
    }

    void addressReleased(InetAddress address) {
        perAddress.computeIfPresent(address, (a, c) -> c.decrementAndGet() <= 0 ? null : c);
    }

    /** Addresses with at least one open connection. */
    public int trackedAddresses() {
        return perAddress.size();
    }

    void count(Rejection r) {
        rejected.get(r).increment();
    }

    public long rejectedCount(Rejection r) {
        return rejected.get(r).sum();
    }

    /** True if X-Forwarded-For from {@code peer} is believed. */
    boolean isTrustedProxy(InetAddress peer) {
        List<String> source = limits.get().trustedProxies();
        if (source.isEmpty()) {
            return false;
        }
        if (source != trustedSource) {
            trusted = limits.get().trustedProxyRanges();
            trustedSource = source;
        }
        for (Cidr c : trusted) {
            if (c.contains(peer)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The real client behind a trusted proxy: the right-most X-Forwarded-For entry that is not
     * itself a trusted proxy (entries further left are whatever the client claimed). Null if the
     * header is absent or unusable.
     */
    InetAddress forwardedClient(String xForwardedFor) {
        if (xForwardedFor == null || xForwardedFor.length() > 4096) {
            return null;
        }
        String[] hops = xForwardedFor.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            InetAddress a = literal(hops[i].trim());
            if (a == null) {
                return null;
            }
            if (!isTrustedProxy(a) || i == 0) {
                return a;
            }
        }
        return null;
    }

    /** Parses an IP literal without ever resolving a name; null if it is not one. */
    static InetAddress literal(String s) {
        if (s.startsWith("[") && s.contains("]")) {
            s = s.substring(1, s.indexOf(']'));
        } else if (s.indexOf(':') > 0 && s.indexOf(':') == s.lastIndexOf(':') && s.contains(".")) {
            s = s.substring(0, s.indexOf(':')); // a.b.c.d:port
        }
        try {
            Cidr c = Cidr.parse(s);
            return c.prefixBits() == c.network().length * 8 ? InetAddress.getByAddress(c.network()) : null;
        } catch (IllegalArgumentException | java.net.UnknownHostException e) {
            return null;
        }
    }

    /** The "limits" section of /api/status. */
    public Map<String, Object> status() {
        LimitsConfig l = limits.get();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("open_sockets", open.get());
        o.put("addresses", perAddress.size());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("max_connections", l.maxConnections());
        config.put("max_connections_per_ip", l.maxConnectionsPerIp());
        config.put("connect_rate_per_ip", l.connectRatePerIp());
        config.put("handshake_timeout_ms", l.handshakeTimeout().toMillis());
        config.put("client_messages_per_second", l.clientMessagesPerSecond());
        config.put("max_groups_per_connection", l.maxGroupsPerConnection());
        config.put("max_connections_per_uid", l.maxConnectionsPerUid());
        config.put("trusted_proxies", l.trustedProxies());
        o.put("config", config);
        o.put("connection_cap", descriptors.status(l.maxConnections()));
        Map<String, Object> refused = new LinkedHashMap<>();
        for (Rejection r : Rejection.values()) {
            refused.put(r.key(), rejected.get(r).sum());
        }
        o.put("refused", refused);
        Map<String, Object> closed = new LinkedHashMap<>();
        closed.put("message_rate", messageRateClosed.sum());
        closed.put("uid_limit", uidLimitClosed.sum());
        o.put("closed", closed);
        o.put("group_joins_refused", groupLimitRefused.sum());
        o.put("pings_dropped", pingsDropped.sum());
        return o;
    }
}
