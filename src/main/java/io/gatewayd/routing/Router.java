package io.gatewayd.routing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.delivery.OutboundMessage;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The seam between "who should get this" and "where are they". The control API, cron jobs and
 * webhooks speak only to a Router. {@link LocalRouter} answers from this process's registry; a
 * cluster router answers for many nodes behind the same interface, which is why every call is
 * asynchronous even though the local one completes at once.
 *
 * <p>uid and group keys are non-empty strings. Push methods take ownership of the message
 * (they release it). Methods on one client return false when that client is not online.
 *
 * <p>A push larger than outbound.max-pending-bytes fails with {@link MessageTooLargeException}
 * and reaches nobody; a push the delivery queues cannot take fails with {@link OverloadedException}.
 *
 * <p>The gateway's router ({@code Gateway.router()}) delivers a message whose
 * {@link OutboundMessage#msgId() msgId} it delivered within control.dedup-window only once: a repeat
 * completes with {@link Delivered#NONE}, as a push that reached nobody ({@link MsgIds}).
 */
public interface Router {

    // ---- pushes: each completes with how many connections the message was queued to

    /** All clients, or only {@code onlyClientIds} when not null, minus {@code exclude}. */
    CompletableFuture<Delivered> sendToAll(OutboundMessage m, Collection<String> onlyClientIds, Set<String> exclude);

    CompletableFuture<Delivered> sendToClient(String clientId, OutboundMessage m);

    /** Every connection bound to any of the uids. */
    CompletableFuture<Delivered> sendToUids(Collection<String> uids, OutboundMessage m, Set<String> exclude);

    /** Every member of any of the groups, each once. */
    CompletableFuture<Delivered> sendToGroups(Collection<String> groups, OutboundMessage m, Set<String> exclude);

    // ---- one client

    CompletableFuture<Boolean> bindUid(String clientId, String uid);

    CompletableFuture<Boolean> unbindUid(String clientId);

    CompletableFuture<Boolean> joinGroup(String clientId, String group);

    CompletableFuture<Boolean> leaveGroup(String clientId, String group);

    /**
     * Sends {@code lastMessage} (may be null), then closes after flushing. A last message larger
     * than outbound.max-pending-bytes fails with {@link MessageTooLargeException}: the client is
     * left open.
     */
    CompletableFuture<Boolean> closeClient(String clientId, OutboundMessage lastMessage);

    /** Cuts the connection at once, dropping anything pending. */
    CompletableFuture<Boolean> destroyClient(String clientId);

    CompletableFuture<Boolean> setSession(String clientId, ObjectNode session);

    CompletableFuture<Boolean> updateSession(String clientId, ObjectNode patch);

    /** Removes every member from the group; completes with how many there were. */
    CompletableFuture<Integer> ungroup(String group);

    // ---- queries

    CompletableFuture<Boolean> isOnline(String clientId);

    /** uid → its client ids, for each requested uid (an empty list when offline). */
    CompletableFuture<Map<String, List<String>>> clientIdsByUids(Collection<String> uids);

    /** The uid bound to a client, null if none or offline. */
    CompletableFuture<String> uidOf(String clientId);

    /** The session (an empty object if never set), or null when offline. */
    CompletableFuture<ObjectNode> sessionOf(String clientId);

    CompletableFuture<Long> clientCount();

    CompletableFuture<List<String>> clientIds();

    /** group → member count, for each requested group (0 when empty). */
    CompletableFuture<Map<String, Integer>> groupClientCounts(Collection<String> groups);

    /** group → member client ids, for the requested groups, or all groups when null. */
    CompletableFuture<Map<String, List<String>>> groupClientIds(Collection<String> groups);

    /** group → distinct uids of its members, for the requested groups, or all groups when null. */
    CompletableFuture<Map<String, List<String>>> groupUids(Collection<String> groups);

    /** client_id → session, for the members of {@code group}, or every client when null. */
    CompletableFuture<Map<String, ObjectNode>> sessions(String group);

    CompletableFuture<List<String>> uids();

    CompletableFuture<List<String>> groupIds();

    /**
     * The result of a push: {@code count} connections it was queued to. In cluster mode
     * {@code cluster} tells how that splits (else null).
     */
    record Delivered(long count, ClusterPart cluster) {
        public static final Delivered NONE = new Delivered(0);

        public Delivered(long count) {
            this(count, null);
        }

        /**
         * @param local          connections of the node that took the call
         * @param remoteNodes    other nodes the message reached
         * @param missingReports nodes that got the message but did not report their count in time
         *                       (their deliveries are not in {@code count})
         */
        public record ClusterPart(long local, int remoteNodes, int missingReports) {
        }
    }

    /**
     * Marks a query answer that lacks the part of some nodes (a cluster query past its deadline).
     * The control API adds {@code "partial": true} and {@code "missing_nodes"} to such a response.
     */
    interface Partial {
        List<String> missingNodes();
    }

    /** A map answer with the nodes that did not contribute. */
    final class PartialMap<K, V> extends java.util.TreeMap<K, V> implements Partial {
        private final List<String> missing;

        public PartialMap(Map<K, V> content, List<String> missing) {
            super(content);
            this.missing = List.copyOf(missing);
        }

        @Override
        public List<String> missingNodes() {
            return missing;
        }
    }

    /** Any other answer (a list, a number) derived from a partial one. */
    record PartialValue(Object value, List<String> missingNodes) implements Partial {
        /** {@code derived} marked partial when {@code source} was. */
        public static Object carry(Object source, Object derived) {
            if (source instanceof Partial p && !p.missingNodes().isEmpty()) {
                return new PartialValue(derived, p.missingNodes());
            }
            return derived;
        }
    }
}
