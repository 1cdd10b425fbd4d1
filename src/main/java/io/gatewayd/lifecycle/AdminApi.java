package io.gatewayd.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.Gateway;
import io.gatewayd.api.ApiException;
import io.gatewayd.api.Params;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;

/**
 * The administration endpoints `gatewayctl` uses, served like every API method at
 * {@code /api/<name>} and authenticated by the control tokens:
 * <ul>
 *   <li>{@code admin/stop} (POST): {@code graceful?} (bool), {@code timeout?} (seconds) → stops
 *       after answering</li>
 *   <li>{@code admin/reload} (POST): re-reads the config file and applies it</li>
 *   <li>{@code admin/connections} (GET/POST): {@code uid?}, {@code group?}, {@code limit?} → rows</li>
 * </ul>
 */
public final class AdminApi {
    static final int DEFAULT_LIMIT = 1000;
    public static final int MAX_LIMIT = 100_000;

    /** What the process running the gateway does on request. */
    public interface Control {
        /** Starts stopping (or draining) and returns at once with what it is doing. */
        Map<String, Object> stop(boolean graceful, Duration timeout);

        /** Re-reads and applies the config; throws ApiException when it is refused. */
        CompletableFuture<Map<String, Object>> reload();
    }

    private AdminApi() {
    }

    public static void install(Gateway gateway, Control control) {
        gateway.api().register("admin/stop", false,
                "graceful? (bool: drain first, as stop -g), timeout? (seconds; graceful: 0 = wait indefinitely)",
                "{pid, state, connections, timeout_s, joined?}; the process stops after answering; joined: a "
                        + "drain was already under way, and timeout_s is the time left of its timeout",
                p -> {
                    boolean graceful = bool(p, "graceful");
                    Duration timeout = seconds(p, "timeout");
                    return CompletableFuture.completedFuture(control.stop(graceful, timeout));
                });
        gateway.api().register("admin/reload", false, "",
                "{config_file, notes, log_config}; an invalid config is refused (error config_invalid) "
                        + "and the running one stays", p -> control.reload());
        gateway.api().register("admin/connections", true,
                "uid?, group?, limit? (default " + DEFAULT_LIMIT + ", at most " + MAX_LIMIT + ")",
                "{total, shown, connections: [{client_id, protocol, listener, remote, uid, groups, connected_at, "
                        + "connected_s, idle_s, messages_in, messages_out, bytes_in, bytes_out, pending_bytes}]}",
                p -> CompletableFuture.completedFuture(connections(gateway.registry(), p)));
    }

    static Map<String, Object> connections(Registry registry, Params p) {
        int limit = DEFAULT_LIMIT;
        JsonNode l = p.node().get("limit");
        if (l != null && !l.isNull()) {
            limit = intValue("limit", l);
            if (limit < 1 || limit > MAX_LIMIT) {
                throw ApiException.invalid("limit", "must be between 1 and " + MAX_LIMIT + ", got " + limit);
            }
        }
        Collection<Connection> source;
        String group = p.has("group") ? p.key("group") : null;
        if (p.has("uid")) {
            source = registry.byUid(p.key("uid"));
        } else if (group != null) {
            source = registry.byGroup(group);
        } else {
            source = registry.all();
        }
        long now = System.currentTimeMillis();
        // the oldest `limit` of them, in one pass: a heap whose head is the newest one kept
        Comparator<Connection> oldestFirst = Comparator.comparingLong(Connection::connectedAtMillis)
                .thenComparing(Connection::clientId);
        PriorityQueue<Connection> oldest = new PriorityQueue<>(Math.min(limit, 1024) + 1, oldestFirst.reversed());
        int total = 0;
        for (Connection c : source) {
            if (group != null && !registry.snapshot(c).groups().contains(group)) {
                continue;
            }
            total++;
            oldest.add(c);
            if (oldest.size() > limit) {
                oldest.poll();
            }
        }
        List<Connection> kept = new ArrayList<>(oldest);
        kept.sort(oldestFirst);
        List<Registry.Snapshot> picked = new ArrayList<>(kept.size());
        for (Connection c : kept) {
            picked.add(registry.snapshot(c));
        }
        List<Map<String, Object>> rows = new ArrayList<>(picked.size());
        for (Registry.Snapshot s : picked) {
            Connection c = s.connection();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("client_id", c.clientId());
            row.put("protocol", c.protocol().scheme());
            row.put("listener", c.listener());
            InetSocketAddress r = c.remote();
            row.put("remote", r == null ? null : (r.getAddress() == null ? r.getHostString()
                    : r.getAddress().getHostAddress()) + ":" + r.getPort());
            row.put("uid", s.uid());
            row.put("groups", s.groups());
            row.put("connected_at", Instant.ofEpochMilli(c.connectedAtMillis()).toString());
            row.put("connected_s", (now - c.connectedAtMillis()) / 1000);
            row.put("idle_s", Math.max(0, now - c.lastActiveMillis()) / 1000);
            row.put("messages_in", c.messagesIn());
            row.put("messages_out", c.messagesOut());
            row.put("bytes_in", c.bytesIn());
            row.put("bytes_out", c.bytesOut());
            row.put("pending_bytes", c.pendingOutboundBytes());
            rows.add(row);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("total", total);
        out.put("shown", rows.size());
        out.put("connections", rows);
        return out;
    }

    private static boolean bool(Params p, String field) {
        JsonNode v = p.node().get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isTextual() && (v.textValue().equals("true") || v.textValue().equals("1"))) {
            return true;
        }
        if (v.isTextual() && (v.textValue().equals("false") || v.textValue().equals("0") || v.textValue().isEmpty())) {
            return false;
        }
        throw ApiException.invalid(field, "must be true or false");
    }

    /** Optional seconds (number or numeric string); null when absent. */
    private static Duration seconds(Params p, String field) {
        JsonNode v = p.node().get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        double s;
        if (v.isNumber()) {
            s = v.doubleValue();
        } else if (v.isTextual()) {
            try {
                s = Double.parseDouble(v.textValue());
            } catch (NumberFormatException e) {
                throw ApiException.invalid(field, "must be a number of seconds, got \"" + v.textValue() + "\"");
            }
        } else {
            throw ApiException.invalid(field, "must be a number of seconds");
        }
        if (!(s >= 0) || s > 365 * 86400) {
            throw ApiException.invalid(field, "must be between 0 and 31536000 seconds");
        }
        return Duration.ofMillis(Math.round(s * 1000));
    }

    private static int intValue(String field, JsonNode v) {
        if (v.isIntegralNumber() && v.canConvertToInt()) {
            return v.intValue();
        }
        if (v.isTextual()) {
            try {
                return Integer.parseInt(v.textValue().trim());
            } catch (NumberFormatException e) {
                // below
            }
        }
        throw ApiException.invalid(field, "must be an integer");
    }
}
