package io.gatewayd.routing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.delivery.OutboundMessage;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The router of a single node: pushes with a msg_id go through {@link MsgIds}, so a retried push
 * is delivered once as in cluster mode, whoever makes it (control API, cron, an embedder's
 * {@code gw.router()}). A push without one goes straight through: nothing is allocated or locked
 * for it. Everything else is the wrapped router's.
 */
public final class MsgIdRouter implements Router {
    private final Router next;
    private final MsgIds msgIds;

    public MsgIdRouter(Router next, MsgIds msgIds) {
        this.next = next;
        this.msgIds = msgIds;
    }

    // fresh(null) is true and settle(null, f) is f: a push without a msg_id only passes through

    @Override
    public CompletableFuture<Delivered> sendToAll(OutboundMessage m, Collection<String> onlyClientIds, Set<String> exclude) {
        String id = m.msgId();
        return msgIds.fresh(id) ? msgIds.settle(id, next.sendToAll(m, onlyClientIds, exclude)) : MsgIds.repeat(m);
    }

    @Override
    public CompletableFuture<Delivered> sendToClient(String clientId, OutboundMessage m) {
        String id = m.msgId();
        return msgIds.fresh(id) ? msgIds.settle(id, next.sendToClient(clientId, m)) : MsgIds.repeat(m);
    }

    @Override
    public CompletableFuture<Delivered> sendToUids(Collection<String> uids, OutboundMessage m, Set<String> exclude) {
        String id = m.msgId();
        return msgIds.fresh(id) ? msgIds.settle(id, next.sendToUids(uids, m, exclude)) : MsgIds.repeat(m);
    }

    @Override
    public CompletableFuture<Delivered> sendToGroups(Collection<String> groups, OutboundMessage m, Set<String> exclude) {
        String id = m.msgId();
        return msgIds.fresh(id) ? msgIds.settle(id, next.sendToGroups(groups, m, exclude)) : MsgIds.repeat(m);
    }

    @Override
    public CompletableFuture<Boolean> bindUid(String clientId, String uid) {
        return next.bindUid(clientId, uid);
    }

    @Override
    public CompletableFuture<Boolean> unbindUid(String clientId) {
        return next.unbindUid(clientId);
    }

    @Override
    public CompletableFuture<Boolean> joinGroup(String clientId, String group) {
        return next.joinGroup(clientId, group);
    }

    @Override
    public CompletableFuture<Boolean> leaveGroup(String clientId, String group) {
        return next.leaveGroup(clientId, group);
    }

    @Override
    public CompletableFuture<Boolean> closeClient(String clientId, OutboundMessage lastMessage) {
        return next.closeClient(clientId, lastMessage);
    }

    @Override
    public CompletableFuture<Boolean> destroyClient(String clientId) {
        return next.destroyClient(clientId);
    }

    @Override
    public CompletableFuture<Boolean> setSession(String clientId, ObjectNode session) {
        return next.setSession(clientId, session);
    }

    @Override
    public CompletableFuture<Boolean> updateSession(String clientId, ObjectNode patch) {
        return next.updateSession(clientId, patch);
    }

    @Override
    public CompletableFuture<Integer> ungroup(String group) {
        return next.ungroup(group);
    }

    @Override
    public CompletableFuture<Boolean> isOnline(String clientId) {
        return next.isOnline(clientId);
    }

    @Override
    public CompletableFuture<Map<String, List<String>>> clientIdsByUids(Collection<String> uids) {
        return next.clientIdsByUids(uids);
    }

    @Override
    public CompletableFuture<String> uidOf(String clientId) {
        return next.uidOf(clientId);
    }

    @Override
    public CompletableFuture<ObjectNode> sessionOf(String clientId) {
        return next.sessionOf(clientId);
    }

    @Override
    public CompletableFuture<Long> clientCount() {
        return next.clientCount();
    }

    @Override
    public CompletableFuture<List<String>> clientIds() {
        return next.clientIds();
    }

    @Override
    public CompletableFuture<Map<String, Integer>> groupClientCounts(Collection<String> groups) {
        return next.groupClientCounts(groups);
    }

    @Override
    public CompletableFuture<Map<String, List<String>>> groupClientIds(Collection<String> groups) {
        return next.groupClientIds(groups);
    }

    @Override
    public CompletableFuture<Map<String, List<String>>> groupUids(Collection<String> groups) {
        return next.groupUids(groups);
    }

    @Override
    public CompletableFuture<Map<String, ObjectNode>> sessions(String group) {
        return next.sessions(group);
    }

    @Override
    public CompletableFuture<List<String>> uids() {
        return next.uids();
    }

    @Override
    public CompletableFuture<List<String>> groupIds() {
        return next.groupIds();
    }
}
