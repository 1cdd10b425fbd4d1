package io.gatewayd.config;

import java.time.Duration;
import java.util.List;

/**
 * Bounds that keep one client (or one address) from taking the gateway from everyone else.
 * 0 means "no limit" for every count and rate.
 *
 * @param maxConnections          open client sockets on all listeners together (handshakes included);
 *                                over it: HTTP 503 at the WebSocket handshake, TCP clients are closed
 * @param maxConnectionsPerIp     open client sockets per remote address; over it: HTTP 429 / closed
 * @param connectRatePerIp        new connections per second per remote address (bursts of that many);
 *                                over it: HTTP 429 / closed
 * @param handshakeTimeout        how long a WebSocket client has from TCP connect to a completed
 *                                handshake (slowloris); over it: HTTP 408 and closed
 * @param clientMessagesPerSecond messages (and pings) a connection may send per second, in bursts of
 *                                that many; over it: closed with 1008
 * @param maxGroupsPerConnection  groups one connection may be in; joinGroup over it fails with 409
 * @param maxConnectionsPerUid    connections bound to one uid; binding one more closes the oldest (1008)
 * @param trustedProxies          addresses or CIDR ranges (e.g. 127.0.0.1, 10.0.0.0/8) whose
 *                                X-Forwarded-For header names the real client address
 */
public record LimitsConfig(Integer maxConnections, Integer maxConnectionsPerIp, Integer connectRatePerIp,
                           Duration handshakeTimeout, Integer clientMessagesPerSecond, Integer maxGroupsPerConnection,
                           Integer maxConnectionsPerUid, List<String> trustedProxies) {
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    public LimitsConfig {
        maxConnections = nonNegative(maxConnections, "max-connections");
        maxConnectionsPerIp = nonNegative(maxConnectionsPerIp, "max-connections-per-ip");
        connectRatePerIp = nonNegative(connectRatePerIp, "connect-rate-per-ip");
        clientMessagesPerSecond = nonNegative(clientMessagesPerSecond, "client-messages-per-second");
        maxGroupsPerConnection = nonNegative(maxGroupsPerConnection, "max-groups-per-connection");
        maxConnectionsPerUid = nonNegative(maxConnectionsPerUid, "max-connections-per-uid");
        if (handshakeTimeout == null) {
            handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        }
        ConfigProblem.require(handshakeTimeout.toMillis() >= 100 && handshakeTimeout.toMinutes() <= 10,
                "handshake-timeout", "must be between 100ms and 10m, got " + Durations.format(handshakeTimeout));
        trustedProxies = trustedProxies == null ? List.of() : List.copyOf(trustedProxies);
        for (int i = 0; i < trustedProxies.size(); i++) {
            try {
                Cidr.parse(trustedProxies.get(i));
            } catch (IllegalArgumentException e) {
                throw new ConfigProblem("trusted-proxies[" + i + "]", e.getMessage());
            }
        }
    }

    private static int nonNegative(Integer v, String key) {
        if (v == null) {
            return 0;
        }
        ConfigProblem.require(v >= 0, key, "must be 0 (no limit) or a positive number, got " + v);
        return v;
    }

    public static LimitsConfig defaults() {
        return new LimitsConfig(null, null, null, null, null, null, null, null);
    }

    public List<Cidr> trustedProxyRanges() {
        return trustedProxies.stream().map(Cidr::parse).toList();
    }

    public LimitsConfig withMaxConnections(int n) {
        return new LimitsConfig(n, maxConnectionsPerIp, connectRatePerIp, handshakeTimeout, clientMessagesPerSecond,
                maxGroupsPerConnection, maxConnectionsPerUid, trustedProxies);
    }
}
