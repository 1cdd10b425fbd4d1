package io.gatewayd.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;

/**
 * The {@code cluster:} section: many gatewayd processes and hosts act as one gateway through one
 * Redis. Absent (null in {@link GatewayConfig}) means single-node mode, which needs no Redis.
 *
 * @param redis             redis://[user:password@]host:port[/db] or rediss:// (TLS)
 * @param keyPrefix         prefix of every Redis key and channel, so several clusters can share a Redis
 * @param nodeTtl           a node whose heartbeat key is older than this counts as dead: its clients
 *                          leave query results and its mirror is deleted by the janitor
 * @param heartbeat         how often a node refreshes its heartbeat key (well below node-ttl)
 * @param commandTimeout    how long one Redis command may take before it fails (no retry, no replay)
 * @param ackTimeout        how long an operation on another node's client waits for that node's
 *                          answer, and a push for the other nodes' delivery reports
 * @param queryTimeout      deadline of scatter-gather queries (sessions, full group dumps); nodes that
 *                          miss it are listed as missing_nodes with "partial": true
 * @param probeInterval     how often a node publishes a probe to itself to prove its subscription works
 * @param probeTimeout      a probe not received back within this means the subscription is dead: reconnect
 * @param resubscribeBatch  channels per SUBSCRIBE command when (re)subscribing
 * @param janitorInterval   how often one node (under a Redis lock) deletes dead nodes' mirrors
 * @param mirrorTtl         expiry of mirror keys, refreshed by their node; a safety net if every
 *                          node and the janitor are gone
 * @param fanoutThreshold   a push to more uids/groups than this is one PUBLISH on the broadcast channel
 *                          (every node filters) instead of one per uid/group channel
 * @param shareEventLoops   run the Redis connections on the gateway's client event loops instead of
 *                          one I/O thread of their own (one thread fewer; large Redis replies are
 *                          then decoded on a client loop)
 */
public record ClusterConfig(String redis, String keyPrefix, Duration nodeTtl, Duration heartbeat,
                            Duration commandTimeout, Duration ackTimeout, Duration queryTimeout,
                            Duration probeInterval, Duration probeTimeout, Integer resubscribeBatch,
                            Duration janitorInterval,
                            Duration mirrorTtl, Integer fanoutThreshold, Boolean shareEventLoops) {

    public static final String EXAMPLE = "redis://127.0.0.1:6379/0";

    public ClusterConfig {
        ConfigProblem.require(redis != null && !redis.isBlank(), "redis",
                "missing; cluster mode needs the Redis URL, e.g. redis: \"" + EXAMPLE + "\"");
        redis = redis.trim();
        checkRedisUrl(redis);
        if (keyPrefix == null) {
            keyPrefix = "gatewayd";
        }
        ConfigProblem.require(keyPrefix.matches("[A-Za-z0-9_.\\-]{1,64}"), "key-prefix",
                "must be 1 to 64 letters, digits, '.', '_' or '-', got \"" + keyPrefix + "\"");
        nodeTtl = orDefault(nodeTtl, Duration.ofSeconds(10));
        heartbeat = orDefault(heartbeat, Duration.ofSeconds(2));
        commandTimeout = orDefault(commandTimeout, Duration.ofSeconds(2));
        ackTimeout = orDefault(ackTimeout, Duration.ofSeconds(2));
        queryTimeout = orDefault(queryTimeout, Duration.ofSeconds(3));
        probeInterval = orDefault(probeInterval, Duration.ofSeconds(5));
        probeTimeout = orDefault(probeTimeout, Duration.ofSeconds(3));
        janitorInterval = orDefault(janitorInterval, Duration.ofSeconds(30));
        mirrorTtl = orDefault(mirrorTtl, Duration.ofMinutes(10));
        if (resubscribeBatch == null) {
            resubscribeBatch = 500;
        }
        if (fanoutThreshold == null) {
            fanoutThreshold = 64;
        }
        if (shareEventLoops == null) {
            shareEventLoops = false;
        }
        atLeast(heartbeat, 100, "heartbeat");
        ConfigProblem.require(nodeTtl.compareTo(heartbeat.multipliedBy(2)) >= 0, "node-ttl",
                "must be at least twice cluster.heartbeat (" + Durations.format(heartbeat) + "), got "
                        + Durations.format(nodeTtl) + "; otherwise a live node looks dead between two beats");
        atLeast(commandTimeout, 100, "command-timeout");
        atLeast(ackTimeout, 100, "ack-timeout");
        atLeast(queryTimeout, 100, "query-timeout");
        atLeast(probeInterval, 100, "probe-interval");
        atLeast(probeTimeout, 100, "probe-timeout");
        atLeast(janitorInterval, 1000, "janitor-interval");
        ConfigProblem.require(mirrorTtl.compareTo(nodeTtl.multipliedBy(3)) >= 0, "mirror-ttl",
                "must be at least three times cluster.node-ttl (" + Durations.format(nodeTtl) + "), got "
                        + Durations.format(mirrorTtl));
        ConfigProblem.require(resubscribeBatch >= 1 && resubscribeBatch <= 100_000, "resubscribe-batch",
                "must be between 1 and 100000, got " + resubscribeBatch);
        ConfigProblem.require(fanoutThreshold >= 1 && fanoutThreshold <= 1_000_000, "fanout-threshold",
                "must be between 1 and 1000000, got " + fanoutThreshold);
    }

    public static ClusterConfig of(String redisUrl) {
        return new ClusterConfig(redisUrl, null, null, null, null, null, null, null, null, null, null, null, null,
                null);
    }

    private static Duration orDefault(Duration d, Duration def) {
        return d == null ? def : d;
    }

    private static void atLeast(Duration d, long millis, String key) {
        ConfigProblem.require(d.toMillis() >= millis, key, "must be at least " + millis + "ms, got " + Durations.format(d));
    }

    private static void checkRedisUrl(String url) {
        String expected = "expected redis://host:port/db (or rediss:// for TLS), such as " + EXAMPLE;
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            ConfigProblem.require(scheme.equals("redis") || scheme.equals("rediss"), "redis",
                    "\"" + redactedUrl(url) + "\" must start with redis:// or rediss://; " + expected);
            ConfigProblem.require(uri.getHost() != null, "redis", "\"" + redactedUrl(url) + "\" has no host; " + expected);
            String path = uri.getPath();
            ConfigProblem.require(path == null || path.isEmpty() || path.matches("/\\d{1,2}"), "redis",
                    "\"" + redactedUrl(url) + "\": the path must be a database number such as /0; " + expected);
        } catch (URISyntaxException e) {
            throw new ConfigProblem("redis", "\"" + redactedUrl(url) + "\" is not a URL; " + expected);
        }
    }

    /**
     * The URL with any password replaced by ***, for logs and status. A user part without a colon
     * is masked too: in a Redis URL ({@code redis://secret@host}) it is the password.
     */
    public static String redactedUrl(String url) {
        return url.replaceAll("(?<=//)([^:@/]*):[^@/]*@", "$1:***@").replaceAll("(?<=//)[^:@/]+@", "***@");
    }

    public String redactedRedis() {
        return redactedUrl(redis);
    }
}
