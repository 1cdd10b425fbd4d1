package io.gatewayd.config;

import java.time.Duration;

/**
 * GatewayWorker's heartbeat, with its exact timing (pingInterval, pingNotResponseLimit, pingData).
 *
 * @param pingInterval          the tick period; 0 turns the heartbeat off
 * @param pingNotResponseLimit  0 = never drop; N = drop a client silent for N intervals
 *                              (dropped between N*P + P/2 and N*P + P after its last message)
 * @param pingData              text sent to idle clients each interval; empty = send nothing
 * @param pingFrames            WebSocket only: also send a ping control frame where ping-data would
 *                              go, so browsers (which answer pings by themselves) count as alive
 */
public record HeartbeatConfig(Duration pingInterval, Integer pingNotResponseLimit, String pingData,
                              Boolean pingFrames) {
    public HeartbeatConfig {
        if (pingInterval == null) {
            pingInterval = Duration.ZERO;
        }
        ConfigProblem.require(!pingInterval.isNegative(), "ping-interval", "must not be negative");
        ConfigProblem.require(pingInterval.isZero() || pingInterval.toMillis() >= 10, "ping-interval",
                "must be 0 (off) or at least 10ms, got " + Durations.format(pingInterval));
        if (pingNotResponseLimit == null) {
            pingNotResponseLimit = 0;
        }
        ConfigProblem.require(pingNotResponseLimit >= 0, "ping-not-response-limit",
                "must be 0 (never drop) or a positive number of intervals, got " + pingNotResponseLimit);
        if (pingData == null) {
            pingData = "";
        }
        if (pingFrames == null) {
            pingFrames = false;
        }
    }

    public static HeartbeatConfig defaults() {
        return new HeartbeatConfig(null, null, null, null);
    }

    public boolean enabled() {
        return !pingInterval.isZero();
    }

    /** GatewayWorker ticks twice per interval when it may drop clients, once otherwise. */
    public Duration tickPeriod() {
        return pingNotResponseLimit > 0 ? pingInterval.dividedBy(2) : pingInterval;
    }
}
