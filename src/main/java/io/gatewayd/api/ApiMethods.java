package io.gatewayd.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.metrics.GatewayStats;
import io.gatewayd.routing.MessageTooLargeException;
import io.gatewayd.routing.Router;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The push API: GatewayClient's methods by name, each a function of its parameters. The HTTP
 * layer, `/api/batch` and the CLI's `call` all go through this one table.
 */
public final class ApiMethods {

    /** One API method. Read-only ones also answer GET. */
    public record Method(String name, boolean readOnly, String params, String result,
                         Function<Params, CompletableFuture<?>> handler) {
    }

    private final Map<String, Method> methods = new java.util.concurrent.ConcurrentHashMap<>();
    private final Router router;
    private final GatewayStats stats;

    public ApiMethods(Router router, GatewayStats stats) {
        this.router = router;
        this.stats = stats;
        define();
    }

    public Method get(String name) {
        return methods.get(name);
    }

    public Map<String, Method> all() {
        return Collections.unmodifiableMap(methods);
    }

    /** Known names closest to a mistyped one, best first. */
    public List<String> closeMatches(String name) {
        String lower = name.toLowerCase(java.util.Locale.ROOT);
        return methods.keySet().stream()
                .filter(m -> io.gatewayd.config.ConfigLoader.editDistance(lower, m.toLowerCase(java.util.Locale.ROOT))
                        <= Math.max(3, m.length() / 4)
                        || m.toLowerCase(java.util.Locale.ROOT).contains(lower) && lower.length() >= 4)
                .sorted(java.util.Comparator.comparingInt(m -> io.gatewayd.config.ConfigLoader.editDistance(lower,
                        m.toLowerCase(java.util.Locale.ROOT))))
                .limit(5)
                .toList();
    }

    /**
     * Adds a method served at /api/{name} (names may contain '/', e.g. "cron/list"); for
     * components such as cron or administration that extend the API.
     */
    public void register(String name, boolean readOnly, String params, String result,
                         Function<Params, CompletableFuture<?>> handler) {
        if (methods.putIfAbsent(name, new Method(name, readOnly, params, result, handler)) != null) {
            throw new IllegalArgumentException("API method " + name + " is already defined");
        }
    }

    private void write(String name, String params, String result, Function<Params, CompletableFuture<?>> h) {
        methods.put(name, new Method(name, false, params, result, checked(name, params, h)));
    }

    private void read(String name, String params, String result, Function<Params, CompletableFuture<?>> h) {
        methods.put(name, new Method(name, true, params, result, checked(name, params, h)));
    }

    private static Function<Params, CompletableFuture<?>> checked(String name, String params,
                                                                  Function<Params, CompletableFuture<?>> h) {
        ParamNames known = ParamNames.of(name, params);
        return p -> {
            known.requireKnown(p.node());
            return h.apply(p);
        };
    }

    private void alias(String alias, String target) {
        Method m = methods.get(target);
        methods.put(alias, new Method(alias, m.readOnly(), m.params(), m.result() + " (alias of " + target + ")",
                m.handler()));
    }

    private CompletableFuture<?> push(Params p, CompletableFuture<Router.Delivered> f) {
        // the router refuses an oversized message at once; not a push that was made
        boolean refusedAtOnce = f.isCompletedExceptionally()
                && f.handle((d, err) -> unwrap(err) instanceof MessageTooLargeException).join();
        if (!refusedAtOnce) {
            stats.apiPushes.increment();
        }
        return namingTheMessage(p, f).thenApply(ApiMethods::delivered);
    }

    /**
     * The router's refusal of a message as 413 message_too_large naming the request field, whenever
     * it comes: at once, or later from the cluster node that holds the client.
     */
    private static <T> CompletableFuture<T> namingTheMessage(Params p, CompletableFuture<T> f) {
        return f.exceptionallyCompose(err -> CompletableFuture.failedFuture(
                unwrap(err) instanceof MessageTooLargeException e
                        ? tooLarge(p.has("message_base64") ? "message_base64" : "message", e) : err));
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** {delivered}; in cluster mode also delivered_local, remote_nodes (and partial when reports are missing). */
    public static Map<String, Object> delivered(Router.Delivered d) {
        if (d.cluster() == null) {
            return Map.of("delivered", d.count());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("delivered", d.count());
        out.put("delivered_local", d.cluster().local());
        out.put("remote_nodes", d.cluster().remoteNodes());
        if (d.cluster().missingReports() > 0) {
            out.put("partial", true);
            out.put("missing_reports", d.cluster().missingReports());
        }
        return out;
    }

    /** The router's refusal of a message no client could take, naming the request field it came from. */
    private static ApiException tooLarge(String field, MessageTooLargeException e) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("size", e.size());
        details.put("max_bytes", e.maxBytes());
        if (e.node() != null) {
            details.put("node", e.node());
            details.put("delivered", e.deliveredElsewhere());
        }
        return new ApiException(413, "message_too_large", e.describe("\"" + field + "\""), details);
    }

    /** The message of a push, carrying the optional msg_id (the router drops a repeated one). */
    private static OutboundMessage pushMessage(Params p) {
        String msgId = null;
        if (p.has("msg_id")) {
            com.fasterxml.jackson.databind.JsonNode v = p.node().get("msg_id");
            if (!v.isTextual() && !v.isIntegralNumber()) {
                throw ApiException.invalid("msg_id", "must be a string or integer, got " + Params.kind(v));
            }
            msgId = v.asText();
            if (msgId.isEmpty() || msgId.length() > 200) {
                throw ApiException.invalid("msg_id", "must be 1 to 200 characters");
            }
        }
        return p.message().msgId(msgId);
    }

    private void define() {
        // ---- pushes
        write("sendToAll", "message | message_base64, client_ids?, exclude_client_ids?, msg_id?", "{delivered}", p -> {
            List<String> only = p.clientIdListOrNull("client_ids");
            Set<String> exclude = p.clientIdSet("exclude_client_ids");
            return push(p, router.sendToAll(pushMessage(p), only, exclude));
        });
        write("sendToClient", "client_id, message | message_base64, msg_id?", "{delivered}", p -> {
            String id = p.clientId("client_id");
            return push(p, router.sendToClient(id, pushMessage(p)));
        });
        write("sendToUid", "uid | uids, message | message_base64, exclude_client_ids?, msg_id?", "{delivered}", p -> {
            List<String> uids = p.keys("uid", "uids");
            Set<String> exclude = p.clientIdSet("exclude_client_ids");
            return push(p, router.sendToUids(uids, pushMessage(p), exclude));
        });
        write("sendToGroup", "group | groups, message | message_base64, exclude_client_ids?, msg_id?", "{delivered}", p -> {
            List<String> groups = p.keys("group", "groups");
            Set<String> exclude = p.clientIdSet("exclude_client_ids");
            return push(p, router.sendToGroups(groups, pushMessage(p), exclude));
        });

        // ---- one client
        write("bindUid", "client_id, uid", "true, or false if the client is offline", p -> {
            String id = p.clientId("client_id");
            return router.bindUid(id, p.key("uid"));
        });
        write("unbindUid", "client_id, uid? (ignored: the bound uid is removed, as in GatewayWorker)",
                "true, or false if offline", p -> router.unbindUid(p.clientId("client_id")));
        write("joinGroup", "client_id, group", "true, or false if offline", p -> {
            String id = p.clientId("client_id");
            return router.joinGroup(id, p.key("group"));
        });
        write("leaveGroup", "client_id, group", "true, or false if offline", p -> {
            String id = p.clientId("client_id");
            return router.leaveGroup(id, p.key("group"));
        });
        write("ungroup", "group", "number of members removed", p -> router.ungroup(p.key("group")));
        write("closeClient", "client_id, message? | message_base64?", "true, or false if offline", p -> {
            String id = p.clientId("client_id");
            OutboundMessage last = p.messageOrNull();
            return namingTheMessage(p, router.closeClient(id, last));
        });
        write("destroyClient", "client_id", "true, or false if offline",
                p -> router.destroyClient(p.clientId("client_id")));
        alias("destoryClient", "destroyClient");
        write("setSession", "client_id, session (object)", "true, or false if offline", p -> {
            String id = p.clientId("client_id");
            return router.setSession(id, p.object("session"));
        });
        write("updateSession", "client_id, session (object, deep-merged)", "true, or false if offline", p -> {
            String id = p.clientId("client_id");
            return router.updateSession(id, p.object("session"));
        });

        // ---- queries
        read("getSession", "client_id", "session object ({} if never set), null if offline",
                p -> router.sessionOf(p.clientId("client_id")));
        read("isOnline", "client_id", "boolean", p -> router.isOnline(p.clientId("client_id")));
        read("isUidOnline", "uid", "boolean", p -> {
            String uid = p.key("uid");
            return router.clientIdsByUids(List.of(uid)).thenApply(m -> !m.get(uid).isEmpty());
        });
        read("isUidsOnline", "uids", "{uid: boolean}", p -> router.clientIdsByUids(p.keyList("uids"))
                .thenApply(m -> mapValues(m, ids -> !ids.isEmpty())));
        read("getClientIdByUid", "uid", "[client_id]", p -> {
            String uid = p.key("uid");
            return router.clientIdsByUids(List.of(uid)).thenApply(m -> m.get(uid));
        });
        read("batchGetClientIdByUid", "uids", "{uid: [client_id]}", p -> router.clientIdsByUids(p.keyList("uids")));
        read("getUidByClientId", "client_id", "uid or null", p -> router.uidOf(p.clientId("client_id")));
        read("getAllClientIdCount", "", "number", p -> router.clientCount());
        alias("getAllClientCount", "getAllClientIdCount");
        read("getAllClientIdList", "", "[client_id]", p -> router.clientIds());
        read("getClientIdCountByGroup", "group? (absent: all clients)", "number", p -> {
            if (!p.has("group")) {
                return router.clientCount();
            }
            String g = p.key("group");
            return router.groupClientCounts(List.of(g)).thenApply(m -> m.get(g));
        });
        alias("getClientCountByGroup", "getClientIdCountByGroup");
        read("batchGetClientIdCountByGroup", "groups", "{group: number}",
                p -> router.groupClientCounts(p.keyList("groups")));
        read("getClientIdListByGroup", "group | groups", "[client_id]",
                p -> router.groupClientIds(p.keys("group", "groups")).thenApply(ApiMethods::unionSorted));
        read("getAllClientSessions", "group?", "{client_id: session}",
                p -> router.sessions(p.has("group") ? p.key("group") : null));
        alias("getAllClientInfo", "getAllClientSessions");
        read("getClientSessionsByGroup", "group", "{client_id: session}", p -> router.sessions(p.key("group")));
        alias("getClientInfoByGroup", "getClientSessionsByGroup");
        read("getUidListByGroup", "group | groups", "[uid]",
                p -> router.groupUids(p.keys("group", "groups")).thenApply(ApiMethods::unionSorted));
        read("getUidCountByGroup", "group", "number of distinct uids", p -> {
            String g = p.key("group");
            return router.groupUids(List.of(g)).thenApply(m -> Router.PartialValue.carry(m, m.get(g).size()));
        });
        read("getAllUidList", "", "[uid]", p -> router.uids());
        read("getAllUidCount", "", "number", p -> router.uids().thenApply(List::size));
        read("getAllGroupIdList", "", "[group]", p -> router.groupIds());
        read("getAllGroupUidList", "", "{group: [uid]}", p -> router.groupUids(null));
        read("getAllGroupUidCount", "", "{group: number}",
                p -> router.groupUids(null).thenApply(m -> mapValues(m, List::size)));
        read("getAllGroupClientIdList", "", "{group: [client_id]}", p -> router.groupClientIds(null));
        read("getAllGroupClientIdCount", "", "{group: number}",
                p -> router.groupClientIds(null).thenApply(m -> mapValues(m, List::size)));
    }

    private static <A, B> Object mapValues(Map<String, A> in, Function<A, B> f) {
        Map<String, B> out = new LinkedHashMap<>();
        in.forEach((k, v) -> out.put(k, f.apply(v)));
        return Router.PartialValue.carry(in, out);
    }

    private static Object unionSorted(Map<String, List<String>> m) {
        if (m.size() == 1) {
            return Router.PartialValue.carry(m, m.values().iterator().next());
        }
        return Router.PartialValue.carry(m,
                new ArrayList<>(m.values().stream().flatMap(List::stream).collect(Collectors.toCollection(TreeSet::new))));
    }

    /** Method names sorted, for help and error messages. */
    public List<String> names() {
        return new ArrayList<>(new TreeMap<>(methods).keySet());
    }

    static ObjectNode describe(Method m) {
        ObjectNode o = Json.object();
        o.put("name", m.name());
        o.put("http", m.readOnly() ? "GET or POST" : "POST");
        o.put("params", m.params());
        o.put("result", m.result());
        return o;
    }
}
