package io.gatewayd.cluster;

import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.pubsub.api.async.RedisPubSubAsyncCommands;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The node's pub/sub subscriber: the fixed channels (broadcast, its own node channel, membership)
 * plus the interest channels of the uids and groups it holds members of. Everything here runs on
 * the cluster thread. On a new connection every wanted channel is subscribed again, in batches of
 * {@code cluster.resubscribe-batch} channels per SUBSCRIBE.
 */
final class Subscriptions {
    private final Set<String> fixed;
    private final int batch;
    private final Set<String> wanted = new HashSet<>();
    private StatefulRedisPubSubConnection<String, byte[]> conn;
    private volatile boolean up;
    private volatile int count;

    Subscriptions(Collection<String> fixed, int batch) {
        this.fixed = Set.copyOf(fixed);
        this.batch = batch;
    }

    boolean up() {
        return up;
    }

    int count() {
        return count;
    }

    StatefulRedisPubSubConnection<String, byte[]> connection() {
        return conn;
    }

    /** Records what is wanted and, when connected, subscribes / unsubscribes it. */
    CompletableFuture<Void> apply(Collection<String> subscribe, Collection<String> unsubscribe) {
        wanted.addAll(subscribe);
        wanted.removeAll(unsubscribe);
        wanted.removeAll(fixed);
        count = wanted.size() + fixed.size();
        if (!up) {
            return CompletableFuture.failedFuture(new IllegalStateException("the Redis subscription is down"));
        }
        RedisPubSubAsyncCommands<String, byte[]> a = conn.async();
        List<CompletableFuture<Void>> all = new ArrayList<>();
        // subscribing first: Redis runs one connection's commands in order, so a client moved
        // from the last member's uid B to uid A is behind a subscribed channel at every moment,
        // and a push to [A, B] (published atomically) reaches this node
        List<String> sub = new ArrayList<>(subscribe);
        sub.retainAll(wanted);
        for (List<String> part : parts(sub)) {
            all.add(a.subscribe(part.toArray(String[]::new)).toCompletableFuture());
        }
        List<String> unsub = new ArrayList<>(unsubscribe);
        unsub.removeAll(fixed);
        unsub.removeAll(wanted); // re-wanted meanwhile
        for (List<String> part : parts(unsub)) {
            all.add(a.unsubscribe(part.toArray(String[]::new)).toCompletableFuture());
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /** Replaces the wanted interest channels wholesale (after a full mirror write). */
    CompletableFuture<Void> wantExactly(Set<String> channels) {
        Set<String> gone = new HashSet<>(wanted);
        gone.removeAll(channels);
        Set<String> added = new HashSet<>(channels);
        added.removeAll(wanted);
        return apply(added, gone);
    }

    /**
     * Takes a freshly opened connection and subscribes everything wanted, in batches, waiting up
     * to {@code timeoutMillis} per batch. Cluster thread.
     *
     * @return how many channels were subscribed
     */
    int attach(StatefulRedisPubSubConnection<String, byte[]> fresh, long timeoutMillis) throws Exception {
        detach();
        conn = fresh;
        List<String> all = new ArrayList<>(fixed);
        all.addAll(wanted);
        RedisPubSubAsyncCommands<String, byte[]> a = fresh.async();
        for (List<String> part : parts(all)) {
            a.subscribe(part.toArray(String[]::new)).get(timeoutMillis, TimeUnit.MILLISECONDS);
        }
        up = true;
        count = all.size();
        return all.size();
    }

    /** The connection is lost or to be replaced: close it. */
    void detach() {
        up = false;
        StatefulRedisPubSubConnection<String, byte[]> c = conn;
        conn = null;
        if (c != null) {
            c.closeAsync();
        }
    }

    private List<List<String>> parts(List<String> channels) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < channels.size(); i += batch) {
            out.add(channels.subList(i, Math.min(channels.size(), i + batch)));
        }
        return out;
    }
}
