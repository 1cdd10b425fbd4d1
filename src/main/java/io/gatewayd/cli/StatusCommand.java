package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.lifecycle.PidFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** {@code gatewayctl status [--json] [--watch]}. */
@Command(name = "status", sortSynopsis = false,
        description = {
                "Show whether the gateway runs, and its connections, traffic, memory and listeners.",
                "",
                "Like Workerman's status: version, mode (debug/daemon/jsvc), state (running, or",
                "\"draining, N connections left\" during `stop -g`), pid, start time and uptime,",
                "load average, JVM heap, direct memory and RSS, connections (current/peak/total",
                "accepted), uids, groups, messages and bytes in and out, API requests and",
                "pushes, clients dropped (slow, heartbeat, oversize), the limits, auth,",
                "webhooks and cron counters, one row per listener, and in cluster mode Redis'",
                "state and one row per node. --watch refreshes every second and adds rates;",
                "--json prints /api/status as JSON (one object per line with --watch).",
                "",
                "Exit status (LSB, for init scripts): 0 running, 1 not running but the pid",
                "file remains (it died), 3 not running, 4 running but its control port does",
                "not answer, or answers with a certificate gatewayctl does not trust (see",
                "--cacert)."})
final class StatusCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    HelpOption helpOption;

    static final int EXIT_DEAD = 1;
    static final int EXIT_UNKNOWN = 4;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> KNOWN = Set.of("version", "pid", "transport", "started_at", "uptime_s",
            "load_average", "connections", "uids", "groups", "messages", "bytes", "api", "dropped", "listeners", "jvm",
            "mode", "state", "draining", "node_id", "process", "running", "cluster", "event_loops", "tls");

    @Mixin
    ControlOptions control;

    @Option(names = "--json", description = "Print JSON (the control API's /api/status, plus \"running\").")
    boolean json;

    @Option(names = {"-w", "--watch"}, description = "Refresh every second, with rates, until Ctrl-C or the gateway's process ends.")
    boolean watch;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Target t = control.target(Installation.current(), err);
        JsonNode st;
        try {
            st = fetch(t);
        } catch (ControlClient.TlsException e) {
            return notRunning(t, t.probe, e.getMessage(), out, err);
        }
        if (st == null) {
            return notRunning(t, t.probe, null, out, err);
        }
        if (!watch) {
            print(st, null, 0, t, out);
            return GatewayCtl.EXIT_OK;
        }
        boolean tty = System.console() != null && !json;
        JsonNode prev = null;
        long prevAt = 0;
        PidFile.Probe silent = null; // set while the process runs but its control port does not answer
        while (true) {
            long now = System.nanoTime();
            if (tty) {
                out.print("\033[H\033[2J"); // home, clear screen
            }
            if (st != null) {
                print(st, prev, prev == null ? 0 : (now - prevAt) / 1e9, t, out);
            } else {
                notRunning(t, silent, null, out, err);
            }
            if (!tty && !json) {
                out.println();
            }
            out.flush();
            // the reader has gone (`status --watch | head`): System.out swallows EPIPE, and keeps a flag
            if (out.checkError() || System.out.checkError()) {
                return GatewayCtl.EXIT_OK;
            }
            prev = st;
            prevAt = now;
            LockSupportSleep.sleepMillis(1000); // the refresh period of the display
            st = fetch(t);
            if (st == null) {
                silent = t.probeAgain();
                if (silent.running()) {
                    // a stopping gateway closes its control port before its process ends (or it is
                    // wedged): a watch reports that and goes on until the process is gone
                    continue;
                }
                if (json) { // one JSON object per line to the end, as scripts reading the stream expect
                    return notRunning(t, silent, null, out, err);
                }
                out.println("gatewayd has stopped");
                out.flush();
                return ControlClient.EXIT_NOT_RUNNING;
            }
        }
    }

    /** /api/status, or null when nothing answers. */
    private JsonNode fetch(Target t) {
        if (!t.hasUrl()) {
            return null;
        }
        try {
            return t.client(control.timeout()).get("/api/status");
        } catch (ControlClient.NotRunningException e) {
            return null;
        }
    }

    /**
     * Reports a gateway that does not answer.
     *
     * @param p   what its pid file says now
     * @param tls why TLS with the control port failed (it answers, so the state is unknown), or null
     */
    private int notRunning(Target t, PidFile.Probe p, String tls, PrintWriter out, PrintWriter err) {
        int code;
        String message;
        if (tls != null) {
            code = EXIT_UNKNOWN;
            message = (p.running() ? "gatewayd is running (pid " + p.pid() + "), but " : "") + tls;
        } else if (p.running()) {
            code = EXIT_UNKNOWN;
            message = "gatewayd is running (pid " + p.pid() + ") but its control port" + (t.hasUrl() ? " at " + t.url : "")
                    + " does not answer" + (t.hasUrl() ? "" : " (its runtime file " + t.pidFile.runtimePath()
                    + " is missing); pass --control-url");
        } else if (p.state() == PidFile.State.STALE) {
            code = EXIT_DEAD;
            message = t.notRunningMessage();
        } else {
            code = ControlClient.EXIT_NOT_RUNNING;
            message = t.notRunningMessage();
        }
        if (json) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("running", p.running() || tls != null);
            o.put("state", p.running() || tls != null ? "unknown"
                    : p.state() == PidFile.State.STALE ? "dead" : "stopped");
            if (p.pid() > 0) {
                o.put("pid", p.pid());
            } else {
                o.putNull("pid");
            }
            if (t.pidFileApplies) {
                o.put("pid_file", t.pidFile.path().toString());
            } else { // --control-url of another gateway than the config's: its pid file is not known here
                o.putNull("pid_file");
                o.put("control_url", t.url.toString());
            }
            o.put("message", message);
            out.println(o.toString());
            out.flush();
        } else {
            err.println("gatewayctl: " + message);
            err.flush();
        }
        return code;
    }

    private void print(JsonNode st, JsonNode prev, double elapsed, Target t, PrintWriter out) {
        if (json) {
            ObjectNode o = ((ObjectNode) st).deepCopy();
            o.put("running", true);
            if (prev != null && elapsed > 0) {
                ObjectNode rates = o.putObject("rates");
                rates.put("messages_in_per_s", rate(st, prev, elapsed, "messages", "in"));
                rates.put("messages_out_per_s", rate(st, prev, elapsed, "messages", "out"));
                rates.put("bytes_in_per_s", rate(st, prev, elapsed, "bytes", "in"));
                rates.put("bytes_out_per_s", rate(st, prev, elapsed, "bytes", "out"));
                rates.put("connections_per_s", rate(st, prev, elapsed, "connections", "total"));
                rates.put("api_pushes_per_s", rate(st, prev, elapsed, "api", "pushes"));
            }
            try {
                out.println(watch ? JSON.writeValueAsString(o) : JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            return;
        }
        boolean rates = prev != null && elapsed > 0;
        String mode = st.path("mode").asText("?").toUpperCase(Locale.ROOT);
        String state = st.path("state").asText("?");
        JsonNode draining = st.path("draining");
        if ("draining".equals(state) && draining.isObject()) {
            int left = draining.path("connections_left").asInt();
            state = "draining, " + count(left, "connection") + " left"
                    + (draining.hasNonNull("deadline") ? " (stops at " + draining.path("deadline").asText() + " at the latest)"
                    : "");
        }
        JsonNode jvm = st.path("jvm");
        JsonNode conns = st.path("connections");
        JsonNode msgs = st.path("messages");
        JsonNode bytes = st.path("bytes");
        JsonNode api = st.path("api");
        JsonNode dropped = st.path("dropped");
        JsonNode proc = st.path("process");
        out.println("gatewayd " + st.path("version").asText() + " in " + mode + " mode, pid " + st.path("pid").asText());
        java.util.List<String[]> rows = new java.util.ArrayList<>(java.util.Arrays.asList(new String[][] {
                {"state", state},
                {"started", st.path("started_at").asText() + " (up " + Format.duration(st.path("uptime_s").asLong()) + ")"},
                {"load average", st.path("load_average").isNumber() ? st.path("load_average").asText() : "n/a"},
                {"memory", "heap " + Format.bytes(jvm.path("heap_used").asLong()) + " used of "
                        + Format.bytes(jvm.path("heap_max").asLong()) + ", direct "
                        + Format.bytes(jvm.path("direct_used").asLong()) + ", RSS " + Format.bytes(jvm.path("rss").asLong())
                        + ", " + jvm.path("threads").asInt() + " threads"},
                {"transport", st.path("transport").asText() + eventLoops(st.path("event_loops"))},
                {"control", t.hasUrl() ? t.url.toString() : null},
                {"config", text(proc, "config_file")},
                {"pid file", text(proc, "pid_file")},
                {"log", text(proc, "log_file")},
                {"tls", tls(st.path("tls"))},
                {"", ""},
                {"connections", conns.path("current").asLong() + " current, " + conns.path("peak").asLong() + " peak, "
                        + conns.path("total").asLong() + " accepted in total"
                        + (rates ? " (" + Format.rate(rate(st, prev, elapsed, "connections", "total")) + ")" : "")
                        + (conns.path("awaiting_answers").asLong() > 0 ? ", " + conns.path("awaiting_answers").asLong()
                        + " ended their side and wait for the backend's answers" : "")
                        + (conns.path("accept_failures").asLong() > 0 ? ", " + conns.path("accept_failures").asLong()
                        + " accepts failed (the log says why; mostly: out of file descriptors)" : "")},
                {"open files", openFiles(jvm)},
                {"uids", st.path("uids").asText()},
                {"groups", st.path("groups").asText()},
                {"messages", "in " + msgs.path("in").asLong() + (rates ? " (" + Format.rate(rate(st, prev, elapsed,
                        "messages", "in")) + ")" : "") + ", out " + msgs.path("out").asLong() + (rates ? " ("
                        + Format.rate(rate(st, prev, elapsed, "messages", "out")) + ")" : "")},
                {"bytes", "in " + Format.bytes(bytes.path("in").asLong()) + (rates ? " (" + Format.bytes(Math.round(rate(st,
                        prev, elapsed, "bytes", "in"))) + "/s)" : "") + ", out " + Format.bytes(bytes.path("out").asLong())
                        + (rates ? " (" + Format.bytes(Math.round(rate(st, prev, elapsed, "bytes", "out"))) + "/s)" : "")},
                {"api", api.path("requests").asLong() + " requests, " + api.path("pushes").asLong() + " pushes"
                        + (rates ? " (" + Format.rate(rate(st, prev, elapsed, "api", "pushes")) + ")" : "") + ", "
                        + api.path("errors").asLong() + " errors, " + api.path("rejected_overloaded").asLong()
                        + " rejected (overloaded)" + (api.path("duplicates_dropped").asLong() > 0 ? ", "
                        + api.path("duplicates_dropped").asLong() + " repeated msg_id not delivered" : "")},
                {"dropped", dropped.path("slow_clients").asLong() + " slow clients, " + dropped.path("heartbeat").asLong()
                        + " heartbeat timeouts, " + dropped.path("oversize").asLong() + " oversize messages"},
        }));
        rows.addAll(sectionRows(st));
        Table.keyValues(out, rows.toArray(String[][]::new));
        out.println();
        Table listeners = new Table("PROTOCOL", "LISTENER", "CONNECTIONS>");
        for (JsonNode l : st.path("listeners")) {
            listeners.row(l.path("protocol").asText(), l.path("url").asText()
                    + (l.path("closed").asBoolean() ? " (closed by a reload)" : ""), l.path("connections").asLong());
        }
        listeners.print(out);
        printCluster(out, st.path("cluster"));
    }

    /**
     * The sections other components add (limits, auth, webhooks, cron, ...), in the order the
     * gateway sends them, as rows of the key/value block: a section's plain values on its own row
     * ("cron  jobs: 2, paused: 0, ..."), each nested object on an indented row below it.
     */
    static java.util.List<String[]> sectionRows(JsonNode st) {
        java.util.List<String[]> rows = new java.util.ArrayList<>();
        for (Map.Entry<String, JsonNode> e : st.properties()) {
            JsonNode section = e.getValue();
            if (KNOWN.contains(e.getKey()) || section.isNull()) {
                continue;
            }
            if (rows.isEmpty()) {
                rows.add(new String[] {"", ""});
            }
            if (!section.isObject()) {
                rows.add(new String[] {e.getKey(), value(section)});
                continue;
            }
            java.util.List<String> plain = new java.util.ArrayList<>();
            java.util.List<String[]> nested = new java.util.ArrayList<>();
            for (Map.Entry<String, JsonNode> f : section.properties()) {
                if (f.getValue().isObject()) {
                    wrapped(nested, "  " + f.getKey(), parts(f.getValue()));
                } else {
                    plain.add(f.getKey() + ": " + value(f.getValue()));
                }
            }
            wrapped(rows, e.getKey(), plain);
            rows.addAll(nested);
        }
        return rows;
    }

    /** Values wider than a terminal go on continuation rows (key " ": aligned, not a blank line). */
    private static void wrapped(java.util.List<String[]> rows, String key, java.util.List<String> parts) {
        StringBuilder line = new StringBuilder();
        String k = key;
        for (int i = 0; i < parts.size(); i++) {
            String part = parts.get(i) + (i < parts.size() - 1 ? "," : "");
            if (line.length() > 0 && line.length() + 1 + part.length() > SECTION_WIDTH) {
                rows.add(new String[] {k, line.toString()});
                k = " ";
                line.setLength(0);
            }
            line.append(line.length() > 0 ? " " : "").append(part);
        }
        rows.add(new String[] {k, line.toString()});
    }

    /** Width of a section row's value: with the key column, a line fits 80 columns. */
    private static final int SECTION_WIDTH = 66;

    /** "key: value" for each field; deeper objects in parentheses. */
    private static java.util.List<String> parts(JsonNode o) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        for (Map.Entry<String, JsonNode> f : o.properties()) {
            parts.add(f.getKey() + ": " + (f.getValue().isObject() ? "(" + pairs(f.getValue()) + ")" : value(f.getValue())));
        }
        return parts;
    }

    private static String pairs(JsonNode o) {
        return String.join(", ", parts(o));
    }

    /** A scalar as text, null as "-", a list as its items joined by commas ("none" when empty). */
    private static String value(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "-";
        }
        if (v.isArray()) {
            if (v.isEmpty()) {
                return "none";
            }
            java.util.List<String> items = new java.util.ArrayList<>();
            v.forEach(i -> items.add(i.isObject() ? "(" + pairs(i) + ")" : value(i)));
            return String.join(",", items);
        }
        if (v.isObject()) {
            return pairs(v);
        }
        return v.asText();
    }

    /** "75 of 1024 allowed"; null when the gateway does not say (not Linux/Unix). */
    static String openFiles(JsonNode jvm) {
        if (!jvm.has("open_files")) {
            return null;
        }
        String allowed = jvm.path("max_open_files").asLong() + " allowed";
        return jvm.path("open_files").isNull() ? "? of " + allowed + " (none left even to count them)"
                : jvm.path("open_files").asLong() + " of " + allowed;
    }

    /** Cluster mode: Redis' state and every live node with its connections. */
    static void printCluster(PrintWriter out, JsonNode cluster) {
        if (!cluster.isObject()) {
            return;
        }
        JsonNode redis = cluster.path("redis");
        out.println();
        boolean up = "up".equals(redis.path("state").asText());
        long outages = redis.path("outages").asLong();
        out.println("cluster " + cluster.path("state").asText() + ": Redis " + redis.path("state").asText() + " at "
                + redis.path("url").asText() + (redis.hasNonNull("error") ? " (" + redis.path("error").asText() + ")" : "")
                + ", " + count(cluster.path("nodes").size(), "node") + ", "
                + count(cluster.path("connections_total").asLong(), "connection") + " in total, "
                + (!up && outages == 0 ? "not connected since the start" : count(outages, "Redis outage")));
        if (!up && !cluster.path("nodes").isEmpty()) {
            out.println("(the other nodes as last seen before Redis went down: their rows may be out of date)");
        }
        Table nodes = new Table("NODE", "CONNECTIONS>", "UIDS>", "GROUPS>", "PID>", "HOST", "CONTROL", "HEARTBEAT");
        for (JsonNode n : cluster.path("nodes")) {
            nodes.row(n.path("node_id").asText() + (n.path("self").asBoolean() ? " (this)" : ""),
                    n.path("connections").asLong(), n.path("uids").asLong(), n.path("groups").asLong(),
                    text(n, "pid"), text(n, "host"), text(n, "control"),
                    n.has("heartbeat_age_ms") ? n.path("heartbeat_age_ms").asLong() + " ms ago" : null);
        }
        nodes.print(out);
    }

    /**
     * The served certificate and how long it has left, with the fix when that is under two weeks:
     * status is where an operator looks, and a failing renewal otherwise surfaces only in the log.
     */
    static String tls(JsonNode tls) {
        if (!tls.isObject()) {
            return null;
        }
        String end = tls.path("not_after").asText();
        String left = "";
        if (!end.isEmpty()) {
            java.time.Instant endsAt = java.time.Instant.parse(end);
            java.time.Instant now = java.time.Instant.now();
            left = "certificate " + io.gatewayd.server.CertificateExpiry.describe(endsAt, now);
            if (io.gatewayd.server.CertificateExpiry.endsSoon(endsAt, now)) {
                left += "; renew it and run `gatewayctl reload`";
            }
        }
        return tls.path("subject").asText() + " from " + tls.path("cert_file").asText() + " ("
                + tls.path("provider").asText() + ")" + (left.isEmpty() ? "" : ": " + left);
    }

    private static String text(JsonNode o, String field) {
        return o.hasNonNull(field) ? o.get(field).asText() : null;
    }

    private static double rate(JsonNode now, JsonNode prev, double seconds, String section, String field) {
        return Math.max(0, now.path(section).path(field).asDouble() - prev.path(section).path(field).asDouble()) / seconds;
    }

    /** The refresh pause of --watch (a UI period, not a synchronisation). */
    private static final class LockSupportSleep {
        static void sleepMillis(long ms) {
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(ms));
        }
    }

    /** ", 2 event loops: 406 / 407 connections, backlog 0 / 12" (absent from an older gateway: ""). */
    static String eventLoops(JsonNode loops) {
        if (!loops.isArray() || loops.isEmpty()) {
            return "";
        }
        StringBuilder conns = new StringBuilder();
        StringBuilder backlog = new StringBuilder();
        for (JsonNode l : loops) {
            String sep = conns.length() == 0 ? "" : " / ";
            conns.append(sep).append(l.path("connections").asLong());
            backlog.append(sep).append(l.path("backlog").asLong());
        }
        // one loop: "1 connection"; several: "3 / 1 connections"
        String connections = loops.size() == 1 ? count(loops.get(0).path("connections").asLong(), "connection")
                : conns + " connections";
        return ", " + count(loops.size(), "event loop") + ": " + connections + ", backlog " + backlog;
    }

    /** "1 node", "2 nodes". */
    private static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
