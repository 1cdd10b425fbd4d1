package io.gatewayd.cluster;

import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Keeps this node's mirror in Redis (its client ids with their uid, its uids with their client
 * ids, its group memberships) and
 * its interest subscriptions in step with the local registry, which stays the truth.
 *
 * <p>The registry listener only records <em>what</em> changed (a client, a (uid, client) or a
 * (group, client) pair) in a set; the cluster thread then reads the current local state of each
 * recorded item and writes that, in one batch. Writing state rather than replaying events makes
 * every write idempotent and order-free: an item changed twice is written once, with its latest
 * state. {@link #sync()} completes once everything recorded before the call is in Redis and the
 * node is subscribed to what it now needs, which is what lets an owner acknowledge a bindUid
 * only when a sendToUid from any node will reach the client.
 */
final class Mirror implements Registry.Listener {
    /** Recorded items beyond this are dropped and the whole mirror is rewritten instead. */
    static final int MAX_DIRTY = 1_000_000;
    static final int BATCH = 1000;

    private record ClientItem(String clientId) {
    }

    private record UidItem(String uid) {
    }

    private record GroupItem(String group, String clientId) {
    }

    /** Subscribes and unsubscribes interest channels; completes when Redis confirmed. */
    interface Interest {
        CompletableFuture<Void> apply(Collection<String> subscribe, Collection<String> unsubscribe);
    }

    private final Registry registry;
    private final Keys keys;
    private final java.util.concurrent.Executor exec;
    private final ConcurrentHashMap<Object, Boolean> dirty = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicBoolean flushQueued = new java.util.concurrent.atomic.AtomicBoolean();
    private final Object waitersLock = new Object();
    private List<CompletableFuture<Void>> waiters = new ArrayList<>(); // guarded by waitersLock
    private volatile boolean overflowed;
    private final java.util.concurrent.atomic.AtomicLong flushes = new java.util.concurrent.atomic.AtomicLong();

    // cluster thread only
    private CompletableFuture<Void> lastFlush = CompletableFuture.completedFuture(null);
    /** Completes (never exceptionally) once the last deferred flush's commands are sent. */
    private CompletableFuture<Void> lastSend = CompletableFuture.completedFuture(null);
    private Interest interest;
    private java.util.function.Supplier<RedisAsyncCommands<String, String>> redis;
    private java.util.function.BooleanSupplier ready;
    private String mirror; // key prefix of the current generation; null until the first full write
    private long ttlMillis;

    Mirror(Registry registry, Keys keys, java.util.concurrent.Executor clusterThread) {
        this.registry = registry;
        this.keys = keys;
        this.exec = clusterThread;
    }

    void bind(java.util.function.Supplier<RedisAsyncCommands<String, String>> redis, java.util.function.BooleanSupplier ready,
              Interest interest, long ttlMillis) {
        this.redis = redis;
        this.ready = ready;
        this.interest = interest;
        this.ttlMillis = ttlMillis;
    }

    // ---------------------------------------------------------------- registry listener (any thread)

    @Override
    public void added(Connection c) {
        mark(new ClientItem(c.clientId()));
    }

    @Override
    public void removed(Connection c, String uid, Collection<String> groups) {
        mark(new ClientItem(c.clientId()));
        if (uid != null) {
            mark(new UidItem(uid));
        }
        for (String g : groups) {
            mark(new GroupItem(g, c.clientId()));
        }
    }

    @Override
    public void uidChanged(Connection c, String before, String after) {
        mark(new ClientItem(c.clientId()));
        if (before != null) {
            mark(new UidItem(before));
        }
        if (after != null) {
            mark(new UidItem(after));
        }
    }

    @Override
    public void groupChanged(Connection c, String group, boolean joined) {
        mark(new GroupItem(group, c.clientId()));
    }

    private void mark(Object item) {
        if (overflowed) {
            return;
        }
        if (dirty.size() >= MAX_DIRTY) {
            overflowed = true; // the next full write covers everything
            dirty.clear();
            return;
        }
        dirty.put(item, Boolean.TRUE);
        queueFlush();
    }

    private void queueFlush() {
        if (flushQueued.compareAndSet(false, true)) {
            try {
                exec.execute(this::flush);
            } catch (java.util.concurrent.RejectedExecutionException stopping) {
                flushQueued.set(false); // the cluster is stopping; never throw into the registry
            }
        }
    }

    /** Completes when what changed before this call is written and subscribed (or fails: Redis unavailable). */
    CompletableFuture<Void> sync() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        synchronized (waitersLock) {
            waiters.add(f);
        }
        flushQueued.set(true);
        try {
            exec.execute(this::flush);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            f.completeExceptionally(new IllegalStateException("the cluster is stopping"));
        }
        return f;
    }

    int pending() {
        return dirty.size();
    }

    long flushes() {
        return flushes.get();
    }

    boolean needsFullWrite() {
        return overflowed || mirror == null;
    }

    // ---------------------------------------------------------------- cluster thread

    private List<CompletableFuture<Void>> takeWaiters() {
        synchronized (waitersLock) {
            List<CompletableFuture<Void>> w = waiters;
            waiters = new ArrayList<>();
            return w;
        }
    }

    /** The client ids of a uid on this node, space-separated (client ids are hex: no spaces). */
    static String joinedIds(Set<Connection> members) {
        StringBuilder sb = new StringBuilder();
        for (Connection c : members) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(c.clientId());
        }
        return sb.toString();
    }

    /** Writes what changed. Cluster thread. Never throws: a failure fails the waiters. */
    void flush() {
        flushQueued.set(false);
        List<CompletableFuture<Void>> done = takeWaiters();
        try {
            flush(done);
        } catch (RuntimeException e) {
            overflowed = true;
            fail(done, e);
        }
    }

    private void flush(List<CompletableFuture<Void>> done) {
        if (redis == null || !ready.getAsBoolean() || mirror == null || overflowed) {
            // nothing can be written item by item now; a full write covers it (after reconnecting,
            // or at once if Redis is fine and only the item set overflowed or a write failed)
            dirty.clear();
            fail(done, new IllegalStateException("Redis is unavailable"));
            if (overflowed && redis != null && ready.getAsBoolean()) {
                fullWriteNeeded.run();
            }
            return;
        }
        List<Function<RedisAsyncCommands<String, String>, RedisFuture<?>>> ops = new ArrayList<>();
        Set<String> uids = new HashSet<>();
        Set<String> groups = new HashSet<>();
        String m = mirror;
        for (Object item : dirty.keySet()) {
            dirty.remove(item); // before reading the state, so a change after this read marks it again
            if (item instanceof ClientItem ci) {
                Connection c = registry.get(ci.clientId());
                if (c != null && !c.isClosed()) {
                    String uid = c.uid();
                    ops.add(r -> r.hset(Keys.clients(m), ci.clientId(), uid == null ? "" : uid));
                } else {
                    ops.add(r -> r.hdel(Keys.clients(m), ci.clientId()));
                }
            } else if (item instanceof UidItem ui) {
                uids.add(ui.uid()); // written below from the uid's current members
            } else if (item instanceof GroupItem gi) {
                Connection c = registry.get(gi.clientId());
                boolean member = c != null && c.groups().contains(gi.group());
                String key = Keys.group(m, gi.group());
                ops.add(r -> member ? r.sadd(key, gi.clientId()) : r.srem(key, gi.clientId()));
                groups.add(gi.group());
            }
        }
        List<String> subscribe = new ArrayList<>();
        List<String> unsubscribe = new ArrayList<>();
        for (String uid : uids) {
            String ids = joinedIds(registry.byUid(uid));
            if (!ids.isEmpty()) {
                ops.add(r -> r.hset(Keys.uids(m), uid, ids));
                subscribe.add(keys.uidChannel(uid));
            } else {
                ops.add(r -> r.hdel(Keys.uids(m), uid));
                unsubscribe.add(keys.uidChannel(uid));
            }
        }
        for (String g : groups) {
            boolean any = !registry.byGroup(g).isEmpty();
            if (any) {
                ops.add(r -> r.sadd(Keys.groupSet(m), g));
                ops.add(r -> r.pexpire(Keys.group(m, g), ttlMillis));
                subscribe.add(keys.groupChannel(g));
            } else {
                ops.add(r -> r.srem(Keys.groupSet(m), g));
                unsubscribe.add(keys.groupChannel(g));
            }
        }
        flushes.incrementAndGet();
        CompletableFuture<Void> subscribed = subscribe.isEmpty() && unsubscribe.isEmpty()
                ? CompletableFuture.completedFuture(null) : interest.apply(subscribe, unsubscribe);
        // Other nodes answer from the mirror that a uid or group has members here, and then push to
        // its channel: what this flush adds is written only once its channel is subscribed, or a
        // push sent on that answer found no subscriber yet (two connections: Redis does not keep
        // the order of commands sent on each). Sends stay in flush order, so an older state
        // never lands after a newer one.
        CompletableFuture<Void> gate = subscribe.isEmpty() ? lastSend
                : CompletableFuture.allOf(lastSend, subscribed.handle((v, err) -> null));
        CompletableFuture<Void> written;
        if (gate.isDone()) {
            written = send(m, ops);
        } else {
            CompletableFuture<CompletableFuture<Void>> later = gate.thenApplyAsync(v -> send(m, ops), exec);
            lastSend = later.handle((v, err) -> null);
            written = later.thenCompose(f -> f);
        }
        // A waiter whose change was already taken (and sent) by the previous flush must not be
        // told "done" before that flush's commands are answered: complete in flush order.
        CompletableFuture<Void> previous = lastFlush.handle((v, err) -> null);
        CompletableFuture<Void> mine = CompletableFuture.allOf(written, subscribed, previous);
        lastFlush = mine;
        mine.whenComplete((v, err) -> {
            if (err != null) {
                overflowed = true; // something may be missing: rewrite everything
                fail(done, err);
                fullWriteNeeded.run();
            } else {
                done.forEach(f -> f.complete(null));
            }
        });
    }

    /**
     * Sends a flush's commands on the mirror connection (cluster thread), unless a full write
     * replaced generation {@code m} meanwhile: that wrote the current state already, and a late
     * write would leave an old generation's key behind with no expiry.
     */
    private CompletableFuture<Void> send(String m, List<Function<RedisAsyncCommands<String, String>, RedisFuture<?>>> ops) {
        if (!m.equals(mirror)) {
            return CompletableFuture.completedFuture(null);
        }
        RedisAsyncCommands<String, String> r = redis.get();
        List<RedisFuture<?>> sent = new ArrayList<>(ops.size());
        for (var op : ops) {
            sent.add(op.apply(r));
        }
        return flushAndJoin(sent);
    }

    /** Sends the batched commands and completes when all have answered. */
    CompletableFuture<Void> flushAndJoin(List<RedisFuture<?>> sent) {
        if (sent.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        redisConnectionFlush();
        CompletableFuture<?>[] all = new CompletableFuture<?>[sent.size()];
        for (int i = 0; i < all.length; i++) {
            all[i] = sent.get(i).toCompletableFuture();
        }
        return CompletableFuture.allOf(all);
    }

    private java.lang.Runnable flusher = () -> {
    };
    private Runnable fullWriteNeeded = () -> {
    };

    /** Called (any thread) when the item-by-item mirror can no longer be trusted. */
    void onFullWriteNeeded(Runnable r) {
        this.fullWriteNeeded = r;
    }

    void flusher(Runnable f) {
        this.flusher = f;
    }

    private void redisConnectionFlush() {
        flusher.run();
    }

    private static void fail(List<CompletableFuture<Void>> waiters, Throwable err) {
        waiters.forEach(f -> f.completeExceptionally(err));
    }

    /**
     * Writes the whole mirror under a new generation prefix {@code next} from the local registry
     * and waits for it (cluster thread, blocking up to {@code timeoutMillis}). Returns the interest
     * channels the node needs now. Changes made meanwhile are recorded and flushed afterwards.
     */
    Set<String> writeAll(String next, long timeoutMillis) throws Exception {
        overflowed = false;
        dirty.clear();
        RedisAsyncCommands<String, String> r = redis.get();
        List<RedisFuture<?>> sent = new ArrayList<>();
        Set<String> channels = new HashSet<>();
        Map<String, String> batch = new HashMap<>();
        String c = Keys.clients(next);
        for (Connection conn : registry.all()) {
            String uid = conn.uid();
            batch.put(conn.clientId(), uid == null ? "" : uid);
            if (batch.size() >= BATCH) {
                sent.add(r.hset(c, batch));
                batch = new HashMap<>();
            }
        }
        if (!batch.isEmpty()) {
            sent.add(r.hset(c, batch));
        }
        sent.add(r.pexpire(c, ttlMillis));
        Map<String, String> uidBatch = new HashMap<>();
        for (String u : registry.uidKeys()) {
            String ids = joinedIds(registry.byUid(u));
            if (!ids.isEmpty()) {
                uidBatch.put(u, ids);
            }
            if (uidBatch.size() >= BATCH) {
                sent.add(r.hset(Keys.uids(next), uidBatch));
                uidBatch = new HashMap<>();
            }
        }
        if (!uidBatch.isEmpty()) {
            sent.add(r.hset(Keys.uids(next), uidBatch));
        }
        sent.add(r.pexpire(Keys.uids(next), ttlMillis));
        writeIndex(r, sent, registry.groupKeys(), registry::byGroup, Keys.groupSet(next), g -> Keys.group(next, g));
        for (String u : registry.uidKeys()) {
            channels.add(keys.uidChannel(u));
        }
        for (String g : registry.groupKeys()) {
            channels.add(keys.groupChannel(g));
        }
        flushAndJoin(sent).get(timeoutMillis, TimeUnit.MILLISECONDS);
        mirror = next;
        return channels;
    }

    private void writeIndex(RedisAsyncCommands<String, String> r, List<RedisFuture<?>> sent, Set<String> names,
                            java.util.function.Function<String, Set<Connection>> members, String setKey,
                            java.util.function.Function<String, String> keyOf) {
        List<String> present = new ArrayList<>();
        for (String name : names) {
            List<String> ids = new ArrayList<>();
            for (Connection c : members.apply(name)) {
                ids.add(c.clientId());
            }
            if (ids.isEmpty()) {
                continue;
            }
            present.add(name);
            String key = keyOf.apply(name);
            for (int i = 0; i < ids.size(); i += BATCH) {
                sent.add(r.sadd(key, ids.subList(i, Math.min(ids.size(), i + BATCH)).toArray(String[]::new)));
            }
            sent.add(r.pexpire(key, ttlMillis));
        }
        for (int i = 0; i < present.size(); i += BATCH) {
            sent.add(r.sadd(setKey, present.subList(i, Math.min(present.size(), i + BATCH)).toArray(String[]::new)));
        }
        sent.add(r.pexpire(setKey, ttlMillis));
    }

    /** Refreshes the expiry of every key of the current mirror (cluster thread; async). */
    CompletableFuture<Void> refreshTtl() {
        String m = mirror;
        if (m == null || redis == null || !ready.getAsBoolean()) {
            return CompletableFuture.completedFuture(null);
        }
        RedisAsyncCommands<String, String> r = redis.get();
        List<RedisFuture<?>> sent = new ArrayList<>();
        sent.add(r.pexpire(Keys.clients(m), ttlMillis));
        sent.add(r.pexpire(Keys.uids(m), ttlMillis));
        sent.add(r.pexpire(Keys.groupSet(m), ttlMillis));
        for (String g : registry.groupKeys()) {
            sent.add(r.pexpire(Keys.group(m, g), ttlMillis));
        }
        return flushAndJoin(sent);
    }

    /** The key prefix of the current generation, or null before the first full write. */
    String current() {
        return mirror;
    }

    /** Forgets the current generation (Redis was lost): the next connection writes a new one. */
    void invalidate() {
        overflowed = true;
    }
}
