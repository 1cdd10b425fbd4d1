package io.gatewayd.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.metrics.GatewayStats;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/** Builds the JSON of GET /api/status from live counters. */
public final class StatusReport {
    /** A client listener as status shows it. */
    public record ListenerRow(String url, String protocol) {
    }

    private final Registry registry;
    private final GatewayStats stats;
    private final Supplier<List<ListenerRow>> listeners;
    private final IntSupplier awaitingAnswers;
    private final Map<String, Supplier<Object>> extras;
    private final String version;
    private final String transport;

    /**
     * @param awaitingAnswers clients whose input ended, kept open for their webhook answers (not in the registry)
     * @param extras further top-level sections (e.g. "mode", "draining", "cron"), computed per request
     */
    public StatusReport(Registry registry, GatewayStats stats, Supplier<List<ListenerRow>> listeners,
                        IntSupplier awaitingAnswers, Map<String, Supplier<Object>> extras, String version,
                        String transport) {
        this.registry = registry;
        this.stats = stats;
        this.listeners = listeners;
        this.awaitingAnswers = awaitingAnswers;
        this.extras = extras;
        this.version = version;
        this.transport = transport;
    }

    public ObjectNode build() {
        ObjectNode o = Json.object();
        o.put("version", version);
        o.put("pid", ProcessHandle.current().pid());
        o.put("transport", transport);
        o.put("started_at", Instant.ofEpochMilli(stats.startedAtMillis()).toString());
        o.put("uptime_s", (System.currentTimeMillis() - stats.startedAtMillis()) / 1000);
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        o.put("load_average", load < 0 ? null : Math.round(load * 100) / 100.0);
        ObjectNode conns = o.putObject("connections");
        conns.put("current", registry.size());
        conns.put("peak", registry.peak());
        conns.put("total", stats.connectionsAccepted.sum());
        conns.put("accept_failures", stats.acceptFailures.sum());
        conns.put("awaiting_answers", awaitingAnswers.getAsInt());
        o.put("uids", registry.uidCount());
        o.put("groups", registry.groupCount());
        ObjectNode msgs = o.putObject("messages");
        msgs.put("in", stats.messagesIn.sum());
        msgs.put("out", stats.messagesOut.sum());
        ObjectNode bytes = o.putObject("bytes");
        bytes.put("in", stats.bytesIn.sum());
        bytes.put("out", stats.bytesOut.sum());
        ObjectNode api = o.putObject("api");
        api.put("requests", stats.apiRequests.sum());
        api.put("pushes", stats.apiPushes.sum());
        api.put("errors", stats.apiErrors.sum());
        api.put("rejected_overloaded", stats.pushesRejected.sum());
        api.put("duplicates_dropped", stats.duplicatesDropped.sum());
        ObjectNode dropped = o.putObject("dropped");
        dropped.put("slow_clients", stats.slowClientsDropped.sum());
        dropped.put("heartbeat", stats.heartbeatDropped.sum());
        dropped.put("oversize", stats.oversizeClosed.sum());

        Map<String, Integer> perListener = new HashMap<>();
        Map<String, String> protocols = new HashMap<>();
        for (Connection c : registry.all()) {
            if (perListener.merge(c.listener(), 1, Integer::sum) == 1) {
                protocols.put(c.listener(), c.protocol().scheme());
            }
        }
        ArrayNode ls = o.putArray("listeners");
        for (ListenerRow l : listeners.get()) {
            ObjectNode row = ls.addObject();
            row.put("url", l.url());
            row.put("protocol", l.protocol());
            Integer n = perListener.remove(l.url());
            row.put("connections", n == null ? 0 : n.intValue());
        }
        // a reload that moved or removed a listener keeps its clients: they are counted on a row of their own
        for (Map.Entry<String, Integer> e : new java.util.TreeMap<>(perListener).entrySet()) {
            ObjectNode row = ls.addObject();
            row.put("url", e.getKey());
            row.put("protocol", protocols.get(e.getKey()));
            row.put("connections", e.getValue());
            row.put("closed", true);
        }

        ObjectNode jvm = o.putObject("jvm");
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        jvm.put("heap_used", heap.getUsed());
        jvm.put("heap_committed", heap.getCommitted());
        jvm.put("heap_max", heap.getMax());
        jvm.put("direct_used", io.netty.util.internal.PlatformDependent.usedDirectMemory());
        jvm.put("rss", residentSetBytes());
        jvm.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean os) {
            // every client is a descriptor: how close the process is to refusing connections
            jvm.put("open_files", openFiles(os));
            jvm.put("max_open_files", os.getMaxFileDescriptorCount());
        }
        for (Map.Entry<String, Supplier<Object>> e : extras.entrySet()) {
            o.set(e.getKey(), Json.MAPPER.valueToTree(e.getValue().get()));
        }
        return o;
    }

    /**
     * Descriptors in use, or null when they cannot be counted: counting opens /proc/self/fd, which
     * fails when none is left, and the JDK reports that as an InternalError. Uncaught, it closed
     * the control connection, so status went dark exactly when it mattered.
     */
    static Long openFiles(com.sun.management.UnixOperatingSystemMXBean os) {
        try {
            return os.getOpenFileDescriptorCount();
        } catch (InternalError e) {
            return null;
        }
    }

    /** VmRSS from /proc on Linux; -1 elsewhere. */
    static long residentSetBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }
}
