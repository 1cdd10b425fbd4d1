package io.gatewayd.cluster;

import io.gatewayd.cron.JobLock;
import io.lettuce.core.ScriptOutputType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@link JobLock} for {@code run-on: one} across a cluster, in Redis. Per job:
 * <ul>
 *   <li>{@code P:cron:JOB:tick} holds the last claimed tick (epoch ms). A claim for a tick at or
 *       before it is refused, atomically (a Lua script compares and sets), so each tick runs once
 *       even if the nodes' timers fire at different moments. It is kept at least
 *       {@code lock-at-least-for} and at least a day, so a node whose clock lags (by less than
 *       that) cannot run a tick again;</li>
 *   <li>{@code P:cron:JOB:lease} is the run lease of exclusive jobs ({@code SET NX PX}
 *       lock-at-most-for, value "token holder"); it is released by compare-and-delete with the
 *       owner's token, so a lease that expired and was taken by another node is never deleted by
 *       the first one;</li>
 *   <li>{@code P:cron:JOB:paused} exists while the job is paused for the whole cluster (gatewayctl
 *       cron pause on any node), without expiry, until resumed on any node.</li>
 * </ul>
 * Called on cron worker threads (blocking for at most the command timeout). When Redis is
 * unavailable the claim throws, and the scheduler skips the run: at most once, never twice.
 */
final class RedisJobLock implements JobLock {
    private static final Logger LOG = LoggerFactory.getLogger(RedisJobLock.class);
    private static final long MIN_TICK_MEMORY_MS = Duration.ofDays(1).toMillis();

    private static final String CLAIM = """
            if ARGV[1] ~= '' then
              local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
              if tonumber(ARGV[1]) <= last then return {'done'} end
            end
            if ARGV[2] == '1' then
              local ok = redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[4])
              if not ok then return {'busy', redis.call('GET', KEYS[2]) or ''} end
            end
            if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[5]) end
            return {'claimed'}
            """;
    private static final String RELEASE = """
            if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
            return 0
            """;

    private final Cluster cluster;
    private final String self;

    RedisJobLock(Cluster cluster, String self) {
        this.cluster = cluster;
        this.self = self;
    }

    private long timeout() {
        return cluster.config.commandTimeout().toMillis();
    }

    @Override
    public Claim claim(String job, Instant tick, boolean exclusive, Duration lockAtMostFor, Duration lockAtLeastFor) {
        if (cluster.link == null || !cluster.link.commandsUp()) {
            throw new IllegalStateException("Redis is unavailable, so no node can take the cluster-wide lock "
                    + "(the run is skipped rather than risk running twice)");
        }
        String token = Cluster.hex(8) + " " + self + " (node " + cluster.nodeId + ") since " + Instant.now();
        long tickMemory = Math.max(MIN_TICK_MEMORY_MS, lockAtLeastFor.toMillis());
        try {
            List<Object> r = cluster.link.cmd().<List<Object>>eval(CLAIM, ScriptOutputType.MULTI,
                    new String[] {cluster.keys.cronTick(job), cluster.keys.cronLease(job)},
                    tick == null ? "" : Long.toString(tick.toEpochMilli()), exclusive ? "1" : "0", token,
                    Long.toString(Math.max(1, lockAtMostFor.toMillis())), Long.toString(tickMemory))
                    .get(timeout(), TimeUnit.MILLISECONDS);
            String outcome = String.valueOf(r.get(0));
            return switch (outcome) {
                case "done" -> Claim.doneElsewhere();
                case "busy" -> Claim.busy(holderOf(r.size() > 1 ? String.valueOf(r.get(1)) : ""));
                default -> Claim.claimed(exclusive ? lease(job, token) : null);
            };
        } catch (Exception e) {
            throw new IllegalStateException("cluster cron lock in Redis failed: " + rootMessage(e), e);
        }
    }

    private Lease lease(String job, String token) {
        return new Lease() {
            private boolean released;

            @Override
            public synchronized void release() {
                if (released) {
                    return;
                }
                released = true;
                try {
                    cluster.link.cmd().<Long>eval(RELEASE, ScriptOutputType.INTEGER,
                            new String[] {cluster.keys.cronLease(job)}, token).get(timeout(), TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    // the lease expires by itself after lock-at-most-for
                    LOG.warn("cron job {}: could not release its cluster lease ({}); it expires by itself",
                            job, rootMessage(e));
                }
            }
        };
    }

    @Override
    public String holder(String job) {
        if (cluster.link == null || !cluster.link.commandsUp()) {
            return null;
        }
        try {
            String v = cluster.link.cmd().get(cluster.keys.cronLease(job)).get(timeout(), TimeUnit.MILLISECONDS);
            return v == null ? null : holderOf(v);
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public boolean pauseEverywhere(String job, boolean paused) {
        requireLink("pause");
        try {
            String key = cluster.keys.cronPaused(job);
            if (paused) {
                Boolean set = cluster.link.cmd().setnx(key, self + " since " + Instant.now())
                        .get(timeout(), TimeUnit.MILLISECONDS);
                return !Boolean.TRUE.equals(set);
            }
            Long deleted = cluster.link.cmd().del(key).get(timeout(), TimeUnit.MILLISECONDS);
            return deleted != null && deleted > 0;
        } catch (Exception e) {
            throw new IllegalStateException("Redis: " + rootMessage(e), e);
        }
    }

    @Override
    public boolean pausedEverywhere(String job) {
        requireLink("read the pause of");
        try {
            Long n = cluster.link.cmd().exists(cluster.keys.cronPaused(job)).get(timeout(), TimeUnit.MILLISECONDS);
            return n != null && n > 0;
        } catch (Exception e) {
            throw new IllegalStateException("Redis: " + rootMessage(e), e);
        }
    }

    private void requireLink(String what) {
        if (cluster.link == null || !cluster.link.commandsUp()) {
            throw new IllegalStateException("Redis is unavailable; cannot " + what + " the job cluster-wide");
        }
    }

    /** "token holder..." -> "holder...". */
    private static String holderOf(String value) {
        int sp = value.indexOf(' ');
        return sp < 0 ? (value.isEmpty() ? "another node" : value) : value.substring(sp + 1);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
