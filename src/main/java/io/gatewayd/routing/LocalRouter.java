package io.gatewayd.routing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.delivery.CloseCodes;
import io.gatewayd.delivery.Outbound;
import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/** Routes within this process: the registry says who, {@link Outbound} takes it there. */
public final class LocalRouter implements Router {
    private final Registry registry;
    private final Outbound outbound;

    public LocalRouter(Registry registry, Outbound outbound) {
        this.registry = registry;
        this.outbound = outbound;
    }

    private static <T> CompletableFuture<T> done(T value) {
        return CompletableFuture.completedFuture(value);
    }

    /**
     * Every push path (API, cron, webhooks, cluster peers, embedders) comes through here, so this
     * is where a message no client could take is refused: null if it fits, else the failed push
     * (the message released). A cluster router asks too, before it publishes to other nodes.
     */
    public CompletableFuture<Delivered> refuseTooLarge(OutboundMessage m) {
        MessageTooLargeException refused = tooLarge(m);
        return refused == null ? null : CompletableFuture.failedFuture(refused);
    }

    /** As {@link #refuseTooLarge}, for any operation that carries a message: null if it fits. */
    public MessageTooLargeException tooLarge(OutboundMessage m) {
        return MessageTooLargeException.check(m, outbound.maxMessageBytes());
    }

    private static CompletableFuture<Delivered> delivered(Outbound.Queued queued) {
        if (queued.count() < 0) {
            return CompletableFuture.failedFuture(new OverloadedException());
        }
        Delivered d = queued.count() == 0 ? Delivered.NONE : new Delivered(queued.count());
        // answered once the loops' backlog allows: a backend pushing faster than clients can be
        // written to is slowed down instead of building an unbounded queue
        return queued.admitted().isDone() ? done(d) : queued.admitted().thenApply(v -> d);
    }

    @Override
    public CompletableFuture<Delivered> sendToAll(OutboundMessage m, Collection<String> onlyClientIds,
                                                  Set<String> exclude) {
        CompletableFuture<Delivered> refused = refuseTooLarge(m);
        if (refused != null) {
            return refused;
        }
        if (onlyClientIds == null) {
            return delivered(outbound.sendToAll(m, exclude));
        }
        Set<Connection> targets = new LinkedHashSet<>();
        for (String id : onlyClientIds) {
            Connection c = byId(id);
            if (c != null && !exclude.contains(id)) {
                targets.add(c);
            }
        }
        return delivered(outbound.send(m, targets));
    }

    @Override
    public CompletableFuture<Delivered> sendToClient(String clientId, OutboundMessage m) {
        CompletableFuture<Delivered> refused = refuseTooLarge(m);
        if (refused != null) {
            return refused;
        }
        Connection c = byId(clientId);
        if (c == null) {
            m.release();
            return done(Delivered.NONE);
        }
        return delivered(outbound.send(m, List.of(c)));
    }

    @Override
    public CompletableFuture<Delivered> sendToUids(Collection<String> uids, OutboundMessage m, Set<String> exclude) {
        CompletableFuture<Delivered> refused = refuseTooLarge(m);
        if (refused != null) {
            return refused;
        }
        Collection<Connection> targets;
        if (uids.size() == 1) {
            targets = new ArrayList<>();
            addAll(targets, registry.byUid(uids.iterator().next()), exclude);
        } else {
            // a rebind on another thread can move a connection between these uids while they are
            // read: the registry resolves them so that it is found, and once
            targets = registry.byUids(uids, exclude);
        }
        return delivered(outbound.send(m, targets));
    }

    @Override
    public CompletableFuture<Delivered> sendToGroups(Collection<String> groups, OutboundMessage m,
                                                     Set<String> exclude) {
        CompletableFuture<Delivered> refused = refuseTooLarge(m);
        if (refused != null) {
            return refused;
        }
        Collection<Connection> targets;
        if (groups.size() == 1) {
            targets = new ArrayList<>();
            addAll(targets, registry.byGroup(groups.iterator().next()), exclude);
        } else {
            targets = registry.byGroups(groups, exclude); // each member once, even if in two of them
        }
        return delivered(outbound.send(m, targets));
    }

    private static void addAll(Collection<Connection> into, Set<Connection> from, Set<String> exclude) {
        if (exclude.isEmpty()) {
            into.addAll(from);
        } else {
            for (Connection c : from) {
                if (!exclude.contains(c.clientId())) {
                    into.add(c);
                }
            }
        }
    }

    private CompletableFuture<Boolean> onClient(String clientId, Predicate<Connection> action) {
        Connection c = registry.get(clientId);
        try {
            return done(c != null && action.test(c));
        } catch (io.gatewayd.registry.LimitExceededException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletableFuture<Boolean> bindUid(String clientId, String uid) {
        return onClient(clientId, c -> registry.bindUid(c, uid));
    }

    @Override
    public CompletableFuture<Boolean> unbindUid(String clientId) {
        return onClient(clientId, registry::unbindUid);
    }

    @Override
    public CompletableFuture<Boolean> joinGroup(String clientId, String group) {
        return onClient(clientId, c -> registry.joinGroup(c, group));
    }

    @Override
    public CompletableFuture<Boolean> leaveGroup(String clientId, String group) {
        return onClient(clientId, c -> registry.leaveGroup(c, group));
    }

    @Override
    public CompletableFuture<Boolean> closeClient(String clientId, OutboundMessage lastMessage) {
        // the last message is written past the pending bound (the client is leaving), so without
        // this closeClient would be the one way to queue more than the bound to a client; refused
        // like a push and the client kept open, so the caller can still reach it
        MessageTooLargeException refused = lastMessage == null ? null : tooLarge(lastMessage);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused.asLastMessage());
        }
        Connection c = byId(clientId);
        if (c == null) {
            if (lastMessage != null) {
                lastMessage.release();
            }
            return done(false);
        }
        outbound.close(c, CloseCodes.NORMAL, lastMessage);
        return done(true);
    }

    @Override
    public CompletableFuture<Boolean> destroyClient(String clientId) {
        Connection c = byId(clientId);
        if (c != null) {
            outbound.destroy(c);
        }
        return done(c != null);
    }

    /**
     * The connection a client_id addresses: one in the registry, or one whose input ended and that
     * waits for the answers to its messages ({@link Outbound#inputEnded}). Only what addresses a
     * client by its id reaches the latter (a push, closeClient, destroyClient, and so a webhook
     * answer's reply and close); it is online for nothing else.
     */
    private Connection byId(String clientId) {
        Connection c = registry.get(clientId);
        return c != null ? c : outbound.leaving(clientId);
    }

    @Override
    public CompletableFuture<Boolean> setSession(String clientId, ObjectNode session) {
        return onClient(clientId, c -> registry.setSession(c, session));
    }

    @Override
    public CompletableFuture<Boolean> updateSession(String clientId, ObjectNode patch) {
        return onClient(clientId, c -> registry.updateSession(c, patch));
    }

    @Override
    public CompletableFuture<Integer> ungroup(String group) {
        return done(registry.ungroup(group));
    }

    @Override
    public CompletableFuture<Boolean> isOnline(String clientId) {
        return done(registry.get(clientId) != null);
    }

    @Override
    public CompletableFuture<Map<String, List<String>>> clientIdsByUids(Collection<String> uids) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String uid : uids) {
            out.put(uid, ids(registry.byUid(uid)));
        }
        return done(out);
    }

    @Override
    public CompletableFuture<String> uidOf(String clientId) {
        Connection c = registry.get(clientId);
        return done(c == null ? null : c.uid());
    }

    @Override
    public CompletableFuture<ObjectNode> sessionOf(String clientId) {
        Connection c = registry.get(clientId);
        return done(c == null ? null : registry.session(c));
    }

    @Override
    public CompletableFuture<Long> clientCount() {
        return done((long) registry.size());
    }

    @Override
    public CompletableFuture<List<String>> clientIds() {
        List<String> ids = new ArrayList<>(registry.size());
        for (Connection c : registry.all()) {
            ids.add(c.clientId());
        }
        Collections.sort(ids);
        return done(ids);
    }

    @Override
    public CompletableFuture<Map<String, Integer>> groupClientCounts(Collection<String> groups) {
        Map<String, Integer> out = new LinkedHashMap<>();
        for (String g : groups) {
            out.put(g, registry.byGroup(g).size());
        }
        return done(out);
    }

    @Override
    public CompletableFuture<Map<String, List<String>>> groupClientIds(Collection<String> groups) {
        Map<String, List<String>> out = new TreeMap<>();
        for (String g : groups == null ? registry.groupKeys() : groups) {
            Set<Connection> members = registry.byGroup(g);
            if (groups != null || !members.isEmpty()) {
                out.put(g, ids(members));
            }
        }
        return done(out);
    }

    @Override
    public CompletableFuture<Map<String, List<String>>> groupUids(Collection<String> groups) {
        Map<String, List<String>> out = new TreeMap<>();
        for (String g : groups == null ? registry.groupKeys() : groups) {
            Set<String> uids = new HashSet<>();
            for (Connection c : registry.byGroup(g)) {
                String uid = c.uid();
                if (uid != null) {
                    uids.add(uid);
                }
            }
            if (groups != null || !uids.isEmpty()) {
                List<String> sorted = new ArrayList<>(uids);
                Collections.sort(sorted);
                out.put(g, sorted);
            }
        }
        return done(out);
    }

    @Override
    public CompletableFuture<Map<String, ObjectNode>> sessions(String group) {
        Map<String, ObjectNode> out = new TreeMap<>();
        for (Connection c : group == null ? registry.all() : registry.byGroup(group)) {
            out.put(c.clientId(), registry.session(c));
        }
        return done(out);
    }

    @Override
    public CompletableFuture<List<String>> uids() {
        List<String> out = new ArrayList<>(registry.uidKeys());
        Collections.sort(out);
        return done(out);
    }

    @Override
    public CompletableFuture<List<String>> groupIds() {
        List<String> out = new ArrayList<>(registry.groupKeys());
        Collections.sort(out);
        return done(out);
    }

    private static List<String> ids(Collection<Connection> conns) {
        List<String> ids = new ArrayList<>(conns.size());
        for (Connection c : conns) {
            ids.add(c.clientId());
        }
        Collections.sort(ids);
        return ids;
    }
}
