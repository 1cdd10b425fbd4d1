package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.bench.Bench;
import io.gatewayd.bench.BenchException;
import io.gatewayd.bench.BenchSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.net.URI;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/** {@code gatewayctl bench connect|broadcast|unicast|batch [options]}: the load generator. */
@Command(name = "bench",
        description = {
                "Load-test a running gateway: connections, broadcast, unicast or batch pushes.",
                "",
                "Opens --n WebSocket clients (at most --ramp handshakes in flight; a client is",
                "ready once the gateway's welcome message with its client_id arrived), then",
                "runs SCENARIO:",
                "",
                "  connect    hold the clients --hold seconds; report connect time, conn/s,",
                "             failures, and the gateway's memory per connection: jvm.rss of",
                "             /api/status before and after, divided by the clients (and PSS",
                "             from /proc when the gateway runs on this machine).",
                "  broadcast  --m messages of --s bytes through sendToAll (or joinGroup and",
                "             sendToGroup with --bcast-via group), --c calls in flight;",
                "             deliveries/s, latency p50/p90/p99/max, lost, dup.",
                "  unicast    bind client i to uid u<i> (bindUid, not timed), then --k",
                "             sendToUid pushes to uniformly random clients, --c in flight;",
                "             pushes/s, latency, lost, misrouted.",
                "  batch      like unicast, with --b pushes per POST /api/batch call;",
                "             pushes/s and calls/s.",
                "",
                "Each message is the string BENCH:<seq>:<send-us>:<client>:xxx... padded to",
                "--s bytes. The figures mean what they mean in the Node load client of the",
                "benchmark harness: deliveries/s = distinct messages received / (first API",
                "call -> last receipt); latency = from just before the API call to the",
                "receipt (one clock: pusher and receivers are this process); lost =",
                "expected - distinct received (broadcast: accepted pushes x clients); dup =",
                "received twice; misrouted = a unicast message that reached another client.",
                "",
                "The gateway is found as other commands find it (--config, pid and runtime",
                "file) or by --control-url, and an https:// control port is trusted as they",
                "trust it (--cacert); the clients connect to its first ws:// listener",
                "unless --ws-url says otherwise. On a loopback target they bind source",
                "addresses 127.0.0.<base>.. (one per 5000 clients unless --addrs says",
                "otherwise; Linux routes all of 127/8 to lo), so that no address runs out of",
                "ports. One bench process holds as many clients as its open-file limit allows",
                "(ulimit -n, less about 70) and refuses to start for more: raise the limit,",
                "or run several at once, each with its own --addr-base.",
                "",
                "On a gateway with real users, mind that sendToAll reaches them too (use",
                "--bcast-via group) and that unicast binds uids <--uid-prefix><i>.",
                "",
                "Progress goes to standard error once a second, the report to standard output",
                "as a table, or with --json as one JSON object. The gateway's CPU comes from",
                "/proc when it runs on this machine. A load client on the gateway's machine",
                "shares its CPUs: compare only figures measured under the same conditions.",
                "",
                "Exit status: 0 when every client connected and nothing was lost, duplicated,",
                "misrouted or refused; 1 otherwise (the report says what); 2 for bad options",
                "or a run that cannot start.",
                "",
                "Examples:",
                "  gatewayctl bench connect --n 15000 --hold 10",
                "  gatewayctl bench broadcast --n 5000 --m 100 --s 200",
                "  gatewayctl bench broadcast --n 5000 --m 50 --rate 10 --bcast-via group",
                "  gatewayctl bench unicast --n 5000 --k 50000 --c 64 --json",
                "  gatewayctl bench batch --n 5000 --k 200000 --b 100 --c 8"})
final class BenchCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    HelpOption helpOption;

    @Mixin
    ControlOptions control;

    @Parameters(index = "0", paramLabel = "SCENARIO", completionCandidates = Scenarios.class,
            description = "connect, broadcast, unicast or batch.")
    String scenario;

    @Option(names = "--ws-url", paramLabel = "URL",
            description = "WebSocket URL to connect the clients to (ws:// only; default: the gateway's first ws:// "
                    + "listener, on the control URL's host when it listens on a wildcard address).")
    URI wsUrl;

    @Option(names = "--n", paramLabel = "N", defaultValue = "1000",
            description = "WebSocket clients to connect (default: ${DEFAULT-VALUE}).")
    @Bounds(min = "1", max = "10000000")
    int n;

    @Option(names = "--m", paramLabel = "M", defaultValue = "100",
            description = "broadcast: messages to push (default: ${DEFAULT-VALUE}).")
    @Bounds(min = "1", max = "100000000")
    int m;

    @Option(names = "--s", paramLabel = "BYTES", defaultValue = "200",
            description = "Message size in bytes (default: ${DEFAULT-VALUE}; at least " + MIN_MESSAGE_SIZE
                    + ", room for the BENCH:... header).")
    @Bounds(min = "" + MIN_MESSAGE_SIZE, max = "" + (16 << 20))
    int s;

    /** Room for BENCH:<seq>:<send-us>:<client>: at its longest (10 + 20 + 10 digits): every message is --s bytes. */
    static final int MIN_MESSAGE_SIZE = 64;

    @Option(names = "--k", paramLabel = "K", defaultValue = "10000",
            description = "unicast, batch: pushes, each to a uniformly random client's uid (default: ${DEFAULT-VALUE}).")
    @Bounds(min = "1", max = "1000000000")
    int k;

    @Option(names = "--b", paramLabel = "B", defaultValue = "100",
            description = "batch: pushes per /api/batch call (default: ${DEFAULT-VALUE}).")
    @Bounds(min = "1", max = "100000")
    int b;

    @Option(names = {"--c", "--concurrency"}, paramLabel = "C",
            description = "API calls in flight (default: 1 for broadcast, so the next push waits for the answer; 64 "
                    + "for unicast; 8 for batch).")
    @Bounds(min = "1", max = "100000")
    Integer c;

    @Option(names = "--api-conns", paramLabel = "P",
            description = "Keep-alive HTTP connections that carry the --c calls, pipelined (default: --c, at most 8). "
                    + "--api-conns equal to --c is one call per connection, as the Node load client does.")
    @Bounds(min = "1", max = "10000")
    Integer apiConns;

    @Option(names = "--warmup", paramLabel = "W",
            description = "Push W messages (unicast, batch: pushes) before the measured run, and wait for them, so "
                    + "that the JIT compilers of this JVM and of a cold gateway are done; not counted. Default: "
                    + "enough for about 50,000 receipts (at most 50 messages) for broadcast, 2000 pushes for unicast "
                    + "and batch; 0 = none, as the Node load client.")
    @Bounds(min = "0", max = "100000000")
    Integer warmup;

    @Option(names = "--rate", paramLabel = "R", defaultValue = "0",
            description = "Pace pushes (calls, for batch) to R per second; 0 = as fast as the API answers "
                    + "(default: ${DEFAULT-VALUE}).")
    @Bounds(min = "0", max = "100000000", unit = "per second")
    double rate;

    @Option(names = "--ramp", paramLabel = "R", defaultValue = "256",
            description = "WebSocket handshakes in flight while connecting (default: ${DEFAULT-VALUE}).")
    @Bounds(min = "1", max = "1000000")
    int ramp;

    @Option(names = "--hold", paramLabel = "SECONDS", defaultValue = "5",
            description = "connect: hold the clients this long before the memory is measured (default: "
                    + "${DEFAULT-VALUE}).")
    @Bounds(min = "0", max = "86400", unit = "seconds")
    double hold;

    @Option(names = "--grace", paramLabel = "SECONDS", defaultValue = "10",
            description = "After the last push, wait up to this long for missing messages (default: ${DEFAULT-VALUE}).")
    @Bounds(min = "0", max = "86400", unit = "seconds")
    double grace;

    @Option(names = "--bcast-via", paramLabel = "all|group", defaultValue = "all",
            description = "broadcast: sendToAll, or joinGroup every client to --group and sendToGroup (default: "
                    + "${DEFAULT-VALUE}).")
    String bcastVia;

    @Option(names = "--group", paramLabel = "GROUP", defaultValue = "bench",
            description = "The group of --bcast-via group (default: ${DEFAULT-VALUE}).")
    String group;

    @Option(names = "--uid-prefix", paramLabel = "PREFIX", defaultValue = "u",
            description = "unicast, batch: client i is bound to uid PREFIX<i> (default: ${DEFAULT-VALUE}).")
    String uidPrefix;

    @Option(names = "--connect-timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "Give up on clients not ready after this long; they count as failed (default: "
                    + "${DEFAULT-VALUE}).")
    @Bounds(min = "0.001", max = "86400", unit = "seconds")
    double connectTimeout;

    @Option(names = "--threads", paramLabel = "T",
            description = "Event loops of the load client (default: one per CPU). Native epoll when available.")
    @Bounds(min = "1", max = "1024")
    Integer threads;

    @Option(names = "--addrs", paramLabel = "A",
            description = "Loopback targets: spread clients over source addresses 127.0.0.<base>..<base+A-1> "
                    + "(default: one per 5000 clients).")
    @Bounds(min = "1", max = "254")
    Integer addrs;

    @Option(names = "--addr-base", paramLabel = "B", defaultValue = "1",
            description = "First source address is 127.0.0.B; give concurrent bench processes different ones "
                    + "(default: ${DEFAULT-VALUE}).")
    @Bounds(min = "1", max = "254")
    int addrBase;

    @Option(names = "--seed", paramLabel = "X", defaultValue = "12345",
            description = "unicast, batch: seed of the random recipients (default: ${DEFAULT-VALUE}).")
    @Bounds(min = "" + Long.MIN_VALUE, max = "" + Long.MAX_VALUE)
    long seed;

    @Option(names = "--server-pid", paramLabel = "PID",
            description = "The gateway's pid, for its CPU and PSS from /proc (default: the pid /api/status reports, "
                    + "when the gateway runs on this machine).")
    // pids stay below Linux's PID_MAX_LIMIT (4194304), the most /proc/sys/kernel/pid_max can be raised to
    @Bounds(min = "1", max = "4194303")
    Long serverPid;

    @Option(names = "--ping-interval", paramLabel = "SECONDS", defaultValue = "25",
            description = "Every client sends a WebSocket ping this often, so that a gateway heartbeat "
                    + "(ping-not-response-limit) keeps idle clients; 0 = never (default: ${DEFAULT-VALUE}).")
    @Bounds(min = "0", max = "86400", unit = "seconds")
    double pingInterval;

    @Option(names = "--full-jit",
            description = "Keep the JVM's full JIT (C1 and C2). By default bench runs itself again in a JVM with "
                    + "-XX:TieredStopAtLevel=1 (C1 only): on a small machine shared with the gateway, C2's compile "
                    + "time costs the load client more CPU in a run of a minute than its faster code saves.")
    boolean fullJit;

    @Option(names = "--json", description = "Print the report as one JSON object on one line.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "No progress lines on standard error.")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    static final class Scenarios implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of("connect", "broadcast", "unicast", "batch").iterator();
        }
    }

    @Override
    public Integer call() {
        if (!fullJit && C1Only.wanted()) {
            return C1Only.rerun(spec.commandLine().getParseResult().originalArgs());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        java.nio.file.Path config = control.where.configOptions.config;
        if (config != null && config.toString().matches("\\d+") && !java.nio.file.Files.exists(config)) {
            throw new CliException(GatewayCtl.EXIT_USAGE, "-c is the config file; the calls in flight are --c "
                    + config + " (two dashes)");
        }
        BenchSettings st = new BenchSettings();
        try {
            st.scenario = BenchSettings.Scenario.valueOf(scenario.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CliException(GatewayCtl.EXIT_USAGE, "unknown scenario \"" + scenario
                    + "\"; use connect, broadcast, unicast or batch");
        }
        if (!bcastVia.equals("all") && !bcastVia.equals("group")) {
            throw new CliException(GatewayCtl.EXIT_USAGE, "--bcast-via must be all or group, got " + bcastVia);
        }
        Target t = control.target(Installation.current(), err);
        if (!t.hasUrl()) {
            throw t.notRunning();
        }
        ControlTrust trust = t.trust();
        try {
            // an untrusted certificate, or a scheme the port does not speak, said as the other commands say it
            new ControlClient(t.url, t.token, control.timeout(), trust).answers();
        } catch (ControlClient.TlsException e) {
            throw new CliException(GatewayCtl.EXIT_USAGE, e.getMessage());
        }
        st.controlTls = trust == null ? null : trust.sslContext();
        st.controlUrl = t.url;
        st.token = t.token;
        st.wsUrl = wsUrl;
        st.n = n;
        st.m = m;
        st.s = s;
        st.k = k;
        st.b = b;
        st.c = c == null ? 0 : c;
        st.apiConns = apiConns == null ? 0 : apiConns;
        st.rate = rate;
        st.warmup = warmup == null ? -1 : warmup;
        st.ramp = ramp;
        st.holdSeconds = hold;
        st.graceSeconds = grace;
        st.viaGroup = bcastVia.equals("group");
        st.group = group;
        st.uidPrefix = uidPrefix;
        st.connectTimeoutSeconds = connectTimeout;
        st.requestTimeoutSeconds = control.timeout().toSeconds();
        st.threads = threads == null ? 0 : threads;
        st.addrs = addrs == null ? 0 : addrs;
        st.addrBase = addrBase;
        st.seed = seed;
        st.serverPid = serverPid == null ? 0 : serverPid;
        st.pingIntervalSeconds = pingInterval;
        st.progress = quiet ? null : err;
        ObjectNode r;
        try {
            r = Bench.run(st);
        } catch (BenchException e) {
            throw new CliException(e.usage() ? GatewayCtl.EXIT_USAGE : GatewayCtl.EXIT_FAILURE, e.getMessage());
        }
        if (json) {
            out.println(r.toString());
        } else {
            print(r, out);
        }
        out.flush();
        return r.path("ok").asBoolean() ? GatewayCtl.EXIT_OK : GatewayCtl.EXIT_FAILURE;
    }

    /** The report as a table (the JSON has everything, with wsload's field names). */
    static void print(JsonNode r, PrintWriter out) {
        String sc = r.path("scenario").asText();
        out.println("gatewayctl bench " + sc + ": " + r.path("n").asLong() + " clients on " + r.path("ws_url").asText()
                + " (" + r.path("client_threads").asInt() + " " + r.path("client_transport").asText()
                + " event loops, JIT " + r.path("client_jit").asText() + ", " + r.path("source_addrs").asInt() + " source address"
                + (r.path("source_addrs").asInt() == 1 ? "" : "es") + ")");
        out.println();
        Table t = new Table("METRIC", "VALUE>", "DETAIL");
        t.row("clients ready", r.path("ready").asLong() + " / " + r.path("n").asLong(),
                r.path("failed").asLong() > 0 ? "failed " + r.path("failed").asLong() + " " + r.path("errors") : "");
        t.row("connect time", num(r, "connect_s", 2) + " s", num(r, "conn_per_s", 0) + " conn/s");
        if (sc.equals("connect")) {
            JsonNode srv = r.path("server");
            t.row("gateway connections", r.path("server_count").asText(), "after holding " + num(r, "hold_s", 1) + " s");
            t.row("memory per connection", srv.has("kib_per_conn_rss") ? num(srv, "kib_per_conn_rss", 2) + " KiB" : "-",
                    "RSS (jvm.rss " + srv.path("rss_kib_before").asLong() / 1024 + " -> "
                            + srv.path("rss_kib_after").asLong() / 1024 + " MiB)");
            if (srv.has("kib_per_conn_pss")) {
                t.row("", num(srv, "kib_per_conn_pss", 2) + " KiB", "PSS (" + srv.path("pss_kib_before").asLong() / 1024
                        + " -> " + srv.path("pss_kib_after").asLong() / 1024 + " MiB)");
            }
            t.row("closed during hold", r.path("closed_during_hold").asLong(), "");
        } else {
            if (r.has("bind_s")) {
                t.row("bindUid", num(r, "bind_s", 2) + " s", r.path("bind_errors").asLong() + " errors");
            }
            if (r.has("join_s")) {
                t.row("joinGroup", num(r, "join_s", 2) + " s", r.path("join_errors").asLong() + " errors");
            }
            String what = switch (sc) {
                case "broadcast" -> r.path("m").asLong() + " x " + r.path("s").asLong() + " B via "
                        + (r.path("bcast_via").asText().equals("group") ? "sendToGroup" : "sendToAll");
                case "batch" -> r.path("k").asLong() + " x " + r.path("s").asLong() + " B in " + r.path("calls").asLong()
                        + " calls of " + r.path("b").asLong();
                default -> r.path("k").asLong() + " x " + r.path("s").asLong() + " B via sendToUid";
            };
            t.row("pushes", r.path("pushes_ok").asLong() + " accepted", what + ", " + r.path("c").asLong()
                    + " in flight over " + r.path("api_conns").asLong() + " connections"
                    + (r.path("rate").asDouble() > 0 ? ", rate " + num(r, "rate", 0) + "/s" : ""));
            if (r.path("pushes_failed").asLong() > 0) {
                t.row("pushes failed", r.path("pushes_failed").asLong(), r.path("push_errors").toString());
            }
            t.row("push rate", num(r, "pushes_per_s", 0) + " pushes/s", num(r, "push_s", 2) + " s"
                    + (r.has("calls_per_s") ? ", " + num(r, "calls_per_s", 0) + " calls/s" : ""));
            t.row("received", r.path("received").asLong() + " / " + r.path("expected").asLong(),
                    "lost " + r.path("lost").asLong() + ", dup " + r.path("dup").asLong()
                            + (sc.equals("broadcast") ? "" : ", misrouted " + r.path("misrouted").asLong())
                            + (r.path("grace_hit").asBoolean() ? " (grace period ran out)" : ""));
            t.row("deliveries", num(r, "deliveries_per_s", 0) + " /s", "first API call -> last receipt "
                    + num(r, "duration_s", 2) + " s");
            JsonNode lat = r.path("lat_ms");
            t.row("latency", num(lat, "p50", 1) + " ms", "p50");
            for (String p : new String[] {"p90", "p99", "p999", "max"}) {
                t.row("", num(lat, p, 1) + " ms", p);
            }
            if (r.has("server_cpu_s")) {
                String per = r.has("server_cpu_us_per_push") ? num(r, "server_cpu_us_per_push", 1) + " us per push"
                        : r.has("server_cpu_us_per_delivery") ? num(r, "server_cpu_us_per_delivery", 2)
                        + " us per delivery" : "";
                t.row("gateway CPU", num(r, "server_cpu_pct", 0) + " %", num(r, "server_cpu_s", 2) + " s, " + per);
            }
            if (r.has("client_cpu_s")) {
                t.row("load client CPU", num(r, "client_cpu_pct", 0) + " %", num(r, "client_cpu_s", 2) + " s"
                        + (r.has("machine_busy_pct") ? ", machine " + num(r, "machine_busy_pct", 0) + " % busy" : ""));
            }
            if (r.path("closed_during_run").asLong() > 0) {
                t.row("closed during run", r.path("closed_during_run").asLong(), "");
            }
        }
        t.print(out);
        out.println();
        out.println(r.path("ok").asBoolean() ? "OK" : "NOT CLEAN: see failed, lost, dup, misrouted above");
    }

    /**
     * Runs `gatewayctl bench ...` again in a JVM limited to the C1 compiler. Measured on a 2-core
     * machine: a unicast run of 80,000 pushes cost the client 6.3 s CPU with C2 (4.8 s of it in the
     * C2 compiler thread) and 2.9 s with C1 only, and the gateway pushed 7k/s instead of 16k/s.
     */
    static final class C1Only {
        private C1Only() {
        }

        /** Only from bin/gatewayctl (the main class is ours), and when no JIT option was chosen already. */
        static boolean wanted() {
            String command = System.getProperty("sun.java.command", "");
            if (!command.startsWith(GatewayCtl.class.getName())) {
                return false; // tests, embedding
            }
            List<String> jvmArgs = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments();
            return jvmArgs.stream().noneMatch(a -> a.startsWith("-XX:TieredStopAtLevel")
                    || a.equals("-XX:-TieredCompilation")) && ProcessHandle.current().info().command().isPresent();
        }

        static int rerun(List<String> args) {
            List<String> cmd = new java.util.ArrayList<>();
            cmd.add(ProcessHandle.current().info().command().orElseThrow());
            cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
            cmd.add("-XX:TieredStopAtLevel=1");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(GatewayCtl.class.getName());
            cmd.addAll(args);
            Process p;
            try {
                p = new ProcessBuilder(cmd).inheritIO().start();
            } catch (java.io.IOException e) {
                throw new CliException(GatewayCtl.EXIT_FAILURE, "cannot start the load client's JVM: " + e.getMessage()
                        + " (pass --full-jit to run in this one)");
            }
            Thread stop = new Thread(p::destroy, "bench-child-stop");
            Runtime.getRuntime().addShutdownHook(stop);
            try {
                return p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroy();
                return GatewayCtl.EXIT_FAILURE;
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(stop);
                } catch (IllegalStateException e) {
                    // shutting down already: the hook stops the child
                }
            }
        }
    }

    private static String num(JsonNode o, String field, int decimals) {
        JsonNode v = o.path(field);
        if (!v.isNumber()) {
            return "-";
        }
        if (decimals == 0) {
            return String.format(Locale.ROOT, "%,d", Math.round(v.asDouble()));
        }
        return String.format(Locale.ROOT, "%,." + decimals + "f", v.asDouble());
    }
}
