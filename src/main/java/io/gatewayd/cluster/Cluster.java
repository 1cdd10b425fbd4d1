package io.gatewayd.cluster;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.config.ClusterConfig;
import io.gatewayd.cron.JobLock;
import io.gatewayd.registry.Registry;
import io.gatewayd.routing.Dedup;
import io.gatewayd.routing.LocalRouter;
import io.gatewayd.routing.MsgIds;
import io.gatewayd.routing.Router;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Cluster mode: this node's membership of a gatewayd cluster on Redis. It keeps the node's
 * heartbeat key and mirror, its subscriptions, the cache of live nodes, the janitor, the
 * self-probe, and the bookkeeping of messages waiting for other nodes' answers; {@link ClusterRouter}
 * is the {@link Router} built on it.
 *
 * <p>Threads: one "gatewayd-cluster" thread does everything that touches the mirror connection,
 * the subscriber and the connection state; a second one runs the janitor; a third, the timer, runs
 * what must happen on time while the first waits on Redis (see {@link #timer}). Messages from Redis
 * arrive on event loops and are handed to the local router, which queues on client loops.
 * Nothing here blocks an event loop.
 */
public final class Cluster {
    private static final Logger LOG = LoggerFactory.getLogger(Cluster.class);
    static final int MAX_PENDING = 100_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    final ClusterConfig config;
    final Keys keys;
    final Registry registry;
    final LocalRouter local;
    final MsgIds msgIds;
    /**
     * Envelopes published on several channels (a push to many uids or groups), so a node on more
     * than one of them delivers once. Not the msg_id dedup: control.dedup-max-entries 0 turns that off,
     * and must not make every such push arrive twice. The copies come in one burst, so a short
     * window and a fixed bound are enough.
     */
    final Dedup copies = new Dedup(java.time.Duration.ofSeconds(30), 100_000);
    final Mirror mirror;
    final ClusterRouter router;
    private final EventLoopGroup loops;
    private final Class<? extends io.netty.channel.socket.SocketChannel> channelClass;
    final ScheduledThreadPoolExecutor exec;
    private final ScheduledThreadPoolExecutor janitorThread;
    /**
     * Small tasks that must run on time and never wait: the heartbeat key's keep-alive during a
     * join ({@link #keepAliveWhileJoining}) and the deadlines of pushes and requests waiting for
     * other nodes. The cluster thread waits on Redis in {@link #connectStep} (a join, a resubscribe,
     * a whole mirror rewritten), for seconds on a loaded host or with a big mirror; a deadline
     * queued behind that fired late, and a control call waiting for a dead or silent node hung far
     * past cluster.ack-timeout or query-timeout. Each push schedules a deadline and cancels it when
     * the reports are in, so cancelled ones are removed at once (remove-on-cancel).
     */
    private final ScheduledThreadPoolExecutor timer;
    private final String boot = hex(8);

    volatile String nodeId;
    RedisLink link;
    private Subscriptions subs;
    private volatile String gen; // generation of the mirror in Redis; null until written
    private volatile boolean available;
    private volatile boolean stopped;
    /** This process has written its heartbeat key (the key is then its own, not a previous life's). */
    private volatile boolean keyWritten;
    /**
     * No other live process uses this node id (checked once). Not checked again on a retry: the
     * heartbeat key now names the mirror only once subscribed, so a first join that failed while
     * subscribing is retried from the start, and its own half-made subscription to the node
     * channel would answer the probe as a duplicate.
     */
    private boolean idChecked; // cluster thread
    /** The cluster thread is in {@link #connectStep}, where it waits on Redis and the heartbeat cannot run. */
    private volatile boolean joining;
    private volatile String lastError;
    private Map<String, String> info = Map.of();

    /** Live nodes as last seen: node id -> (generation, heartbeat fields). Self included. */
    final ConcurrentHashMap<String, Peer> peers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Object> pending = new ConcurrentHashMap<>();
    /** At most this many answers waited for ({@link #MAX_PENDING}; tests lower it). */
    volatile int maxPending = MAX_PENDING;
    /**
     * Envelope ids. A node keeps its node id across a restart (lan-ip and control port make it),
     * and other nodes correlate by origin and id: copies of a multi-key push within 30 s, reports
     * and replies to whatever is pending under an id. Counting from 0 again after a quick restart
     * would make the new process's first pushes look like copies already delivered, and let a late
     * answer to the old process match a new request; from a random start, the ids of two lives of a
     * node do not meet.
     */
    private final AtomicLong ids = new AtomicLong(RANDOM.nextLong());

    // counters for status
    final LongAdder published = new LongAdder();
    final LongAdder received = new LongAdder();
    final LongAdder malformed = new LongAdder();
    final LongAdder tooLargeDropped = new LongAdder();
    /** A peer with a larger outbound.max-pending-bytes can send many such pushes: one warning per interval. */
    final io.gatewayd.logging.LogLimiter tooLargeLog = new io.gatewayd.logging.LogLimiter(LOG, 10_000);
    private final AtomicLong outages = new AtomicLong();
    private volatile long downSinceMillis = System.currentTimeMillis();
    private volatile long lastOutageMillis;
    private final AtomicLong resubscribes = new AtomicLong();
    private final AtomicLong probesSent = new AtomicLong();
    private final AtomicLong probeFailures = new AtomicLong();
    private final AtomicLong fullWrites = new AtomicLong();
    private final AtomicLong janitorRemoved = new AtomicLong();
    private volatile long lastProbeReceived;
    private int connectFailures; // cluster thread
    private long lastConnectLog; // cluster thread

    record Peer(String id, String gen, Map<String, String> info) {
    }

    /**
     * @param msgIds       the gateway's msg_id dedup: pushes this node takes and those other nodes send it
     * @param channelClass the socket channel class of the gateway's loops (see {@link SharedLoops})
     */
    public Cluster(ClusterConfig config, Registry registry, LocalRouter local, MsgIds msgIds, EventLoopGroup loops,
                   Class<? extends io.netty.channel.socket.SocketChannel> channelClass) {
        this.config = config;
        this.keys = new Keys(config.keyPrefix());
        this.registry = registry;
        this.local = local;
        this.loops = loops;
        this.channelClass = channelClass;
        this.msgIds = msgIds;
        this.exec = daemonExecutor("gatewayd-cluster");
        this.janitorThread = daemonExecutor("gatewayd-cluster-janitor");
        this.timer = daemonExecutor("gatewayd-cluster-timer");
        this.mirror = new Mirror(registry, keys, exec);
        this.router = new ClusterRouter(this);
    }

    private static ScheduledThreadPoolExecutor daemonExecutor(String name) {
        ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        e.setRemoveOnCancelPolicy(true);
        return e;
    }

    public Router router() {
        return router;
    }

    /**
     * Joins the cluster as {@code nodeId} (the 12-hex client_id prefix). Returns at once: the
     * connection to Redis is made in the background, and the node serves its own clients (and
     * answers cluster-wide calls with 503 cluster_unavailable) until it is.
     *
     * @param controlUrl this node's control API, shown by status on every node
     */
    public void start(String nodeId, String controlUrl, String version) {
        this.nodeId = nodeId;
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "localhost";
        }
        this.info = Map.of("pid", Long.toString(ProcessHandle.current().pid()), "host", host, "control", controlUrl,
                "version", version);
        this.subs = new Subscriptions(List.of(keys.all(), keys.nodeChannel(nodeId), keys.control()),
                config.resubscribeBatch());
        this.link = new RedisLink(config, loops, channelClass, new RedisLink.Events() {
            @Override
            public void connectionChanged() {
                submit(Cluster.this::onConnectionChanged);
            }

            @Override
            public void subscriberLost(StatefulRedisPubSubConnection<String, byte[]> which) {
                submit(() -> onSubscriberLost(which, "the connection closed"));
            }

            @Override
            public void message(String channel, byte[] data) {
                onMessage(data);
            }
        });
        mirror.bind(() -> link.mirrorConnection().async(), () -> link.commandsUp(), subs::apply,
                config.mirrorTtl().toMillis());
        mirror.flusher(() -> link.mirrorConnection().flushCommands());
        mirror.onFullWriteNeeded(() -> exec.schedule(guard(this::connectStep), 50, TimeUnit.MILLISECONDS));
        registry.listener(mirror);
        LOG.info("cluster mode: node {} (boot {}) joining through {}{}", nodeId, boot, config.redactedRedis(),
                "");
        submit(this::connectStep);
        long beat = config.heartbeat().toMillis();
        exec.scheduleWithFixedDelay(guard(this::heartbeat), beat, beat, TimeUnit.MILLISECONDS);
        timer.scheduleWithFixedDelay(guard(this::keepAliveWhileJoining), beat, beat, TimeUnit.MILLISECONDS);
        long probe = config.probeInterval().toMillis();
        exec.scheduleWithFixedDelay(guard(this::probe), probe, probe, TimeUnit.MILLISECONDS);
        long ttl = config.mirrorTtl().toMillis() / 3;
        exec.scheduleWithFixedDelay(guard(mirror::refreshTtl), ttl, ttl, TimeUnit.MILLISECONDS);
        long jan = config.janitorInterval().toMillis();
        janitorThread.scheduleWithFixedDelay(guard(this::janitor), jan / 2 + RANDOM.nextInt((int) Math.max(1, jan / 2)),
                jan, TimeUnit.MILLISECONDS);
    }

    private Runnable guard(Runnable r) {
        return () -> {
            if (stopped) {
                return;
            }
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.debug("cluster task failed: {}", e.toString());
            }
        };
    }

    void submit(Runnable r) {
        if (!stopped) {
            try {
                exec.execute(guard(r));
            } catch (java.util.concurrent.RejectedExecutionException ignored) {
                // stopping
            }
        }
    }

    /** Redis reachable, the mirror written and the subscription live: cluster-wide calls work. */
    public boolean available() {
        return available;
    }

    public String nodeId() {
        return nodeId;
    }

    // ---------------------------------------------------------------- connection state (cluster thread)

    private void onConnectionChanged() {
        if (link.commandsUp()) {
            if (!available || gen == null || mirror.needsFullWrite()) {
                connectStep();
            }
        } else {
            // anything written meanwhile is lost, and Redis may come back empty: rewrite everything
            mirror.invalidate();
            setAvailable(false, "lost the connection to Redis at " + config.redactedRedis()
                    + "; reconnecting (is Redis running and reachable?)");
        }
    }

    private void onSubscriberLost(StatefulRedisPubSubConnection<String, byte[]> which, String why) {
        if (which != null && which != subs.connection()) {
            return; // an old connection, already replaced
        }
        if (subs.up()) {
            LOG.warn("cluster: the Redis subscription is lost ({}); reconnecting it", why);
        }
        subs.detach();
        setAvailable(false, "the Redis subscription is down (" + why + ")");
        exec.schedule(guard(this::connectStep), 100, TimeUnit.MILLISECONDS);
    }

    /** Connects what is not connected, writes the mirror if needed, subscribes. Cluster thread. */
    private void connectStep() {
        if (stopped) {
            return;
        }
        long timeout = config.commandTimeout().toMillis();
        joining = true;
        try {
            if (!link.opened()) {
                link.connect();
            }
            if (!link.commandsUp()) {
                return; // Lettuce reconnects these by itself; connectionChanged calls us again
            }
            if (!idChecked) {
                refuseDuplicateNodeId(timeout);
                idChecked = true;
            }
            if (gen == null || mirror.needsFullWrite()) {
                fullWrite(timeout);
            }
            if (!subs.up()) {
                attach(timeout);
            }
            connectFailures = 0;
            setAvailable(true, null);
        } catch (Exception e) {
            String why = connectProblem(e);
            setAvailable(false, why);
            long now = System.currentTimeMillis();
            if (connectFailures == 0 || now - lastConnectLog > 60_000) {
                lastConnectLog = now;
                if (e instanceof DuplicateNodeIdException) { // Redis is fine: the other process must go
                    LOG.warn("cluster: not joining: {}. Local clients are served; cluster-wide calls answer 503 "
                            + "cluster_unavailable until the other process is gone (checking again)", why);
                } else {
                    LOG.warn("cluster: cannot use Redis at {}: {}. Local clients are served; cluster-wide calls "
                            + "answer 503 cluster_unavailable until Redis is back (retrying)", config.redactedRedis(), why);
                }
            }
            connectFailures++;
            long delay = Math.min(5000, 200L << Math.min(5, connectFailures));
            exec.schedule(guard(this::connectStep), delay, TimeUnit.MILLISECONDS);
        } finally {
            joining = false;
        }
    }

    /**
     * Why connecting failed, for the log and status. Lettuce reports every failure as "Unable to
     * connect to host/<unresolved>:port"; the cause that says why (a refused password, a database
     * Redis does not have) is further down the chain.
     */
    static String connectProblem(Throwable e) {
        Throwable root = e;
        Throwable redisSaid = null; // Redis' own error (WRONGPASS, ERR ...), wherever Lettuce put it
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            root = t;
            if (redisSaid == null && t instanceof io.lettuce.core.RedisCommandExecutionException) {
                redisSaid = t;
            }
            for (Throwable s : t.getSuppressed()) {
                if (redisSaid == null && s instanceof io.lettuce.core.RedisCommandExecutionException) {
                    redisSaid = s;
                }
            }
        }
        if (redisSaid != null && redisSaid.getMessage() != null) {
            root = redisSaid;
        }
        String msg = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        msg = msg.replace("/<unresolved>", "");
        if (msg.startsWith("WRONGPASS") || msg.startsWith("NOAUTH") || msg.contains("AUTH")) {
            return msg + "; check the user and password in cluster.redis";
        }
        if (msg.contains("DB index is out of range")) {
            return msg + "; cluster.redis names a database this Redis does not have (its `databases` setting)";
        }
        return msg;
    }

    private void setAvailable(boolean now, String why) {
        boolean was = available;
        available = now;
        lastError = why;
        long t = System.currentTimeMillis();
        if (was && !now) {
            downSinceMillis = t;
            outages.incrementAndGet();
            LOG.warn("cluster: degraded: {}. Local delivery continues; pushes to other nodes are not delivered "
                    + "(at-most-once) until Redis is back", why);
        } else if (!was && now) {
            if (outages.get() > 0) {
                lastOutageMillis = t - downSinceMillis;
                LOG.info("cluster: Redis is back after {} ms; mirror rewritten, subscriptions restored", lastOutageMillis);
            } else {
                LOG.info("cluster: node {} joined through {}", nodeId, config.redactedRedis());
            }
        }
    }

    /**
     * Before joining: a live process that already uses this node id (same lan-ip and control port,
     * e.g. two hosts both resolving node.lan-ip to 127.0.0.1) is subscribed to the node's channel,
     * so a publish there reaches it. A crashed predecessor is not subscribed any more, so a restart
     * on the same address is not refused.
     */
    private static final class DuplicateNodeIdException extends IllegalStateException {
        DuplicateNodeIdException(String message) {
            super(message);
        }
    }

    private void refuseDuplicateNodeId(long timeout) throws Exception {
        if (subs.up()) {
            return;
        }
        ObjectNode h = Envelope.JSON.createObjectNode().put("token", 0);
        long n = publish(keys.nodeChannel(nodeId), Envelope.of(Envelope.Type.PROBE, nextId(), nodeId, h))
                .get(timeout, TimeUnit.MILLISECONDS);
        if (n > 0) {
            throw new DuplicateNodeIdException("another live gatewayd already uses node id " + nodeId + " (node.lan-ip "
                    + "and control port make it); give each process its own control port, and set node.lan-ip to "
                    + "each host's own address");
        }
    }

    private void attach(long timeout) throws Exception {
        int n = subs.attach(link.connectSubscriber(), timeout * 4);
        if (resubscribes.getAndIncrement() > 0) {
            LOG.info("cluster: resubscribed to {} channels", n);
        }
    }

    /**
     * Writes the whole mirror under a new generation, subscribes to what it holds, then points the
     * heartbeat key at it. Other nodes read a mirror only once the heartbeat key names its
     * generation, and then answer that its clients are online; pointed at it before the
     * subscriptions were live (a join, or a rejoin after Redis was lost, subscribing thousands of
     * channels), a push sent on that answer found no subscriber here and was lost, reported as
     * delivered 0.
     */
    private void fullWrite(long timeout) throws Exception {
        String next = hex(4);
        RedisAsyncCommands<String, String> c = link.cmd();
        writeInfo(gen).get(timeout, TimeUnit.MILLISECONDS); // alive before writing, so the janitor keeps off
        keyWritten = true;
        try {
            Set<String> channels = mirror.writeAll(keys.mirror(nodeId, next), timeout * 10);
            CompletableFuture<Void> wanted = subs.wantExactly(channels); // fails at once when not connected
            if (subs.up()) {
                wanted.get(timeout * 4, TimeUnit.MILLISECONDS);
            } else {
                attach(timeout);
            }
            writeInfo(next).get(timeout, TimeUnit.MILLISECONDS);
            c.hset(keys.nodes(), nodeId, next).get(timeout, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // the mirror now writes to a generation the heartbeat key may not name: the retry
            // writes a new one rather than keep updating an unread one
            mirror.invalidate();
            throw e;
        }
        String old = gen;
        gen = next;
        fullWrites.incrementAndGet();
        peers.put(nodeId, new Peer(nodeId, next, Map.of()));
        ObjectNode h = Envelope.JSON.createObjectNode().put("gen", next);
        publish(keys.control(), Envelope.of(Envelope.Type.HELLO, ids.incrementAndGet(), nodeId, h));
        janitorThread.execute(guard(() -> deleteMirrors(nodeId, old == null ? null : keys.mirror(nodeId, old),
                keys.mirror(nodeId, next), null)));
    }

    private CompletableFuture<Void> writeInfo(String generation) {
        RedisAsyncCommands<String, String> c = link.cmd();
        Map<String, String> fields = new LinkedHashMap<>(info);
        fields.put("boot", boot);
        fields.put("gen", generation == null ? "" : generation);
        fields.put("connections", Integer.toString(registry.size()));
        fields.put("uids", Integer.toString(registry.uidCount()));
        fields.put("groups", Integer.toString(registry.groupCount()));
        fields.put("beat_at", Long.toString(System.currentTimeMillis()));
        String key = keys.node(nodeId);
        var a = c.hset(key, fields).toCompletableFuture();
        var b = c.pexpire(key, config.nodeTtl().toMillis()).toCompletableFuture();
        return CompletableFuture.allOf(a, b);
    }

    // ---------------------------------------------------------------- heartbeat, peers, janitor, probe

    private void heartbeat() {
        if (!link.commandsUp() || gen == null) {
            return;
        }
        String mine = gen;
        link.cmd().hget(keys.node(nodeId), "gen").thenAccept(g -> {
            if (!mine.equals(g)) {
                // our heartbeat key vanished (Redis restarted or was flushed, or we stalled past
                // node-ttl and the janitor took our mirror): write everything again
                LOG.warn("cluster: this node's keys are missing in Redis (restarted, flushed, or this node "
                        + "stalled longer than node-ttl); rewriting its mirror");
                mirror.invalidate();
                submit(this::connectStep);
            } else {
                writeInfo(mine);
            }
        });
        refreshPeers();
    }

    /**
     * A join (or a resubscribe) waits on Redis on the cluster thread: a whole mirror to write, then
     * every interest channel to subscribe in batches, over a connection still to be opened. On a
     * loaded host or with many channels that takes longer than node-ttl, and the heartbeat, queued
     * behind it on the same thread, came too late: the key expired, other nodes left this node's
     * clients out of their answers, their janitor deleted its fresh mirror, and the first beat after
     * joining found the keys missing and rewrote everything. So meanwhile the timer thread
     * renews the key's expiry: one async PEXPIRE per beat, never waited for. PEXPIRE cannot create
     * the key, so it cannot bring back a key Redis lost (the heartbeat after the join still notices
     * that), nor race the fields the cluster thread writes; and it starts only once this process
     * wrote the key, so a crashed predecessor's key is not kept alive. Until the first join is
     * done (no generation yet) the heartbeat does not run at all, so the key is also renewed
     * between the attempts of a join that failed while subscribing.
     */
    private void keepAliveWhileJoining() {
        if ((joining || gen == null) && keyWritten && link != null && link.commandsUp()) {
            link.cmd().pexpire(keys.node(nodeId), config.nodeTtl().toMillis());
        }
    }

    /** Re-reads the live nodes and their heartbeat fields (async). */
    CompletableFuture<Void> refreshPeers() {
        RedisAsyncCommands<String, String> c = link.cmd();
        return c.hkeys(keys.nodes()).toCompletableFuture().thenCompose(ids -> {
            Map<String, CompletableFuture<Map<String, String>>> reads = new HashMap<>();
            for (String id : ids) {
                reads.put(id, c.hgetall(keys.node(id)).toCompletableFuture());
            }
            return CompletableFuture.allOf(reads.values().toArray(CompletableFuture[]::new)).thenAccept(v -> {
                Set<String> live = new HashSet<>();
                reads.forEach((id, f) -> {
                    Map<String, String> m = f.join();
                    String g = m.get("gen");
                    if (m.isEmpty() || g == null || g.isEmpty()) {
                        return;
                    }
                    live.add(id);
                    peers.put(id, new Peer(id, g, m));
                });
                peers.keySet().removeIf(id -> !live.contains(id) && !id.equals(nodeId));
            });
        });
    }

    /** Deletes the mirrors of dead nodes, one node at a time, under the cluster-wide janitor lock. */
    private void janitor() {
        if (!link.commandsUp()) {
            return;
        }
        long t = config.commandTimeout().toMillis();
        try {
            RedisAsyncCommands<String, String> c = link.cmd();
            String got = c.set(keys.janitorLock(), nodeId,
                    SetArgs.Builder.nx().px(Math.max(1000, config.janitorInterval().toMillis() * 4 / 5)))
                    .get(t, TimeUnit.MILLISECONDS);
            if (!"OK".equals(got)) {
                return;
            }
            for (String id : c.hkeys(keys.nodes()).get(t, TimeUnit.MILLISECONDS)) {
                if (id.equals(nodeId) || c.exists(keys.node(id)).get(t, TimeUnit.MILLISECONDS) > 0) {
                    continue;
                }
                long n = deleteMirrors(id, null, null, keys.node(id));
                if (n < 0) {
                    LOG.info("cluster janitor: node {} came back while its mirror was being deleted; left it", id);
                    continue;
                }
                // only if it did not come back meanwhile
                if (c.exists(keys.node(id)).get(t, TimeUnit.MILLISECONDS) == 0) {
                    c.hdel(keys.nodes(), id).get(t, TimeUnit.MILLISECONDS);
                }
                janitorRemoved.incrementAndGet();
                LOG.info("cluster janitor: node {} is dead (no heartbeat for {}); deleted its mirror ({} keys)", id,
                        io.gatewayd.config.Durations.format(config.nodeTtl()), n);
            }
        } catch (Exception e) {
            LOG.debug("cluster janitor: {}", e.toString());
        }
    }

    /**
     * Deletes only while KEYS[1], the node's heartbeat key, is absent: checked and deleted in one
     * step. The janitor finds a node dead, then scans its keys; a restarted node writes its
     * heartbeat key and then its new mirror meanwhile, and a separate check before each UNLINK
     * would still let that fresh mirror go.
     */
    private static final String UNLINK_IF_DEAD = "if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end "
            + "return redis.call('UNLINK', unpack(KEYS, 2))";

    /**
     * Deletes mirror keys of node {@code id}: of generation prefix {@code only}, or of every
     * generation except {@code keep} when {@code only} is null; when {@code unlessAlive} is given
     * (a dead node's heartbeat key), it stops as soon as that key exists again. Janitor thread;
     * returns the count, or -1 when it stopped because the node came back.
     */
    private long deleteMirrors(String id, String only, String keep, String unlessAlive) {
        if (!link.commandsUp()) {
            return 0;
        }
        long t = config.commandTimeout().toMillis();
        RedisAsyncCommands<String, String> c = link.cmd();
        String pattern = only != null ? only + "*" : keys.mirrorPattern(id);
        long deleted = 0;
        try {
            ScanCursor cursor = ScanCursor.INITIAL;
            do {
                KeyScanCursor<String> page = c.scan(cursor, ScanArgs.Builder.matches(pattern).limit(1000))
                        .get(t, TimeUnit.MILLISECONDS);
                List<String> doomed = new ArrayList<>();
                for (String k : page.getKeys()) {
                    if (keep == null || !k.startsWith(keep)) {
                        doomed.add(k);
                    }
                }
                for (int i = 0; i < doomed.size(); i += Mirror.BATCH) { // Lua's unpack takes a few thousand at most
                    List<String> part = doomed.subList(i, Math.min(doomed.size(), i + Mirror.BATCH));
                    if (unlessAlive == null) {
                        deleted += c.unlink(part.toArray(String[]::new)).get(t, TimeUnit.MILLISECONDS);
                        continue;
                    }
                    List<String> args = new ArrayList<>(part.size() + 1);
                    args.add(unlessAlive);
                    args.addAll(part);
                    long n = c.<Long>eval(UNLINK_IF_DEAD, io.lettuce.core.ScriptOutputType.INTEGER,
                            args.toArray(String[]::new)).get(t, TimeUnit.MILLISECONDS);
                    if (n < 0) {
                        return -1;
                    }
                    deleted += n;
                }
                cursor = page;
            } while (!cursor.isFinished());
        } catch (Exception e) {
            LOG.debug("cluster: deleting mirror keys of {}: {}", id, e.toString());
        }
        return deleted;
    }

    private void probe() {
        if (!subs.up() || !link.commandsUp()) {
            return;
        }
        long token = probesSent.incrementAndGet();
        StatefulRedisPubSubConnection<String, byte[]> conn = subs.connection();
        ObjectNode h = Envelope.JSON.createObjectNode().put("token", token).put("boot", boot);
        publish(keys.nodeChannel(nodeId), Envelope.of(Envelope.Type.PROBE, ids.incrementAndGet(), nodeId, h))
                .whenComplete((n, err) -> {
                    if (err == null && n == 0) {
                        probeFailures.incrementAndGet();
                        submit(() -> onSubscriberLost(conn, "Redis lists no subscriber for this node's channel"));
                    }
                });
        exec.schedule(guard(() -> {
            if (lastProbeReceived < token && subs.up() && subs.connection() == conn && link.commandsUp()) {
                probeFailures.incrementAndGet();
                onSubscriberLost(conn, "the self-probe did not come back within " + config.probeTimeout().toMillis()
                        + " ms: the subscription is silently dead");
            }
        }), config.probeTimeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- messages

    /** Publishes an envelope on one channel; completes with the number of receiving nodes. */
    CompletableFuture<Long> publish(String channel, Envelope e) {
        return publish(channel, e.encode());
    }

    CompletableFuture<Long> publish(String channel, byte[] bytes) {
        published.increment();
        try {
            return link.pub().publish(channel, bytes).toCompletableFuture();
        } catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    /** Answers the receivers of all the channels together, as the PUBLISHes one by one would add up. */
    private static final String PUBLISH_ALL = "local n = 0 for i = 1, #KEYS do n = n + redis.call('PUBLISH', KEYS[i], ARGV[1]) end return n";

    /**
     * One envelope on several channels in one step: with a PUBLISH per channel a node could move
     * its subscription from a channel not yet published to one already published in between (its
     * client rebound from uid B to uid A during a push to [A, B]) and get neither copy.
     */
    CompletableFuture<Long> publishAtOnce(List<String> channels, byte[] bytes) {
        published.add(channels.size());
        try {
            return link.pub().<Long>eval(PUBLISH_ALL, io.lettuce.core.ScriptOutputType.INTEGER,
                    channels.toArray(String[]::new), bytes).toCompletableFuture();
        } catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
    }

    long nextId() {
        return ids.incrementAndGet();
    }

    /** Messages from Redis, on an event loop: decode and hand over, never block. */
    private void onMessage(byte[] data) {
        received.increment();
        Envelope e;
        try {
            e = Envelope.decode(data);
        } catch (IllegalArgumentException ex) {
            malformed.increment();
            LOG.debug("cluster: dropped a malformed message: {}", ex.getMessage());
            return;
        }
        boolean self = nodeId.equals(e.origin());
        try {
            switch (e.type()) {
                case PUSH, UNGROUP -> {
                    if (self) {
                        PushWait w = pendingPush(e.id());
                        if (w != null) {
                            w.ack(nodeId, 0);
                        }
                    } else {
                        router.servePush(e);
                    }
                }
                case REPORT -> {
                    PushWait w = pendingPush(e.id());
                    if (w != null) {
                        w.ack(e.origin(), e.header().path("n").asLong());
                    }
                }
                case REQUEST -> router.serveRequest(e);
                case REPLY -> {
                    Object w = pending.remove(e.id());
                    if (w instanceof ReplyWait rw) {
                        rw.future.complete(e.header());
                    }
                }
                case PROBE -> {
                    // tokens count from 1 in each life of the node id: a late probe of the
                    // previous process would vouch for probes this one has not got back
                    if (self && boot.equals(e.header().path("boot").asText())) {
                        lastProbeReceived = Math.max(lastProbeReceived, e.header().path("token").asLong());
                    }
                }
                case HELLO -> {
                    if (!self) {
                        if (e.header().path("bye").asBoolean(false)) {
                            peers.remove(e.origin());
                        } else {
                            Peer before = peers.get(e.origin());
                            peers.put(e.origin(), new Peer(e.origin(), e.header().path("gen").asText(),
                                    before == null ? Map.of() : before.info()));
                        }
                    }
                }
                default -> malformed.increment();
            }
        } catch (RuntimeException ex) {
            malformed.increment();
            LOG.debug("cluster: message {} from {} failed: {}", e.type(), e.origin(), ex.toString());
        }
    }

    private PushWait pendingPush(long id) {
        Object w = pending.get(id);
        return w instanceof PushWait pw ? pw : null;
    }

    /** Waits for the reports of the nodes a push reached (see {@link #publishPush}). */
    final class PushWait {
        final long id;
        final long local;
        final CompletableFuture<Router.Delivered> future = new CompletableFuture<>();
        private long expected = -1;
        private int acks;
        private long remote;
        private final Set<String> reporters = new HashSet<>();

        PushWait(long id, long local) {
            this.id = id;
            this.local = local;
        }

        synchronized void expect(long n) {
            expected = n;
            check();
        }

        synchronized void ack(String from, long n) {
            acks++;
            remote += n;
            if (!from.equals(nodeId)) {
                reporters.add(from);
            }
            check();
        }

        private void check() {
            if (expected >= 0 && acks >= expected) {
                pending.remove(id);
                future.complete(new Router.Delivered(local + remote,
                        new Router.Delivered.ClusterPart(local, reporters.size(), 0)));
            }
        }

        synchronized void timeout() {
            if (future.isDone()) {
                return;
            }
            pending.remove(id);
            if (expected < 0) {
                // Redis has not even confirmed the PUBLISH (stalled, not yet disconnected): no node
                // is known to have it, and it may still reach them late. Say so, as for an outage,
                // rather than report a success that reached no other node.
                future.completeExceptionally(ClusterRouter.unavailable(local, new java.util.concurrent.TimeoutException(
                        "it did not confirm the publish within cluster.ack-timeout (" + config.ackTimeout().toMillis()
                                + " ms); other nodes may still get it late")));
                return;
            }
            long missing = expected < 0 ? 0 : Math.max(0, expected - acks);
            future.complete(new Router.Delivered(local + remote,
                    new Router.Delivered.ClusterPart(local, reporters.size() + (int) missing, (int) missing)));
        }
    }

    /**
     * Publishes a push on {@code channels} and completes, once every node that got it reported its
     * count (or after ack-timeout), with local plus reported deliveries. Each receiving subscriber
     * answers once per copy, this node included (its own echo counts as its answer), so the
     * number of answers to wait for is exactly the sum of PUBLISH results.
     */
    CompletableFuture<Router.Delivered> publishPush(Envelope.Type type, List<String> channels, ObjectNode header,
                                                    byte[] payload, long local) {
        long id = nextId();
        boolean wait = !overloaded();
        header.put("report", wait);
        byte[] bytes = new Envelope(type, id, nodeId, header, payload).encode();
        PushWait w = new PushWait(id, local);
        if (wait) {
            pending.put(id, w);
        }
        CompletableFuture<Long> sent = channels.size() == 1 ? publish(channels.get(0), bytes)
                : publishAtOnce(channels, bytes);
        sent.whenComplete((receivers, err) -> {
            if (err != null) {
                pending.remove(id);
                w.future.completeExceptionally(ClusterRouter.unavailable(local, err));
                return;
            }
            if (!wait) {
                w.future.complete(new Router.Delivered(local, new Router.Delivered.ClusterPart(local,
                        (int) Math.max(0, receivers - 1), 0)));
                return;
            }
            w.expect(receivers);
        });
        if (wait) {
            deadline(w, w.future, w::timeout, config.ackTimeout().toMillis());
        }
        return w.future;
    }

    /** Waits for one node's REPLY. */
    static final class ReplyWait {
        final CompletableFuture<ObjectNode> future = new CompletableFuture<>();
    }

    /**
     * Sends a request to node {@code node}. Completes with its reply header, with null when no
     * such node is subscribed (it is gone), exceptionally with {@link java.util.concurrent.TimeoutException}
     * after {@code timeoutMillis}, or with cluster_unavailable when Redis fails.
     */
    CompletableFuture<ObjectNode> request(String node, ObjectNode header, byte[] payload, long timeoutMillis) {
        if (overloaded()) {
            return CompletableFuture.failedFuture(overloaded(-1));
        }
        long id = nextId();
        ReplyWait w = new ReplyWait();
        pending.put(id, w);
        publish(keys.nodeChannel(node), new Envelope(Envelope.Type.REQUEST, id, nodeId, header, payload))
                .whenComplete((n, err) -> {
                    if (err != null) {
                        pending.remove(id);
                        w.future.completeExceptionally(ClusterRouter.unavailable(0, err));
                    } else if (n == 0) {
                        pending.remove(id);
                        w.future.complete(null);
                    }
                });
        deadline(w, w.future, () -> {
            if (pending.remove(id) != null) {
                w.future.completeExceptionally(new java.util.concurrent.TimeoutException(
                        "node " + node + " did not answer within " + timeoutMillis + " ms"));
            }
        }, timeoutMillis);
        return w.future;
    }

    /**
     * Runs {@code expire} on the timer after {@code millis} unless wait {@code w} is {@code done} by then.
     * PushWait and ReplyWait complete from any thread (answers come on event loops): PushWait is
     * synchronized, ReplyWait's owner is whoever removes it from {@code pending}. Once stopped,
     * the timer takes nothing more: the wait fails now, as stop() fails those it found.
     */
    private void deadline(Object w, CompletableFuture<?> done, Runnable expire, long millis) {
        try {
            var t = timer.schedule(expire, millis, TimeUnit.MILLISECONDS);
            done.whenComplete((v, e) -> t.cancel(false));
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            failStopped(w);
        }
    }

    private void failStopped(Object w) {
        if (w instanceof PushWait pw) {
            pw.timeout();
        } else if (w instanceof ReplyWait rw) {
            rw.future.completeExceptionally(ClusterRouter.unavailable(0, null));
        }
    }

    /** True while this node waits for as many answers as it keeps: requests are refused. */
    boolean overloaded() {
        return pending.size() >= maxPending;
    }

    /**
     * The caller's 503 overloaded when this node cannot ask other nodes: not cluster_unavailable,
     * since Redis and the other nodes are fine, and retrying later helps.
     *
     * @param deliveredLocal connections on this node that already got the push, or -1
     */
    io.gatewayd.routing.OverloadedException overloaded(long deliveredLocal) {
        return new io.gatewayd.routing.OverloadedException("the gateway is overloaded: this node is already waiting "
                + "for other nodes' answers to " + maxPending + " cluster requests (are other nodes or Redis slow to "
                + "answer?)" + (deliveredLocal > 0 ? "; delivered to " + deliveredLocal + " connection(s) on this node "
                + "only (send a msg_id so a retry is not delivered twice)" : "") + "; retry later", deliveredLocal);
    }

    void reply(Envelope request, ObjectNode header) {
        publish(keys.nodeChannel(request.origin()), Envelope.of(Envelope.Type.REPLY, request.id(), nodeId, header));
    }

    void report(Envelope push, long n) {
        ObjectNode h = Envelope.JSON.createObjectNode().put("n", n);
        publish(keys.nodeChannel(push.origin()), Envelope.of(Envelope.Type.REPORT, push.id(), nodeId, h));
    }

    // ---------------------------------------------------------------- for the router

    /** Live nodes other than this one, as last seen. */
    List<Peer> remotePeers() {
        List<Peer> out = new ArrayList<>();
        for (Peer p : peers.values()) {
            if (!p.id().equals(nodeId)) {
                out.add(p);
            }
        }
        return out;
    }

    /** A redis command interface for queries; throws cluster_unavailable when down. */
    RedisAsyncCommands<String, String> queries() {
        if (!available || link == null) {
            throw ClusterRouter.unavailable(-1, null);
        }
        return link.cmd();
    }

    /** Completes after this node's mirror and subscriptions include every change made so far. */
    CompletableFuture<Void> sync() {
        // bounded: a caller is never kept waiting on Redis for longer than a few command timeouts
        return mirror.sync().orTimeout(config.commandTimeout().toMillis() * 3, TimeUnit.MILLISECONDS);
    }

    // ---------------------------------------------------------------- status, locks, stop

    /** The "cluster" section of /api/status. Computed from memory, never from a Redis call. */
    public Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("node_id", nodeId);
        s.put("boot", boot);
        s.put("state", stopped ? "stopped" : available ? "ok" : "degraded");
        Map<String, Object> redis = new LinkedHashMap<>();
        redis.put("url", config.redactedRedis());
        redis.put("state", available ? "up" : link != null && link.commandsUp() ? "partial" : "down");
        redis.put("subscriber", subs != null && subs.up() ? "up" : "down");
        if (!available) {
            redis.put("down_since", Instant.ofEpochMilli(downSinceMillis).toString());
            redis.put("error", lastError);
        }
        redis.put("outages", outages.get());
        redis.put("last_outage_ms", lastOutageMillis);
        redis.put("shares_event_loops", link != null && link.sharingLoops());
        s.put("redis", redis);
        List<Map<String, Object>> nodes = new ArrayList<>();
        long total = 0;
        for (Peer p : new java.util.TreeMap<>(peers).values()) {
            Map<String, Object> n = new LinkedHashMap<>();
            boolean self = p.id().equals(nodeId);
            n.put("node_id", p.id());
            n.put("self", self);
            int conns = self ? registry.size() : parseInt(p.info().get("connections"));
            n.put("connections", conns);
            n.put("uids", self ? registry.uidCount() : parseInt(p.info().get("uids")));
            n.put("groups", self ? registry.groupCount() : parseInt(p.info().get("groups")));
            Map<String, String> i = self ? info : p.info();
            String pid = i.get("pid");
            n.put("pid", pid != null && pid.matches("\\d{1,18}") ? (Object) Long.parseLong(pid) : pid); // a number, as /api/status' own pid
            n.put("host", i.get("host"));
            n.put("control", i.get("control"));
            String beat = p.info().get("beat_at");
            if (!self && beat != null) {
                n.put("heartbeat_age_ms", Math.max(0, System.currentTimeMillis() - Long.parseLong(beat)));
            }
            nodes.add(n);
            total += conns;
        }
        s.put("nodes", nodes);
        s.put("connections_total", total);
        s.put("subscriptions", subs == null ? 0 : subs.count());
        s.put("pending_answers", pending.size());
        s.put("mirror_pending", mirror.pending());
        s.put("mirror_full_writes", fullWrites.get());
        s.put("dedup_entries", msgIds.size());
        Map<String, Object> msgs = new LinkedHashMap<>();
        msgs.put("published", published.sum());
        msgs.put("received", received.sum());
        msgs.put("malformed", malformed.sum());
        msgs.put("duplicates_dropped", msgIds.dropped());
        msgs.put("too_large_dropped", tooLargeDropped.sum());
        s.put("messages", msgs);
        Map<String, Object> probe = new LinkedHashMap<>();
        probe.put("sent", probesSent.get());
        probe.put("failed", probeFailures.get());
        probe.put("resubscribes", Math.max(0, resubscribes.get() - 1));
        s.put("probe", probe);
        s.put("janitor_removed_nodes", janitorRemoved.get());
        return s;
    }

    private static int parseInt(String s) {
        try {
            return s == null ? 0 : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** The cron lock for run-on: one across the cluster. */
    public JobLock jobLock(String self) {
        return new RedisJobLock(this, self);
    }

    /**
     * Leaves the cluster: says goodbye, deletes this node's keys so the others stop counting its
     * clients at once, closes the connections. Bounded by a few command timeouts.
     */
    public void stop() {
        if (stopped) {
            return;
        }
        long t = config.commandTimeout().toMillis();
        try {
            exec.submit(() -> {
                if (link != null && link.commandsUp() && nodeId != null) {
                    try {
                        ObjectNode h = Envelope.JSON.createObjectNode().put("bye", true);
                        publish(keys.control(), Envelope.of(Envelope.Type.HELLO, nextId(), nodeId, h))
                                .get(t, TimeUnit.MILLISECONDS);
                        RedisAsyncCommands<String, String> c = link.cmd();
                        c.del(keys.node(nodeId)).get(t, TimeUnit.MILLISECONDS);
                        c.hdel(keys.nodes(), nodeId).get(t, TimeUnit.MILLISECONDS);
                    } catch (Exception e) {
                        LOG.debug("cluster: leaving: {}", e.toString());
                    }
                }
            }).get(t * 3, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.debug("cluster: leaving: {}", e.toString());
        }
        stopped = true;
        registry.listener(null);
        if (link != null && nodeId != null) {
            try {
                janitorThread.submit(() -> deleteMirrors(nodeId, null, null, null)).get(t * 5, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.debug("cluster: deleting the mirror: {}", e.toString());
            }
        }
        available = false;
        exec.shutdownNow();
        janitorThread.shutdownNow();
        // before failing the waits: shutdownNow drops deadlines not yet run, so a wait whose deadline
        // the timer accepted is in pending (put first) and fails below; a later one is refused a
        // deadline and fails at once (see deadline)
        timer.shutdownNow();
        pending.values().forEach(this::failStopped);
        pending.clear();
        if (subs != null) {
            subs.detach();
        }
        if (link != null) {
            link.close();
        }
        LOG.info("cluster: node {} left", nodeId);
    }

    static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
