package io.gatewayd.cluster;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.api.ApiException;
import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.registry.ClientIds;
import io.gatewayd.routing.LocalRouter;
import io.gatewayd.routing.MessageTooLargeException;
import io.gatewayd.routing.OverloadedException;
import io.gatewayd.routing.Router;
import io.lettuce.core.api.async.RedisAsyncCommands;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * The {@link Router} of a cluster node.
 * <ul>
 *   <li>Pushes are delivered to this node's clients at once (no Redis round trip) and published
 *       once per interest channel (a uid's, a group's, or the broadcast channel); each node that
 *       gets one delivers to its own clients and reports its count. This node ignores its own echo.</li>
 *   <li>An operation on one client goes to the node named by the client_id and returns when that
 *       node has applied it and updated its mirror and subscriptions (read-your-writes).</li>
 *   <li>Queries read the mirrors of the live nodes in one pipelined round; sessions and full
 *       group dumps ask every node and say {@code partial} if one does not answer in time.</li>
 * </ul>
 * While Redis is unavailable this node keeps serving its own clients; cluster-wide calls deliver
 * locally and fail with 503 {@code cluster_unavailable} carrying the local count.
 */
final class ClusterRouter implements Router {
    private static final TypeReference<Map<String, List<String>>> LISTS = new TypeReference<>() {
    };

    private final Cluster c;
    private final LocalRouter local;

    ClusterRouter(Cluster cluster) {
        this.c = cluster;
        this.local = cluster.local;
    }

    /** 503 cluster_unavailable; {@code local} >= 0 is reported as delivered_local. */
    static ApiException unavailable(long local, Throwable cause) {
        Throwable t = unwrap(cause);
        String why = t == null || t.getMessage() == null ? "Redis is unreachable" : "Redis: " + t.getMessage();
        String msg = "the cluster is unavailable (" + why + ")"
                + (local >= 0 ? "; delivered to " + local + " connection(s) on this node only" : "")
                + ". Retry once GET /health says \"ok\"" + (local >= 0 ? " (send a msg_id so a retry is not delivered twice)" : "");
        return new ApiException(503, "cluster_unavailable", msg,
                local >= 0 ? Map.of("delivered_local", local) : Map.of());
    }

    /** 503 cluster_unavailable for ungroup: the group was emptied on this node only. */
    static ApiException ungroupedLocally(long local) {
        return new ApiException(503, "cluster_unavailable", "the cluster is unavailable (Redis is unreachable); the "
                + "group was emptied on this node only (" + local + " member(s)). Retry once GET /health says \"ok\"",
                Map.of("removed_local", local));
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private boolean isLocal(String clientId) {
        return ClientIds.nodeOf(clientId).equals(c.nodeId);
    }

    private static CompletableFuture<Delivered> skip(OutboundMessage m) {
        m.release();
        return CompletableFuture.completedFuture(Delivered.NONE);
    }

    // ---------------------------------------------------------------- pushes

    @Override
    public CompletableFuture<Delivered> sendToAll(OutboundMessage m, Collection<String> onlyClientIds, Set<String> exclude) {
        CompletableFuture<Delivered> refused = local.refuseTooLarge(m);
        if (refused != null) {
            return refused; // before publishing: not even the nodes whose limit is larger get it
        }
        if (onlyClientIds != null) {
            return sendToClients(m, onlyClientIds, exclude);
        }
        byte[] payload = m.payload();
        boolean binary = m.isBinary();
        String msgId = m.msgId();
        CompletableFuture<Delivered> here = c.msgIds.fresh(msgId)
                ? c.msgIds.settle(msgId, local.sendToAll(m, null, exclude)) : skip(m);
        return here.thenCompose(d -> fanOut("all", List.of(), List.of(c.keys.all()), exclude, payload, binary, msgId,
                d.count()));
    }

    @Override
    public CompletableFuture<Delivered> sendToUids(Collection<String> uids, OutboundMessage m, Set<String> exclude) {
        CompletableFuture<Delivered> refused = local.refuseTooLarge(m);
        if (refused != null) {
            return refused; // before publishing: not even the nodes whose limit is larger get it
        }
        List<String> keys = new ArrayList<>(new LinkedHashSet<>(uids));
        byte[] payload = m.payload();
        boolean binary = m.isBinary();
        String msgId = m.msgId();
        CompletableFuture<Delivered> here = c.msgIds.fresh(msgId)
                ? c.msgIds.settle(msgId, local.sendToUids(keys, m, exclude)) : skip(m);
        return here.thenCompose(d -> fanOut("uids", keys, channels(keys, c.keys::uidChannel), exclude, payload, binary,
                msgId, d.count()));
    }

    @Override
    public CompletableFuture<Delivered> sendToGroups(Collection<String> groups, OutboundMessage m, Set<String> exclude) {
        CompletableFuture<Delivered> refused = local.refuseTooLarge(m);
        if (refused != null) {
            return refused; // before publishing: not even the nodes whose limit is larger get it
        }
        List<String> keys = new ArrayList<>(new LinkedHashSet<>(groups));
        byte[] payload = m.payload();
        boolean binary = m.isBinary();
        String msgId = m.msgId();
        CompletableFuture<Delivered> here = c.msgIds.fresh(msgId)
                ? c.msgIds.settle(msgId, local.sendToGroups(keys, m, exclude)) : skip(m);
        return here.thenCompose(d -> fanOut("groups", keys, channels(keys, c.keys::groupChannel), exclude, payload,
                binary, msgId, d.count()));
    }

    /** One channel per key, or the broadcast channel when there are more keys than fanout-threshold. */
    private List<String> channels(List<String> keys, java.util.function.Function<String, String> channel) {
        if (keys.size() > c.config.fanoutThreshold()) {
            return List.of(c.keys.all());
        }
        return keys.stream().map(channel).toList();
    }

    private CompletableFuture<Delivered> fanOut(String kind, List<String> keys, List<String> channels, Set<String> exclude,
                                                byte[] payload, boolean binary, String msgId, long localCount) {
        if (!c.available()) {
            return CompletableFuture.failedFuture(unavailable(localCount, null));
        }
        ObjectNode h = Envelope.JSON.createObjectNode();
        h.put("kind", kind);
        if (!keys.isEmpty()) {
            ArrayNode k = h.putArray("keys");
            keys.forEach(k::add);
        }
        if (!exclude.isEmpty()) {
            ArrayNode x = h.putArray("exclude");
            exclude.forEach(x::add);
        }
        if (msgId != null) {
            h.put("msg_id", msgId);
        }
        h.put("binary", binary);
        h.put("multi", channels.size() > 1);
        return c.publishPush(Envelope.Type.PUSH, channels, h, payload, localCount);
    }

    @Override
    public CompletableFuture<Delivered> sendToClient(String clientId, OutboundMessage m) {
        CompletableFuture<Delivered> refused = local.refuseTooLarge(m);
        if (refused != null) {
            return refused; // before publishing: not even the nodes whose limit is larger get it
        }
        if (isLocal(clientId)) {
            String msgId = m.msgId();
            return (c.msgIds.fresh(msgId) ? c.msgIds.settle(msgId, local.sendToClient(clientId, m)) : skip(m))
                    .thenApply(d -> new Delivered(d.count(), new Delivered.ClusterPart(d.count(), 0, 0)));
        }
        return sendToClients(m, List.of(clientId), Set.of());
    }

    /** To a list of client ids: this node's directly, every other owner by request (acknowledged). */
    private CompletableFuture<Delivered> sendToClients(OutboundMessage m, Collection<String> ids, Set<String> exclude) {
        byte[] payload = m.payload();
        boolean binary = m.isBinary();
        String msgId = m.msgId();
        List<String> mine = new ArrayList<>();
        Map<String, List<String>> byNode = new TreeMap<>();
        for (String id : new LinkedHashSet<>(ids)) {
            if (exclude.contains(id)) {
                continue;
            }
            if (isLocal(id)) {
                mine.add(id);
            } else {
                byNode.computeIfAbsent(ClientIds.nodeOf(id), n -> new ArrayList<>()).add(id);
            }
        }
        if (!byNode.isEmpty() && c.overloaded()) {
            m.release();
            return CompletableFuture.failedFuture(c.overloaded(0)); // before any delivery: a retry is safe
        }
        CompletableFuture<Delivered> here = !mine.isEmpty() && c.msgIds.fresh(msgId)
                ? c.msgIds.settle(msgId, local.sendToAll(m, mine, Set.of())) : skip(m);
        if (byNode.isEmpty()) {
            return here.thenApply(d -> new Delivered(d.count(), new Delivered.ClusterPart(d.count(), 0, 0)));
        }
        return here.thenCompose(d -> {
            long localCount = d.count();
            if (!c.available()) {
                return CompletableFuture.failedFuture(unavailable(localCount, null));
            }
            Map<String, CompletableFuture<ObjectNode>> asks = new TreeMap<>(); // node -> its reply, TIMED_OUT or OFFLINE
            for (Map.Entry<String, List<String>> e : byNode.entrySet()) {
                ObjectNode h = Envelope.JSON.createObjectNode().put("op", "send").put("binary", binary);
                ArrayNode list = h.putArray("ids");
                e.getValue().forEach(list::add);
                if (msgId != null) {
                    h.put("msg_id", msgId);
                }
                asks.put(e.getKey(), c.request(e.getKey(), h, payload, c.config.ackTimeout().toMillis()).handle((reply, err) -> {
                    if (err != null) {
                        if (unwrap(err) instanceof TimeoutException) {
                            return TIMED_OUT;
                        }
                        throw new CompletionException(unwrap(err));
                    }
                    return reply == null ? OFFLINE : reply;
                }));
            }
            return CompletableFuture.allOf(asks.values().toArray(CompletableFuture[]::new)).handle((v, err) -> {
                if (unwrap(err) instanceof OverloadedException) {
                    throw new CompletionException(c.overloaded(localCount)); // filled up since the check above
                }
                if (err != null) {
                    throw new CompletionException(unavailable(localCount, err));
                }
                long total = localCount;
                int reached = 0;
                int missing = 0;
                Map.Entry<String, ObjectNode> refused = null;
                for (Map.Entry<String, CompletableFuture<ObjectNode>> a : asks.entrySet()) {
                    ObjectNode reply = a.getValue().join();
                    if (reply == OFFLINE) {
                        continue;
                    }
                    reached++;
                    if (reply == TIMED_OUT) {
                        missing++;
                    } else if (reply.has("error")) {
                        // the owner refused (its smaller limit, overloaded): that is the answer, not
                        // "delivered 0" as if its clients were offline
                        refused = refused == null ? Map.entry(a.getKey(), reply) : refused;
                    } else {
                        total += reply.path("v").asLong();
                    }
                }
                if (refused != null) {
                    throw new CompletionException(refusal(refused.getKey(), refused.getValue(), total));
                }
                return new Delivered(total, new Delivered.ClusterPart(localCount, reached, missing));
            });
        });
    }

    /** Stand-ins in {@link #sendToClients} for an owner that did not answer in time, or is not in the cluster. */
    private static final ObjectNode TIMED_OUT = Envelope.JSON.createObjectNode();
    private static final ObjectNode OFFLINE = Envelope.JSON.createObjectNode();

    /** A PUSH or UNGROUP from another node, on an event loop. */
    void servePush(Envelope e) {
        ObjectNode h = e.header();
        boolean deliver = true;
        if (h.path("multi").asBoolean(false)) {
            deliver = c.copies.first(e.origin() + ":" + e.id()); // came on several of our channels
        }
        String msgId = h.hasNonNull("msg_id") ? h.get("msg_id").asText() : null;
        if (deliver && !c.msgIds.fresh(msgId)) {
            deliver = false;
        }
        boolean report = h.path("report").asBoolean(false);
        if (e.type() == Envelope.Type.UNGROUP) {
            String group = h.path("group").asText();
            local.ungroup(group).thenCompose(n -> c.sync().handle((v, err) -> n)).thenAccept(n -> {
                if (report) {
                    c.report(e, n);
                }
            });
            return;
        }
        long n = 0;
        if (deliver) {
            OutboundMessage m = message(h, e.payload());
            Set<String> exclude = strings(h.get("exclude"));
            CompletableFuture<Delivered> f = c.msgIds.settle(msgId, switch (h.path("kind").asText()) {
                case "uids" -> local.sendToUids(list(h.get("keys")), m, exclude);
                case "groups" -> local.sendToGroups(list(h.get("keys")), m, exclude);
                default -> local.sendToAll(m, null, exclude);
            });
            n = f.isCompletedExceptionally() ? 0 : f.getNow(Delivered.NONE).count();
            tooLarge(f, e.origin());
        }
        if (report) {
            c.report(e, n);
        }
    }

    /**
     * A peer whose outbound.max-pending-bytes is larger can send what this node's clients cannot
     * take: the local router refused it (nobody here is closed); say so here, where the limit is.
     */
    private void tooLarge(CompletableFuture<Delivered> f, String origin) {
        if (f.isCompletedExceptionally()) {
            f.exceptionally(err -> {
                if (unwrap(err) instanceof MessageTooLargeException t) {
                    c.tooLargeDropped.increment();
                    c.tooLargeLog.warn("cluster: a push from node {} was not delivered on this node: {} (set the same "
                            + "outbound.max-pending-bytes on every node)", origin, t.getMessage());
                }
                return null;
            });
        }
    }

    private static OutboundMessage message(ObjectNode h, byte[] payload) {
        byte[] p = payload == null ? new byte[0] : payload;
        return h.path("binary").asBoolean(false) ? OutboundMessage.binary(p) : OutboundMessage.text(p);
    }

    private static List<String> list(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n != null) {
            n.forEach(x -> out.add(x.asText()));
        }
        return out;
    }

    private static Set<String> strings(JsonNode n) {
        return n == null || n.isEmpty() ? Set.of() : Set.copyOf(list(n));
    }

    // ---------------------------------------------------------------- one client

    private CompletableFuture<Boolean> onClient(String clientId, String op, ObjectNode args, byte[] payload,
                                                Supplier<CompletableFuture<Boolean>> here) {
        if (isLocal(clientId)) {
            // Applied locally at once; acknowledged when the mirror and subscriptions show it. If
            // Redis is down the local change still stands and is mirrored when Redis is back.
            return here.get().thenCompose(ok -> ok ? c.sync().handle((v, err) -> ok) : CompletableFuture.completedFuture(ok));
        }
        return ask(clientId, op, args, payload).thenApply(reply -> reply != null && reply.path("v").asBoolean(false));
    }

    /** Sends op for a remote client to its node; null when that node is not in the cluster. */
    private CompletableFuture<ObjectNode> ask(String clientId, String op, ObjectNode args, byte[] payload) {
        if (!c.available()) {
            return CompletableFuture.failedFuture(unavailable(-1, null));
        }
        ObjectNode h = args == null ? Envelope.JSON.createObjectNode() : args;
        h.put("op", op).put("client_id", clientId);
        String node = ClientIds.nodeOf(clientId);
        return c.request(node, h, payload, c.config.ackTimeout().toMillis()).handle((reply, err) -> {
            if (err != null) {
                Throwable t = unwrap(err);
                if (t instanceof TimeoutException) {
                    throw new CompletionException(new ApiException(504, "cluster_timeout", "node " + node
                            + ", which holds client " + clientId + ", did not answer within "
                            + c.config.ackTimeout().toMillis() + " ms (cluster.ack-timeout); the operation may or "
                            + "may not have been applied there"));
                }
                throw new CompletionException(t);
            }
            if (reply != null && reply.has("error")) {
                throw new CompletionException(refusal(node, reply, 0));
            }
            return reply;
        });
    }

    /**
     * What the owner of a client answered instead of a result, as this node would have refused it
     * itself: a message too large for the owner's limit stays a {@link MessageTooLargeException}
     * (naming that node), so every caller (API, cron, embedders) treats it as the local refusal.
     */
    private static RuntimeException refusal(String node, ObjectNode reply, long deliveredElsewhere) {
        if ("message_too_large".equals(reply.path("code").asText()) && reply.has("size") && reply.has("max_bytes")) {
            return new MessageTooLargeException(reply.path("size").asLong(), reply.path("max_bytes").asLong(), node,
                    deliveredElsewhere);
        }
        Map<String, Object> details = deliveredElsewhere > 0 ? Map.of("delivered", deliveredElsewhere) : Map.of();
        return new ApiException(reply.path("status").asInt(500), reply.path("code").asText("internal"),
                reply.path("error").asText(), details);
    }

    @Override
    public CompletableFuture<Boolean> bindUid(String clientId, String uid) {
        return onClient(clientId, "bind", args("uid", uid), null, () -> local.bindUid(clientId, uid));
    }

    @Override
    public CompletableFuture<Boolean> unbindUid(String clientId) {
        return onClient(clientId, "unbind", null, null, () -> local.unbindUid(clientId));
    }

    @Override
    public CompletableFuture<Boolean> joinGroup(String clientId, String group) {
        return onClient(clientId, "join", args("group", group), null, () -> local.joinGroup(clientId, group));
    }

    @Override
    public CompletableFuture<Boolean> leaveGroup(String clientId, String group) {
        return onClient(clientId, "leave", args("group", group), null, () -> local.leaveGroup(clientId, group));
    }

    @Override
    public CompletableFuture<Boolean> closeClient(String clientId, OutboundMessage lastMessage) {
        if (isLocal(clientId)) {
            return onClient(clientId, "close", null, null, () -> local.closeClient(clientId, lastMessage));
        }
        ObjectNode a = Envelope.JSON.createObjectNode();
        byte[] payload = null;
        if (lastMessage != null) {
            MessageTooLargeException refused = local.tooLarge(lastMessage);
            if (refused != null) {
                return CompletableFuture.failedFuture(refused.asLastMessage()); // as a push: not sent to the owner at all
            }
            payload = lastMessage.payload();
            a.put("binary", lastMessage.isBinary());
            lastMessage.release();
        }
        // the owner's refusal comes back as a push's (only size and limit travel): say what it refused
        return onClient(clientId, "close", a, payload, null).exceptionallyCompose(err ->
                CompletableFuture.failedFuture(unwrap(err) instanceof MessageTooLargeException e ? e.asLastMessage() : err));
    }

    @Override
    public CompletableFuture<Boolean> destroyClient(String clientId) {
        return onClient(clientId, "destroy", null, null, () -> local.destroyClient(clientId));
    }

    @Override
    public CompletableFuture<Boolean> setSession(String clientId, ObjectNode session) {
        ObjectNode a = Envelope.JSON.createObjectNode();
        a.set("session", session);
        return onClient(clientId, "setSession", a, null, () -> local.setSession(clientId, session));
    }

    @Override
    public CompletableFuture<Boolean> updateSession(String clientId, ObjectNode patch) {
        ObjectNode a = Envelope.JSON.createObjectNode();
        a.set("session", patch);
        return onClient(clientId, "updateSession", a, null, () -> local.updateSession(clientId, patch));
    }

    private static ObjectNode args(String k, String v) {
        return Envelope.JSON.createObjectNode().put(k, v);
    }

    @Override
    public CompletableFuture<Integer> ungroup(String group) {
        return local.ungroup(group).thenCompose(n -> c.sync().handle((v, err) -> n)).thenCompose(n -> {
            if (!c.available()) {
                return CompletableFuture.failedFuture(ungroupedLocally(n));
            }
            ObjectNode h = Envelope.JSON.createObjectNode().put("group", group);
            return c.publishPush(Envelope.Type.UNGROUP, List.of(c.keys.groupChannel(group)), h, null, n)
                    .thenApply(d -> (int) d.count());
        });
    }

    /** A REQUEST from another node, on an event loop: apply locally, answer when mirrored. */
    void serveRequest(Envelope e) {
        ObjectNode h = e.header();
        String op = h.path("op").asText();
        String id = h.path("client_id").asText(null);
        CompletableFuture<?> result;
        try {
            result = switch (op) {
                case "send" -> {
                    String msgId = h.hasNonNull("msg_id") ? h.get("msg_id").asText() : null;
                    OutboundMessage m = message(h, e.payload());
                    CompletableFuture<Delivered> sent = c.msgIds.fresh(msgId)
                            ? c.msgIds.settle(msgId, local.sendToAll(m, list(h.get("ids")), Set.of())) : skip(m);
                    tooLarge(sent, e.origin());
                    yield sent.thenApply(Delivered::count);
                }
                case "bind" -> synced(local.bindUid(id, h.path("uid").asText()));
                case "unbind" -> synced(local.unbindUid(id));
                case "join" -> synced(local.joinGroup(id, h.path("group").asText()));
                case "leave" -> synced(local.leaveGroup(id, h.path("group").asText()));
                case "close" -> synced(local.closeClient(id, e.payload() == null ? null : message(h, e.payload())));
                case "destroy" -> synced(local.destroyClient(id));
                case "setSession" -> local.setSession(id, (ObjectNode) h.get("session"));
                case "updateSession" -> local.updateSession(id, (ObjectNode) h.get("session"));
                case "getSession" -> local.sessionOf(id);
                case "uid" -> local.uidOf(id);
                case "sessions" -> local.sessions(h.hasNonNull("group") ? h.get("group").asText() : null);
                case "groupClientIds" -> local.groupClientIds(h.hasNonNull("groups") ? list(h.get("groups")) : null);
                case "groupUids" -> local.groupUids(h.hasNonNull("groups") ? list(h.get("groups")) : null);
                default -> CompletableFuture.failedFuture(new IllegalArgumentException("unknown operation " + op));
            };
        } catch (RuntimeException ex) {
            result = CompletableFuture.failedFuture(ex);
        }
        result.whenComplete((v, err) -> {
            ObjectNode r = Envelope.JSON.createObjectNode();
            if (err != null) {
                Throwable t = unwrap(err);
                if (t instanceof ApiException a) {
                    r.put("status", a.status()).put("code", a.code());
                } else if (t instanceof OverloadedException) {
                    r.put("status", 503).put("code", "overloaded");
                } else if (t instanceof MessageTooLargeException m) {
                    r.put("status", 413).put("code", "message_too_large")
                            .put("size", m.size()).put("max_bytes", m.maxBytes());
                } else if (t instanceof io.gatewayd.registry.LimitExceededException) {
                    r.put("status", 409).put("code", "limit_exceeded");
                }
                r.put("error", "node " + c.nodeId + ": " + (t.getMessage() == null ? t.toString() : t.getMessage()));
            } else {
                r.set("v", Envelope.JSON.valueToTree(v));
            }
            c.reply(e, r);
        });
    }

    private CompletableFuture<Boolean> synced(CompletableFuture<Boolean> op) {
        return op.thenCompose(ok -> ok ? c.sync().handle((v, err) -> ok) : CompletableFuture.completedFuture(ok));
    }

    // ---------------------------------------------------------------- queries from mirrors

    /**
     * Reads every given live node's mirror in one pipelined round, together with its heartbeat's
     * generation: a node whose heartbeat is gone is left out (dead), one that rewrote its mirror
     * meanwhile is read again under the new generation.
     */
    private <T> CompletableFuture<Map<String, T>> mirrors(Collection<Cluster.Peer> nodes,
                                                          BiFunction<RedisAsyncCommands<String, String>, String, CompletableFuture<T>> read) {
        RedisAsyncCommands<String, String> r;
        try {
            r = c.queries();
        } catch (ApiException e) {
            return CompletableFuture.failedFuture(e);
        }
        Map<String, CompletableFuture<String>> gens = new LinkedHashMap<>();
        Map<String, CompletableFuture<T>> values = new LinkedHashMap<>();
        for (Cluster.Peer p : nodes) {
            gens.put(p.id(), r.hget(c.keys.node(p.id()), "gen").toCompletableFuture());
            values.put(p.id(), read.apply(r, c.keys.mirror(p.id(), p.gen())));
        }
        List<CompletableFuture<?>> all = new ArrayList<>(gens.values());
        all.addAll(values.values());
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenCompose(v -> {
            Map<String, T> out = new TreeMap<>();
            List<Cluster.Peer> again = new ArrayList<>();
            for (Cluster.Peer p : nodes) {
                String g = gens.get(p.id()).join();
                if (g == null || g.isEmpty()) {
                    continue; // dead, or not yet written: not in the cluster
                }
                if (g.equals(p.gen())) {
                    out.put(p.id(), values.get(p.id()).join());
                } else {
                    Cluster.Peer fresh = new Cluster.Peer(p.id(), g, p.info());
                    c.peers.put(p.id(), fresh);
                    again.add(fresh);
                }
            }
            if (again.isEmpty()) {
                return CompletableFuture.completedFuture(out);
            }
            return mirrors(again, read).thenApply(more -> {
                out.putAll(more);
                return out;
            });
        }).exceptionallyCompose(err -> {
            Throwable t = unwrap(err);
            return CompletableFuture.failedFuture(t instanceof ApiException ? t : unavailable(-1, t));
        });
    }

    private <T> CompletableFuture<Map<String, T>> mirrors(BiFunction<RedisAsyncCommands<String, String>, String,
            CompletableFuture<T>> read) {
        return mirrors(c.remotePeers(), read);
    }

    private Cluster.Peer owner(String clientId) {
        return c.peers.get(ClientIds.nodeOf(clientId));
    }

    @Override
    public CompletableFuture<Boolean> isOnline(String clientId) {
        if (isLocal(clientId)) {
            return local.isOnline(clientId);
        }
        Cluster.Peer p = owner(clientId);
        if (p == null) {
            return c.available() ? CompletableFuture.completedFuture(false)
                    : CompletableFuture.failedFuture(unavailable(-1, null));
        }
        return mirrors(List.of(p), (r, m) -> r.hexists(Keys.clients(m), clientId).toCompletableFuture())
                .thenApply(map -> Boolean.TRUE.equals(map.get(p.id())));
    }

    @Override
    public CompletableFuture<String> uidOf(String clientId) {
        if (isLocal(clientId)) {
            return local.uidOf(clientId);
        }
        Cluster.Peer p = owner(clientId);
        if (p == null) {
            return c.available() ? CompletableFuture.completedFuture(null)
                    : CompletableFuture.failedFuture(unavailable(-1, null));
        }
        return mirrors(List.of(p), (r, m) -> r.hget(Keys.clients(m), clientId).toCompletableFuture())
                .thenApply(map -> {
                    String uid = map.get(p.id());
                    return uid == null || uid.isEmpty() ? null : uid;
                });
    }

    @Override
    public CompletableFuture<ObjectNode> sessionOf(String clientId) {
        if (isLocal(clientId)) {
            return local.sessionOf(clientId);
        }
        return ask(clientId, "getSession", null, null).thenApply(reply -> {
            JsonNode v = reply == null ? null : reply.get("v");
            return v instanceof ObjectNode o ? o : null;
        });
    }

    @Override
    public CompletableFuture<Map<String, List<String>>> clientIdsByUids(Collection<String> uids) {
        List<String> keys = new ArrayList<>(new LinkedHashSet<>(uids));
        return local.clientIdsByUids(keys).thenCompose(mine -> mirrors((r, m) -> r.hmget(Keys.uids(m),
                keys.toArray(String[]::new)).toCompletableFuture()).thenApply(remote -> {
            Map<String, List<String>> out = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                TreeSet<String> ids = new TreeSet<>(mine.getOrDefault(keys.get(i), List.of()));
                for (List<io.lettuce.core.KeyValue<String, String>> perNode : remote.values()) {
                    var kv = perNode.get(i);
                    if (kv.hasValue() && !kv.getValue().isEmpty()) {
                        ids.addAll(List.of(kv.getValue().split(" ")));
                    }
                }
                out.put(keys.get(i), new ArrayList<>(ids));
            }
            return out;
        }));
    }

    @Override
    public CompletableFuture<Long> clientCount() {
        return local.clientCount().thenCompose(mine -> mirrors((r, m) -> r.hlen(Keys.clients(m)).toCompletableFuture())
                .thenApply(remote -> mine + remote.values().stream().mapToLong(Long::longValue).sum()));
    }

    @Override
    public CompletableFuture<List<String>> clientIds() {
        return local.clientIds().thenCompose(mine -> mirrors((r, m) -> r.hkeys(Keys.clients(m)).toCompletableFuture())
                .thenApply(remote -> {
                    TreeSet<String> all = new TreeSet<>(mine);
                    remote.values().forEach(all::addAll);
                    return new ArrayList<>(all);
                }));
    }

    @Override
    public CompletableFuture<Map<String, Integer>> groupClientCounts(Collection<String> groups) {
        List<String> keys = new ArrayList<>(new LinkedHashSet<>(groups));
        return local.groupClientCounts(keys).thenCompose(mine -> mirrors((r, m) -> {
            List<CompletableFuture<Long>> fs = new ArrayList<>();
            for (String g : keys) {
                fs.add(r.scard(Keys.group(m, g)).toCompletableFuture());
            }
            return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).thenApply(v -> fs);
        }).thenApply(remote -> {
            Map<String, Integer> out = new LinkedHashMap<>();
            for (int i = 0; i < keys.size(); i++) {
                long n = mine.getOrDefault(keys.get(i), 0);
                for (List<CompletableFuture<Long>> perNode : remote.values()) {
                    n += perNode.get(i).join();
                }
                out.put(keys.get(i), (int) n);
            }
            return out;
        }));
    }

    @Override
    public CompletableFuture<Map<String, List<String>>> groupClientIds(Collection<String> groups) {
        if (groups == null) {
            return scatter("groupClientIds", null, local.groupClientIds(null), ClusterRouter::mergeLists);
        }
        List<String> keys = new ArrayList<>(new LinkedHashSet<>(groups));
        return local.groupClientIds(keys).thenCompose(mine -> mirrors((r, m) -> {
            List<CompletableFuture<Set<String>>> fs = new ArrayList<>();
            for (String g : keys) {
                fs.add(r.smembers(Keys.group(m, g)).toCompletableFuture());
            }
            return CompletableFuture.allOf(fs.toArray(CompletableFuture[]::new)).thenApply(v -> fs);
        }).thenApply(remote -> {
            Map<String, List<String>> out = new TreeMap<>();
            for (int i = 0; i < keys.size(); i++) {
                TreeSet<String> ids = new TreeSet<>(mine.getOrDefault(keys.get(i), List.of()));
                for (List<CompletableFuture<Set<String>>> perNode : remote.values()) {
                    ids.addAll(perNode.get(i).join());
                }
                out.put(keys.get(i), new ArrayList<>(ids));
            }
            return out;
        }));
    }

    @Override
    public CompletableFuture<Map<String, List<String>>> groupUids(Collection<String> groups) {
        ObjectNode h = Envelope.JSON.createObjectNode();
        if (groups != null) {
            ArrayNode a = h.putArray("groups");
            groups.forEach(a::add);
        }
        return scatter("groupUids", h, local.groupUids(groups == null ? null : new ArrayList<>(groups)),
                ClusterRouter::mergeLists);
    }

    @Override
    public CompletableFuture<Map<String, ObjectNode>> sessions(String group) {
        ObjectNode h = Envelope.JSON.createObjectNode();
        if (group != null) {
            h.put("group", group);
        }
        return scatter("sessions", h, local.sessions(group), (into, reply) -> {
            if (reply instanceof ObjectNode o) {
                o.fields().forEachRemaining(f -> {
                    if (f.getValue() instanceof ObjectNode s) {
                        into.put(f.getKey(), s);
                    }
                });
            }
        });
    }

    @Override
    public CompletableFuture<List<String>> uids() {
        return local.uids().thenCompose(mine -> mirrors((r, m) -> r.hkeys(Keys.uids(m)).toCompletableFuture())
                .thenApply(remote -> {
                    TreeSet<String> all = new TreeSet<>(mine);
                    remote.values().forEach(all::addAll);
                    return new ArrayList<>(all);
                }));
    }

    @Override
    public CompletableFuture<List<String>> groupIds() {
        return local.groupIds().thenCompose(mine -> mirrors((r, m) -> r.smembers(Keys.groupSet(m)).toCompletableFuture())
                .thenApply(remote -> union(mine, remote.values())));
    }

    private static List<String> union(List<String> mine, Collection<Set<String>> remote) {
        TreeSet<String> all = new TreeSet<>(mine);
        remote.forEach(all::addAll);
        return new ArrayList<>(all);
    }

    private static void mergeLists(Map<String, List<String>> into, JsonNode reply) {
        Map<String, List<String>> m = Envelope.JSON.convertValue(reply, LISTS);
        if (m == null) {
            return;
        }
        m.forEach((k, v) -> {
            TreeSet<String> s = new TreeSet<>(into.getOrDefault(k, List.of()));
            s.addAll(v);
            into.put(k, new ArrayList<>(s));
        });
    }

    /**
     * Asks every live node (scatter-gather) with a deadline of cluster.query-timeout. Nodes that do
     * not answer in time are named in a {@link Router.PartialMap}, never silently left out.
     */
    private <V> CompletableFuture<Map<String, V>> scatter(String op, ObjectNode args,
                                                              CompletableFuture<Map<String, V>> mine,
                                                              java.util.function.BiConsumer<Map<String, V>, JsonNode> merge) {
        if (!c.available()) {
            return CompletableFuture.failedFuture(unavailable(-1, null));
        }
        if (c.overloaded()) {
            // not "partial" naming every node as silent: they were never asked
            return CompletableFuture.failedFuture(c.overloaded(-1));
        }
        long timeout = c.config.queryTimeout().toMillis();
        Map<String, CompletableFuture<ObjectNode>> asks = new TreeMap<>();
        for (Cluster.Peer p : c.remotePeers()) {
            ObjectNode h = args == null ? Envelope.JSON.createObjectNode() : args.deepCopy();
            h.put("op", op);
            asks.put(p.id(), c.request(p.id(), h, null, timeout));
        }
        return mine.thenCompose(local -> CompletableFuture.allOf(asks.values().stream()
                .map(f -> f.handle((v, e) -> null)).toArray(CompletableFuture[]::new)).thenApply(v -> {
                    if (asks.values().stream().anyMatch(f -> f.handle((r, e) -> unwrap(e) instanceof OverloadedException).join())) {
                        throw new CompletionException(c.overloaded(-1)); // filled up since the check above
                    }
                    Map<String, V> out = new TreeMap<>(local);
                    List<String> missing = new ArrayList<>();
                    asks.forEach((node, f) -> {
                        ObjectNode reply = f.isCompletedExceptionally() ? null : f.join();
                        if (reply == null || !reply.has("v")) {
                            missing.add(node);
                        } else {
                            merge.accept(out, reply.get("v"));
                        }
                    });
                    return missing.isEmpty() ? out : new Router.PartialMap<>(out, missing);
                }));
    }

    /** For tests: the node this router works for. */
    Cluster cluster() {
        return c;
    }

    /** For tests and status: the live nodes this node knows. */
    Map<String, String> knownNodes() {
        Map<String, String> out = new HashMap<>();
        c.peers.forEach((k, v) -> out.put(k, v.gen()));
        return out;
    }
}
