package io.gatewayd.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The local truth about connections: client_id → connection, uid → connections,
 * group → connections, and each connection's session.
 *
 * <p>Safe for concurrent use from every event loop and the control API. A connection's own
 * fields change under its monitor; each index entry changes inside {@link ConcurrentHashMap#compute},
 * which is atomic per key, so an index set never holds a connection whose own state disagrees.
 * Empty uid and group entries are removed as they empty.
 */
public final class Registry {
    private final ConcurrentHashMap<String, Connection> clients = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Set<Connection>> uids = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Set<Connection>> groups = new ConcurrentHashMap<>();
    private final AddFence uidAdds = new AddFence();
    private final AddFence groupAdds = new AddFence();
    private final AtomicLong peak = new AtomicLong();
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> emptyWaiters = new ConcurrentLinkedQueue<>();
    private volatile Listener listener = Listener.NONE;

    /**
     * Told about every change to the indexes, e.g. to mirror them elsewhere (cluster mode). Called
     * on the changing thread, possibly under the connection's monitor: implementations only record
     * what changed and return at once (no blocking, no calls back into the registry's writers).
     */
    public interface Listener {
        Listener NONE = new Listener() {
        };

        default void added(Connection c) {
        }

        /** {@code c} left the registry; it had {@code uid} (may be null) and {@code groups}. */
        default void removed(Connection c, String uid, java.util.Collection<String> groups) {
        }

        /** The uid of {@code c} changed from {@code before} to {@code after} (either may be null). */
        default void uidChanged(Connection c, String before, String after) {
        }

        default void groupChanged(Connection c, String group, boolean joined) {
        }
    }

    /** Sets the one listener (null: none). */
    public void listener(Listener l) {
        this.listener = l == null ? Listener.NONE : l;
    }

    private volatile java.util.function.IntSupplier maxGroupsPerConnection = () -> 0;
    private volatile java.util.function.IntSupplier maxConnectionsPerUid = () -> 0;
    private volatile java.util.function.Consumer<Connection> uidOverflow = c -> {
    };

    /**
     * Limits read on every join and bind (0 = none). A join over {@code maxGroups} throws
     * {@link LimitExceededException}; a bind that gives a uid more than {@code maxPerUid}
     * connections hands the oldest others to {@code overflow} (which closes them).
     */
    public void limits(java.util.function.IntSupplier maxGroups, java.util.function.IntSupplier maxPerUid,
                       java.util.function.Consumer<Connection> overflow) {
        this.maxGroupsPerConnection = maxGroups;
        this.maxConnectionsPerUid = maxPerUid;
        this.uidOverflow = overflow;
    }

    /** Adds a new connection; false if its id is already taken (the caller draws another). */
    public boolean add(Connection c) {
        if (clients.putIfAbsent(c.clientId(), c) != null) {
            return false;
        }
        int now = clients.size();
        peak.accumulateAndGet(now, Math::max);
        listener.added(c);
        return true;
    }

    /** Removes a closing connection from every index: it leaves its uid and all its groups. */
    public void remove(Connection c) {
        String lastUid;
        java.util.Collection<String> lastGroups;
        synchronized (c) {
            if (c.closed) {
                return;
            }
            c.closed = true;
            if (c.uid != null) {
                removeFromIndex(uids, c.uid, c);
            }
            if (c.groups != null) {
                for (String g : c.groups) {
                    removeFromIndex(groups, g, c);
                }
            }
            lastUid = c.uid;
            lastGroups = c.groups == null || listener == Listener.NONE ? List.of() : List.copyOf(c.groups);
        }
        clients.remove(c.clientId(), c);
        listener.removed(c, lastUid, lastGroups);
        completeIfEmpty();
    }

    /**
     * Completes once no connection is left (at once if none is), on the thread that removed the
     * last one — often an event loop, so dependent actions must not block.
     */
    public CompletableFuture<Void> whenEmpty() {
        CompletableFuture<Void> f = new CompletableFuture<>();
        emptyWaiters.add(f);
        completeIfEmpty(); // the last one may have left before f was queued
        return f;
    }

    private void completeIfEmpty() {
        if (emptyWaiters.isEmpty() || !clients.isEmpty()) {
            return;
        }
        CompletableFuture<Void> f;
        while ((f = emptyWaiters.poll()) != null) {
            f.complete(null);
        }
    }

    public Connection get(String clientId) {
        return clientId == null ? null : clients.get(clientId);
    }

    public int size() {
        return clients.size();
    }

    public long peak() {
        return peak.get();
    }

    public Collection<Connection> all() {
        return clients.values();
    }

    /** Binds a uid, replacing any earlier one. False if the connection is gone. */
    public boolean bindUid(Connection c, String uid) {
        synchronized (c) {
            if (c.closed) {
                return false;
            }
            if (uid.equals(c.uid)) {
                return true;
            }
            String before = c.uid;
            // fenced from before the removal: between it and the addition the connection is in no
            // index, which a multi-uid resolve must not take for "bound to none of them"
            uidAdds.enter();
            try {
                if (c.uid != null) {
                    removeFromIndex(uids, c.uid, c);
                }
                c.uid = uid;
                addToIndex(uids, uid, c);
            } finally {
                uidAdds.exit();
            }
            listener.uidChanged(c, before, uid);
        }
        enforceUidLimit(uid, c);
        return true;
    }

    /** Outside any connection's monitor: the overflow handler takes other connections' monitors. */
    private void enforceUidLimit(String uid, Connection newest) {
        int max = maxConnectionsPerUid.getAsInt();
        if (max <= 0) {
            return;
        }
        Set<Connection> bound = byUid(uid);
        int excess = bound.size() - max;
        if (excess <= 0) {
            return;
        }
        List<Connection> oldest = new ArrayList<>(bound);
        oldest.remove(newest);
        oldest.sort(java.util.Comparator.comparingLong(Connection::connectedAtMillis));
        for (int i = 0; i < excess && i < oldest.size(); i++) {
            uidOverflow.accept(oldest.get(i));
        }
    }

    public boolean unbindUid(Connection c) {
        synchronized (c) {
            if (c.closed) {
                return false;
            }
            if (c.uid != null) {
                String before = c.uid;
                removeFromIndex(uids, c.uid, c);
                c.uid = null;
                listener.uidChanged(c, before, null);
            }
            return true;
        }
    }

    public boolean joinGroup(Connection c, String group) {
        synchronized (c) {
            if (c.closed) {
                return false;
            }
            int max = maxGroupsPerConnection.getAsInt();
            if (max > 0 && c.groups != null && c.groups.size() >= max && !c.groups.contains(group)) {
                throw new LimitExceededException("client " + c.clientId() + " is already in " + max
                        + " groups (limits.max-groups-per-connection); leave one first");
            }
            if (c.addGroup(group)) {
                groupAdds.enter();
                try {
                    addToIndex(groups, group, c);
                } finally {
                    groupAdds.exit();
                }
                listener.groupChanged(c, group, true);
            }
            return true;
        }
    }

    public boolean leaveGroup(Connection c, String group) {
        synchronized (c) {
            if (c.closed) {
                return false;
            }
            if (c.removeGroup(group)) {
                removeFromIndex(groups, group, c);
                listener.groupChanged(c, group, false);
            }
            return true;
        }
    }

    /** Removes every member from a group and deletes it; returns how many members it had. */
    public int ungroup(String group) {
        Set<Connection> members = groups.remove(group);
        if (members == null) {
            return 0;
        }
        int n = 0;
        for (Connection c : members) {
            synchronized (c) {
                Set<Connection> rejoined = groups.get(group);
                if (rejoined != null && rejoined.contains(c)) {
                    // it left and joined again after the group was taken out of the index: that
                    // join came later and stands (removing it here would leave the index listing
                    // a member that no longer knows it is one, never cleaned up)
                    continue;
                }
                if (c.removeGroup(group)) {
                    n++;
                    listener.groupChanged(c, group, false);
                }
            }
        }
        return n;
    }

    public Set<Connection> byUid(String uid) {
        Set<Connection> s = uids.get(uid);
        return s == null ? Set.of() : s;
    }

    public Set<Connection> byGroup(String group) {
        Set<Connection> s = groups.get(group);
        return s == null ? Set.of() : s;
    }

    /**
     * The connections bound to any of {@code keys} but not excluded, each once. A connection bound
     * to one of them all through the call is never missed, though a rebind can move it from a key
     * not yet read to one already read: a read overtaken by a uid change is done again and the
     * results united (see {@link AddFence}). Costs a set per call; a single key needs none of this
     * ({@link #byUid}).
     */
    public Set<Connection> byUids(Collection<String> keys, Set<String> exclude) {
        return resolve(uids, uidAdds, keys, exclude);
    }

    /** As {@link #byUids}, for groups: a client that joins one before leaving another is not missed. */
    public Set<Connection> byGroups(Collection<String> keys, Set<String> exclude) {
        return resolve(groups, groupAdds, keys, exclude);
    }

    /** Optimistic reads before holding additions off: enough unless additions never pause. */
    private static final int OPTIMISTIC_READS = 3;

    private static Set<Connection> resolve(ConcurrentHashMap<String, Set<Connection>> index, AddFence fence,
                                           Collection<String> keys, Set<String> exclude) {
        Set<Connection> out = new java.util.LinkedHashSet<>();
        for (int i = 0; i < OPTIMISTIC_READS; i++) {
            long stamp = fence.stamp();
            collect(index, keys, exclude, out);
            if (fence.settled(stamp)) {
                return out;
            }
        }
        fence.hold();
        try {
            collect(index, keys, exclude, out);
        } finally {
            fence.release();
        }
        return out;
    }

    private static void collect(ConcurrentHashMap<String, Set<Connection>> index, Collection<String> keys,
                                Set<String> exclude, Set<Connection> into) {
        for (String k : keys) {
            Set<Connection> members = index.get(k);
            if (members == null) {
                continue;
            }
            if (exclude.isEmpty()) {
                into.addAll(members);
            } else {
                for (Connection c : members) {
                    if (!exclude.contains(c.clientId())) {
                        into.add(c);
                    }
                }
            }
        }
    }

    public Set<String> uidKeys() {
        return uids.keySet();
    }

    public Set<String> groupKeys() {
        return groups.keySet();
    }

    public int uidCount() {
        return uids.size();
    }

    public int groupCount() {
        return groups.size();
    }

    /** Replaces the session. False if the connection is gone. */
    public boolean setSession(Connection c, ObjectNode session) {
        synchronized (c) {
            if (c.closed) {
                return false;
            }
            c.session = session.deepCopy();
            return true;
        }
    }

    /**
     * Deep-merges into the session: objects merge key by key, recursively; any other value
     * (arrays included) replaces what was there. GatewayWorker's array_replace_recursive would
     * merge lists index by index, which surprises more than it helps in JSON.
     */
    public boolean updateSession(Connection c, ObjectNode patch) {
        synchronized (c) {
            if (c.closed) {
                return false;
            }
            if (c.session == null) {
                c.session = patch.deepCopy();
            } else {
                merge(c.session, patch);
            }
            return true;
        }
    }

    /** A copy of the session; an empty object if none was ever set. */
    public ObjectNode session(Connection c) {
        synchronized (c) {
            return c.session == null ? com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                    : c.session.deepCopy();
        }
    }

    /** A consistent copy of one connection's uid, groups and session. */
    public Snapshot snapshot(Connection c) {
        synchronized (c) {
            return new Snapshot(c, c.uid, c.groups == null ? List.of() : List.copyOf(c.groups),
                    c.session == null ? null : c.session.deepCopy());
        }
    }

    public record Snapshot(Connection connection, String uid, List<String> groups, ObjectNode session) {
    }

    private static void merge(ObjectNode target, JsonNode patch) {
        patch.fields().forEachRemaining(e -> {
            JsonNode existing = target.get(e.getKey());
            if (existing instanceof ObjectNode eo && e.getValue() instanceof ObjectNode) {
                merge(eo, e.getValue());
            } else {
                target.set(e.getKey(), e.getValue().deepCopy());
            }
        });
    }

    private static void addToIndex(ConcurrentHashMap<String, Set<Connection>> index, String key, Connection c) {
        index.compute(key, (k, set) -> {
            Set<Connection> s = set != null ? set : ConcurrentHashMap.newKeySet(4);
            s.add(c);
            return s;
        });
    }

    private static void removeFromIndex(ConcurrentHashMap<String, Set<Connection>> index, String key, Connection c) {
        index.computeIfPresent(key, (k, set) -> {
            set.remove(c);
            return set.isEmpty() ? null : set;
        });
    }

    /** Lists of every (group, members) pair, computed from the index without GatewayWorker's early break. */
    public Map<String, List<Connection>> groupMembers() {
        Map<String, List<Connection>> out = new java.util.TreeMap<>();
        groups.forEach((g, members) -> out.put(g, new ArrayList<>(members)));
        return out;
    }
}
