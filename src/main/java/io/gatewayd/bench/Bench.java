package io.gatewayd.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.Version;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.util.concurrent.ScheduledFuture;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One load-test run against a running gateway: connect N WebSocket clients, then (per scenario)
 * push through the control API and count what arrives where. Definitions follow the Node load
 * client in shared/bench (wsload.js) so that both report the same figures for the same run:
 * deliveries/s = received / (first API call → last receipt); latency from just before the API
 * call to receipt (System.nanoTime on both ends: pusher and receivers are this one JVM);
 * lost = expected − distinct received; dup; misrouted (a unicast message reached another client).
 *
 * <p>The result is one JSON object (field names as wsload's where they mean the same thing).
 */
public final class Bench {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ByteBuf DELIVERED = Unpooled.unreleasableBuffer(
            Unpooled.wrappedBuffer("\"delivered\":".getBytes(StandardCharsets.US_ASCII)));
    /** File descriptors kept free for the JVM's own use (jars, epoll, pipes, the control connections). */
    private static final int FD_RESERVE = 64;

    private final BenchSettings s;
    private final Progress progress;
    private final HttpClient http;
    private final MemoryShortage memory = new MemoryShortage();

    private Bench(BenchSettings settings) {
        this.s = settings;
        this.progress = new Progress(settings.progress);
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
        if (settings.controlTls != null) {
            b.sslContext(settings.controlTls);
        }
        this.http = b.build();
    }

    /** Runs the scenario and returns its report; throws {@link BenchException} if it cannot run. */
    public static ObjectNode run(BenchSettings settings) {
        return new Bench(settings).run();
    }

    private ObjectNode run() {
        validate();
        int apiConns = s.scenario == BenchSettings.Scenario.CONNECT ? 0 : s.apiConnections();
        checkFileLimit(apiConns);
        JsonNode status = status(true);
        URI ws = s.wsUrl != null ? s.wsUrl : wsUrlFrom(status);
        if (!"ws".equalsIgnoreCase(ws.getScheme())) {
            throw new BenchException(true, "--ws-url must be a ws:// URL (TLS is not supported by the load client), got "
                    + ws);
        }
        InetAddress[] sources = sources(ws);
        long pid = serverPid(status);

        ObjectNode r = JSON.createObjectNode();
        r.put("scenario", s.scenario.name().toLowerCase(Locale.ROOT));
        r.put("tool", "gatewayctl bench");
        r.put("version", Version.get());
        r.put("date", java.time.Instant.now().toString());
        r.put("ws_url", ws.toString());
        r.put("control_url", s.controlUrl.toString());
        r.put("n", s.n);
        r.put("source_addrs", sources.length);
        r.put("ramp", s.ramp);
        int threads = s.threads > 0 ? s.threads : Runtime.getRuntime().availableProcessors();
        r.put("client_threads", threads);
        r.put("client_jit", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
                .contains("-XX:TieredStopAtLevel=1") ? "c1" : "c1+c2");
        if (pid > 0) {
            r.put("server_pid", pid);
        } else {
            r.putNull("server_pid");
        }

        long rss0 = status.path("jvm").path("rss").asLong(-1);
        long pss0 = ProcStats.pssKib(pid);
        try (BenchTransport transport = new BenchTransport(threads)) {
            r.put("client_transport", transport.name());
            Clients clients = new Clients(transport, ws, s.n, s.ramp, sources,
                    (long) (s.handshakeTimeoutSeconds * 1000), memory);
            try {
                connect(clients, r, pid, ws);
                ScheduledFuture<?> pinger = null;
                if (s.pingIntervalSeconds > 0) {
                    long every = (long) (s.pingIntervalSeconds * 1000);
                    pinger = transport.group().next().scheduleAtFixedRate(clients::pingAll, every, every,
                            TimeUnit.MILLISECONDS);
                }
                try {
                    if (s.scenario == BenchSettings.Scenario.CONNECT) {
                        hold(clients, r, pid, rss0, pss0);
                    } else {
                        try (ApiPool api = new ApiPool(transport, s.controlUrl, s.controlTls, s.token, apiConns,
                                (long) (s.requestTimeoutSeconds * 1000))) {
                            r.put("api_conns", apiConns);
                            push(clients, api, r, pid);
                            r.put("api_reconnects", api.reconnects());
                        }
                    }
                } finally {
                    if (pinger != null) {
                        pinger.cancel(false);
                    }
                }
            } finally {
                progress.line("closing " + clients.ready() + " connections");
                clients.closeAll(10_000);
            }
        }
        r.put("ok", clean(r));
        return r;
    }

    // ---------------------------------------------------------------------------------- setup

    private void validate() {
        if (s.controlUrl == null) {
            throw new BenchException(true, "no control URL: pass --control-url or a config with control.listen");
        }
        if (s.n < 1) {
            throw new BenchException(true, "--n must be at least 1");
        }
        if (s.ramp < 1) {
            throw new BenchException(true, "--ramp must be at least 1");
        }
        if (s.scenario == BenchSettings.Scenario.BROADCAST && s.m < 1) {
            throw new BenchException(true, "--m must be at least 1");
        }
        if ((s.scenario == BenchSettings.Scenario.UNICAST || s.scenario == BenchSettings.Scenario.BATCH) && s.k < 1) {
            throw new BenchException(true, "--k must be at least 1");
        }
        if (s.scenario == BenchSettings.Scenario.BATCH && s.b < 1) {
            throw new BenchException(true, "--b must be at least 1");
        }
        if (s.s < 0 || s.s > 16 << 20) {
            throw new BenchException(true, "--s must be between 0 and 16 MiB");
        }
        if (s.rate < 0) {
            throw new BenchException(true, "--rate must not be negative");
        }
        if (!s.uidPrefix.matches("[A-Za-z0-9_.:-]*") || !s.group.matches("[A-Za-z0-9_.:-]+")) {
            throw new BenchException(true, "--uid-prefix and --group may hold letters, digits and _ . : - only");
        }
        if (s.addrBase < 1 || s.addrBase > 254) {
            throw new BenchException(true, "--addr-base must be 1..254");
        }
    }

    /**
     * GET /api/status of the gateway (also checks that it answers and that the token works).
     * {@code atStart}: nothing answering means the run cannot start (exit 2), not that it failed.
     */
    private JsonNode status(boolean atStart) {
        HttpRequest.Builder req = HttpRequest.newBuilder(s.controlUrl.resolve("/api/status"))
                .timeout(Duration.ofMillis((long) (s.requestTimeoutSeconds * 1000))).GET();
        if (s.token != null && !s.token.isEmpty()) {
            req.header("Authorization", "Bearer " + s.token);
        }
        HttpResponse<String> res;
        try {
            res = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            throw new BenchException(atStart, "nothing answers on " + s.controlUrl + (atStart
                    ? ": is the gateway running? Start it (gatewayctl start -d) or point --control-url at it"
                    : ": the gateway stopped during the run"));
        } catch (IOException e) {
            throw new BenchException(atStart, "the gateway's control API does not answer on " + s.controlUrl
                    + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")")
                    + (atStart ? "; check --control-url and that the gateway runs" : ""));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BenchException(false, "interrupted");
        }
        JsonNode body;
        try {
            body = JSON.readTree(res.body());
        } catch (IOException e) {
            body = null;
        }
        if (res.statusCode() == 401) {
            throw new BenchException(true, "the control API wants a token: pass --token (or set it in the config's "
                    + "control.tokens)");
        }
        if (res.statusCode() != 200 || body == null || !body.has("result")) {
            throw new BenchException(false, "unexpected answer from " + s.controlUrl + "/api/status: HTTP "
                    + res.statusCode());
        }
        return body.get("result");
    }

    /** ws:// URL of the gateway's first WebSocket listener, reachable where the control port is. */
    private URI wsUrlFrom(JsonNode status) {
        for (JsonNode l : status.path("listeners")) {
            if (!"websocket".equals(l.path("protocol").asText())) {
                continue;
            }
            URI u = URI.create(l.path("url").asText());
            if ("wss".equalsIgnoreCase(u.getScheme())) {
                continue;
            }
            String host = u.getHost() == null ? "" : u.getHost().replaceAll("^\\[|\\]$", "");
            if (host.isEmpty() || host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
                host = s.controlUrl.getHost();
            }
            if (host.contains(":") && !host.startsWith("[")) {
                host = "[" + host + "]";
            }
            return URI.create("ws://" + host + ":" + u.getPort() + "/");
        }
        throw new BenchException(true, "the gateway has no plain ws:// WebSocket listener; pass --ws-url");
    }

    /** Source addresses 127.0.0.base.. for a loopback IPv4 target; none (kernel's choice) otherwise. */
    private InetAddress[] sources(URI ws) {
        InetAddress target;
        try {
            target = InetAddress.getByName(ws.getHost());
        } catch (UnknownHostException e) {
            throw new BenchException(true, "cannot resolve " + ws.getHost() + ": " + e.getMessage());
        }
        if (!(target instanceof Inet4Address) || !target.isLoopbackAddress()) {
            return new InetAddress[0];
        }
        int count = s.addrs > 0 ? s.addrs : Math.min(255 - s.addrBase, Math.max(1, (s.n + 4999) / 5000));
        if (s.addrBase + count - 1 > 254) {
            throw new BenchException(true, "--addrs " + count + " from 127.0.0." + s.addrBase + " goes past 127.0.0.254");
        }
        InetAddress[] out = new InetAddress[count];
        for (int i = 0; i < count; i++) {
            try {
                out[i] = InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) (s.addrBase + i)});
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    private void checkFileLimit(int apiConns) {
        long max = ProcStats.maxFileDescriptors();
        long open = ProcStats.openFileDescriptors();
        if (max <= 0 || open < 0) {
            return;
        }
        long room = max - open - FD_RESERVE - apiConns;
        if (s.n > room) {
            throw new BenchException(true, "--n " + s.n + " connections need " + (s.n + apiConns + FD_RESERVE)
                    + " file descriptors, but this process may open " + max + " (ulimit -n) and already has " + open
                    + " open, so one gatewayctl bench holds at most " + Math.max(0, room) + " connections here. Raise "
                    + "the limit (ulimit -n; the hard limit caps it), or run several bench processes at once, each "
                    + "with its own --addr-base");
        }
    }

    /** The gateway's pid when it runs on this machine (CPU and PSS then come from /proc), else -1. */
    private long serverPid(JsonNode status) {
        if (s.serverPid > 0) {
            return s.serverPid;
        }
        long pid = status.path("pid").asLong(-1);
        if (pid <= 0 || pid == ProcessHandle.current().pid()) {
            return -1;
        }
        try {
            if (!InetAddress.getByName(s.controlUrl.getHost()).isLoopbackAddress()) {
                return -1;
            }
        } catch (UnknownHostException e) {
            return -1;
        }
        return ProcStats.looksLikeGateway(pid) ? pid : -1;
    }

    // -------------------------------------------------------------------------------- connect

    private void connect(Clients clients, ObjectNode r, long pid, URI ws) {
        double cpu0 = ProcStats.cpuSeconds(pid);
        double own0 = ProcStats.ownCpuSeconds();
        progress.line(s.scenario.name().toLowerCase(Locale.ROOT) + ": connecting " + s.n + " clients to "
                + ws + ", ramp " + s.ramp + ", source addresses " + r.path("source_addrs").asInt());
        clients.start();
        boolean all = waitUntil(() -> clients.settled() >= s.n, s.connectTimeoutSeconds,
                () -> "connecting: " + clients.ready() + "/" + s.n + " ready, " + clients.failed() + " failed");
        if (!all) {
            clients.stopConnecting();
        }
        double cpu1 = ProcStats.cpuSeconds(pid);
        double own1 = ProcStats.ownCpuSeconds();
        double secs = clients.connectSeconds();
        r.put("opened", clients.opened());
        r.put("ready", clients.ready());
        r.put("failed", clients.failed());
        ObjectNode errs = r.putObject("errors");
        clients.errors().forEach(errs::put);
        r.put("connect_s", r3(secs));
        r.put("conn_per_s", secs > 0 ? Math.round(clients.ready() / secs) : 0);
        putCpu(r, "connect_server_cpu_s", cpu0, cpu1);
        putCpu(r, "connect_client_cpu_s", own0, own1);
        progress.line("connected " + clients.ready() + "/" + s.n + " in " + fmt(secs) + " s (failed "
                + clients.failed() + ")" + (clients.errors().isEmpty() ? "" : " " + clients.errors()));
    }

    private void hold(Clients clients, ObjectNode r, long pid, long rss0, long pss0) {
        progress.line("holding " + clients.ready() + " connections for " + fmt(s.holdSeconds) + " s");
        long end = System.nanoTime() + (clients.ready() == 0 ? 0 : (long) (s.holdSeconds * 1e9)); // nothing to hold
        waitUntil(() -> System.nanoTime() - end >= 0, s.holdSeconds + 1, () -> "holding " + clients.ready()
                + " connections");
        JsonNode st = status(false);
        long rss1 = st.path("jvm").path("rss").asLong(-1);
        long pss1 = ProcStats.pssKib(pid);
        int ready = clients.ready(); // no client ready: no figure per connection rather than a made-up one
        r.put("hold_s", s.holdSeconds);
        r.put("server_count", st.path("connections").path("current").asLong(-1));
        r.put("closed_during_hold", clients.closedAfterReady());
        ObjectNode server = r.putObject("server");
        if (rss0 > 0 && rss1 > 0 && ready > 0) {
            server.put("rss_kib_before", rss0 / 1024);
            server.put("rss_kib_after", rss1 / 1024);
            server.put("kib_per_conn_rss", r3((rss1 - rss0) / 1024.0 / ready));
        }
        if (pss0 > 0 && pss1 > 0 && ready > 0) {
            server.put("pss_kib_before", pss0);
            server.put("pss_kib_after", pss1);
            server.put("kib_per_conn_pss", r3((double) (pss1 - pss0) / ready));
        }
        JsonNode jvm = st.path("jvm");
        server.put("heap_used_after", jvm.path("heap_used").asLong(-1));
        server.put("direct_used_after", jvm.path("direct_used").asLong(-1));
        r.put("client_rss_mib", r3(ProcStats.rssKib(ProcessHandle.current().pid()) / 1024.0));
    }

    // ----------------------------------------------------------------------------------- push

    private void push(Clients clients, ApiPool api, ObjectNode r, long pid) {
        int[] ready = clients.readyIndexes();
        if (ready.length == 0) {
            throw new BenchException(false, "no client connected (" + clients.errors() + "); nothing to measure");
        }
        boolean unicast = s.scenario != BenchSettings.Scenario.BROADCAST;
        int[] receivers = ready;
        if (unicast) {
            receivers = setup(clients, api, ready, "bindUid", "bind", i -> "{\"client_id\":\"" + clients.clientId(i)
                    + "\",\"uid\":\"" + s.uidPrefix + i + "\"}", r);
        } else if (s.viaGroup) {
            receivers = setup(clients, api, ready, "joinGroup", "join", i -> "{\"client_id\":\"" + clients.clientId(i)
                    + "\",\"group\":\"" + s.group + "\"}", r);
        }
        if (receivers.length == 0) {
            throw new BenchException(false, "no client could be " + (unicast ? "bound to its uid" : "joined to the group")
                    + "; nothing to measure");
        }
        int c = s.concurrency();
        int limit = s.scenario == BenchSettings.Scenario.BROADCAST ? s.m : s.k;
        int warm = warmup(receivers.length);
        int[] dst = unicast ? destinations(receivers, limit + warm) : null;
        Clients.Mode mode = unicast ? Clients.Mode.UNICAST : Clients.Mode.BROADCAST;
        int receiverCount = receivers.length;

        if (warm > 0) {
            // not measured: lets the JIT compilers of this JVM (and a cold gateway's) finish their
            // work on the hot paths before the clock starts; numbered above the run's messages, so
            // a late one cannot count as a delivery
            clients.arm(mode, limit + warm);
            Tally wt = new Tally();
            Calls wc = calls(api, limit, warm, dst, 0, wt);
            long w0 = System.nanoTime();
            progress.line("warming up: " + warm + (unicast ? " pushes" : " messages") + " (not measured)");
            CompletableFuture<Void> wdone = wc.start();
            waitUntil(wdone::isDone, Double.MAX_VALUE, () -> "warming up: " + wc.completed() + "/" + wc.total());
            long wexp = expected(wt.ok.sum(), receiverCount);
            waitUntil(() -> clients.uniqueSoFar() >= wexp, s.graceSeconds, () -> "warming up: received "
                    + clients.uniqueSoFar() + "/" + wexp);
            r.put("warmup", warm);
            r.put("warmup_s", r3((System.nanoTime() - w0) / 1e9));
        } else {
            r.put("warmup", 0);
        }

        clients.arm(mode, limit);
        Tally t = new Tally();
        LongAdder ok = t.ok;
        LongAdder failed = t.failed;
        Calls calls = calls(api, 0, limit, dst, s.rate, t);
        int total = calls.total();
        double cpu0 = ProcStats.cpuSeconds(pid);
        double own0 = ProcStats.ownCpuSeconds();
        long[] m0 = ProcStats.machineTicks();
        progress.line("pushing " + limit + " " + (unicast ? "unicast" : "broadcast") + " messages of " + s.s
                + " B to " + receivers.length + " clients" + (s.scenario == BenchSettings.Scenario.BATCH ? " in "
                + total + " batches of " + s.b : "") + ", " + c + " in flight over " + api.size() + " connections"
                + (s.rate > 0 ? ", rate " + s.rate + "/s" : ""));
        CompletableFuture<Void> done = calls.start();
        waitUntil(done::isDone, Double.MAX_VALUE, () -> "pushed " + calls.completed() + "/" + total + ", received "
                + clients.uniqueSoFar() + "/" + expected(ok.sum(), receiverCount));
        long pushEnd = calls.lastDoneNanos();
        long accepted = ok.sum();
        long expected = expected(accepted, receiverCount);
        progress.line("pushed ok=" + accepted + " failed=" + failed.sum() + " in " + fmt((pushEnd - calls.startNanos()) / 1e9)
                + " s; waiting for " + expected + " deliveries (grace " + fmt(s.graceSeconds) + " s)");
        boolean all = waitUntil(() -> clients.uniqueSoFar() >= expected, s.graceSeconds,
                () -> "received " + clients.uniqueSoFar() + "/" + expected);
        double cpu1 = ProcStats.cpuSeconds(pid);
        double own1 = ProcStats.ownCpuSeconds();
        long[] m1 = ProcStats.machineTicks();
        Clients.Recorder got = clients.snapshot();

        double pushS = (pushEnd - calls.startNanos()) / 1e9;
        long first = calls.firstSendNanos();
        double durS = got.lastReceiptNanos != 0 && first != 0 ? (got.lastReceiptNanos - first) / 1e9 : 0;
        double wallS = (Math.max(got.lastReceiptNanos, pushEnd) - calls.startNanos()) / 1e9;
        r.put("receivers", receiverCount);
        switch (s.scenario) {
            case BROADCAST -> r.put("m", s.m);
            case UNICAST -> r.put("k", s.k);
            default -> {
                r.put("k", s.k);
                r.put("b", s.b);
            }
        }
        r.put("s", s.s);
        r.put("c", c);
        r.put("rate", s.rate);
        if (s.scenario == BenchSettings.Scenario.BROADCAST) {
            r.put("bcast_via", s.viaGroup ? "group" : "all");
        }
        r.put("pushes_ok", accepted);
        r.put("pushes_failed", failed.sum());
        if (!t.errors.isEmpty()) {
            ObjectNode pe = r.putObject("push_errors");
            t.errors.forEach((k, v) -> pe.put(k, v.sum()));
        }
        r.put("pushes_zero_recipients", t.zero.sum());
        r.put("api_delivered_sum", t.deliveredSum.sum());
        r.put("push_s", r3(pushS));
        r.put("pushes_per_s", pushS > 0 ? Math.round(accepted / pushS) : 0);
        if (s.scenario == BenchSettings.Scenario.BATCH) {
            r.put("calls", total);
            r.put("calls_per_s", pushS > 0 ? Math.round(total / pushS) : 0);
        }
        r.put("expected", expected);
        r.put("received", got.unique);
        r.put("lost", expected - got.unique);
        r.put("dup", got.dup);
        r.put("misrouted", got.misrouted);
        r.put("unexpected_frames", got.other);
        r.put("closed_during_run", clients.closedAfterReady());
        r.put("grace_hit", !all);
        r.put("duration_s", r3(durS));
        r.put("deliveries_per_s", durS > 0 ? Math.round(got.unique / durS) : 0);
        ObjectNode lat = r.putObject("lat_ms");
        LatencyHistogram h = got.latency;
        lat.put("n", h.count());
        lat.put("p50", ms(h.percentileMicros(0.50)));
        lat.put("p90", ms(h.percentileMicros(0.90)));
        lat.put("p99", ms(h.percentileMicros(0.99)));
        lat.put("p999", ms(h.percentileMicros(0.999)));
        lat.put("max", ms(h.maxMicros()));
        lat.put("mean", ms(h.meanMicros()));
        lat.put("min", ms(h.minMicros()));
        if (cpu0 >= 0 && cpu1 >= 0) {
            double cpu = cpu1 - cpu0;
            r.put("server_cpu_s", r3(cpu));
            r.put("server_cpu_pct", wallS > 0 ? Math.round(cpu / wallS * 100) : 0);
            if (unicast && accepted > 0) {
                r.put("server_cpu_us_per_push", r3(cpu * 1e6 / accepted));
            } else if (got.unique > 0) {
                r.put("server_cpu_us_per_delivery", r3(cpu * 1e6 / got.unique));
            }
        }
        if (own0 >= 0 && own1 >= 0) {
            r.put("client_cpu_s", r3(own1 - own0));
            r.put("client_cpu_pct", wallS > 0 ? Math.round((own1 - own0) / wallS * 100) : 0);
        }
        if (m0 != null && m1 != null && m1[1] > m0[1]) {
            r.put("machine_busy_pct", Math.round(100.0 * (m1[0] - m0[0]) / (m1[1] - m0[1])));
        }
        progress.line("received " + got.unique + "/" + expected + " lost " + (expected - got.unique) + " dup " + got.dup
                + (unicast ? " misrouted " + got.misrouted : "") + " p50 " + ms(h.percentileMicros(0.5)) + " ms p99 "
                + ms(h.percentileMicros(0.99)) + " ms");
    }

    /** What the API answered to a run's pushes. */
    private static final class Tally {
        final LongAdder ok = new LongAdder();
        final LongAdder failed = new LongAdder();
        final LongAdder zero = new LongAdder();
        final LongAdder deliveredSum = new LongAdder();
        final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    }

    /** Warm-up pushes: --warmup, or by default about 50,000 receipts' worth (broadcast) / 2,000 pushes. */
    private int warmup(int receivers) {
        if (s.warmup >= 0) {
            return s.warmup;
        }
        if (s.scenario == BenchSettings.Scenario.BROADCAST) {
            return Math.max(1, Math.min(50, (50_000 + receivers - 1) / receivers));
        }
        return 2000;
    }

    /**
     * The API calls that push messages {@code base}..{@code base+count-1} (unicast: to dst[seq]):
     * one call per message, or per --b of them for batch.
     */
    private Calls calls(ApiPool api, int base, int count, int[] dst, double rate, Tally t) {
        String pad = "x".repeat(s.s);
        Calls.Handler single = (j, status, body, failure) -> single(status, body, failure, t.ok, t.failed, t.zero,
                t.deliveredSum, t.errors);
        int c = s.concurrency();
        switch (s.scenario) {
            case BROADCAST -> {
                String head = s.viaGroup ? "{\"group\":\"" + s.group + "\",\"message\":\"" : "{\"message\":\"";
                return new Calls(memory, api, s.viaGroup ? "/api/sendToGroup" : "/api/sendToAll", count, c, rate, j -> {
                    StringBuilder sb = new StringBuilder(s.s + 64).append(head);
                    message(sb, base + j, 0, pad);
                    return ByteBufUtil.writeAscii(ByteBufAllocator.DEFAULT, sb.append("\"}"));
                }, single);
            }
            case UNICAST -> {
                return new Calls(memory, api, "/api/sendToUid", count, c, rate, j -> {
                    int seq = base + j;
                    StringBuilder sb = new StringBuilder(s.s + 80).append("{\"uid\":\"").append(s.uidPrefix)
                            .append(dst[seq]).append("\",\"message\":\"");
                    message(sb, seq, dst[seq], pad);
                    return ByteBufUtil.writeAscii(ByteBufAllocator.DEFAULT, sb.append("\"}"));
                }, single);
            }
            default -> {
                int calls = (count + s.b - 1) / s.b;
                return new Calls(memory, api, "/api/batch", calls, c, rate, j -> {
                    int from = base + j * s.b;
                    int to = base + Math.min(count, (j + 1) * s.b);
                    StringBuilder sb = new StringBuilder((to - from) * (s.s + 100) + 2).append('[');
                    for (int q = from; q < to; q++) {
                        if (q > from) {
                            sb.append(',');
                        }
                        sb.append("{\"method\":\"sendToUid\",\"params\":{\"uid\":\"").append(s.uidPrefix).append(dst[q])
                                .append("\",\"message\":\"");
                        message(sb, q, dst[q], pad);
                        sb.append("\"}}");
                    }
                    return ByteBufUtil.writeAscii(ByteBufAllocator.DEFAULT, sb.append(']'));
                }, (j, status, body, failure) -> batch(Math.min(count, (j + 1) * s.b) - j * s.b, status, body, failure,
                        t.ok, t.failed, t.zero, t.deliveredSum, t.errors));
            }
        }
    }

    private long expected(long accepted, int receivers) {
        return s.scenario == BenchSettings.Scenario.BROADCAST ? accepted * receivers : accepted;
    }

    /** BENCH:seq:send-µs:dest: padded with 'x' to --s bytes (longer if --s is smaller than the header). */
    private void message(StringBuilder sb, int seq, int dest, String pad) {
        int start = sb.length();
        sb.append("BENCH:").append(seq).append(':').append(System.nanoTime() / 1000).append(':').append(dest)
                .append(':');
        int len = sb.length() - start;
        if (len < s.s) {
            sb.append(pad, 0, s.s - len);
        }
    }

    /** Uniformly random receivers for k pushes: xorshift32 from --seed, as wsload's pusher. */
    private int[] destinations(int[] receivers, int k) {
        int[] out = new int[k];
        int x = (int) s.seed;
        if (x == 0) {
            x = 1;
        }
        for (int j = 0; j < k; j++) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            out[j] = receivers[(int) (Integer.toUnsignedLong(x) % receivers.length)];
        }
        return out;
    }

    /** bindUid / joinGroup for each ready client; returns the indexes for which it worked. */
    private int[] setup(Clients clients, ApiPool api, int[] ready, String method, String what,
                        java.util.function.IntFunction<String> body, ObjectNode r) {
        AtomicIntegerArray okFlags = new AtomicIntegerArray(ready.length);
        LongAdder bad = new LongAdder();
        Map<String, LongAdder> errs = new ConcurrentHashMap<>();
        Calls calls = new Calls(memory, api, "/api/" + method, ready.length, s.setupConcurrency, 0,
                j -> ByteBufUtil.writeAscii(ByteBufAllocator.DEFAULT, body.apply(ready[j])),
                (j, status, content, failure) -> {
                    if (status == 200 && content != null && content.toString(StandardCharsets.UTF_8).contains("true")) {
                        okFlags.set(j, 1);
                    } else {
                        bad.increment();
                        errs.computeIfAbsent(status == 200 ? "offline" : kind(status, content, failure),
                                k -> new LongAdder()).increment();
                    }
                });
        long t0 = System.nanoTime();
        CompletableFuture<Void> done = calls.start();
        waitUntil(done::isDone, Double.MAX_VALUE, () -> what + ": " + calls.completed() + "/" + ready.length);
        double secs = (System.nanoTime() - t0) / 1e9;
        r.put(what + "_s", r3(secs));
        r.put(what + "_errors", bad.sum());
        if (!errs.isEmpty()) {
            ObjectNode e = r.putObject(what + "_error_kinds");
            errs.forEach((k, v) -> e.put(k, v.sum()));
        }
        progress.line(what + ": " + (ready.length - bad.sum()) + "/" + ready.length + " in " + fmt(secs) + " s");
        int[] out = new int[ready.length];
        int n = 0;
        for (int j = 0; j < ready.length; j++) {
            if (okFlags.get(j) == 1) {
                out[n++] = ready[j];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    private static void single(int status, ByteBuf body, String failure, LongAdder ok, LongAdder failed, LongAdder zero,
                               LongAdder deliveredSum, Map<String, LongAdder> errors) {
        if (status == 200 && body != null) {
            ok.increment();
            long d = delivered(body);
            if (d == 0) {
                zero.increment();
            }
            if (d > 0) {
                deliveredSum.add(d);
            }
        } else {
            failed.increment();
            errors.computeIfAbsent(kind(status, body, failure), k -> new LongAdder()).increment();
        }
    }

    private static void batch(int items, int status, ByteBuf body, String failure, LongAdder ok, LongAdder failed,
                              LongAdder zero, LongAdder deliveredSum, Map<String, LongAdder> errors) {
        if (status != 200 || body == null) {
            failed.add(items);
            errors.computeIfAbsent(kind(status, body, failure), k -> new LongAdder()).add(items);
            return;
        }
        JsonNode results;
        try (var in = new ByteBufInputStream(body.duplicate())) {
            results = JSON.readTree((java.io.InputStream) in).path("result");
        } catch (IOException e) {
            results = null;
        }
        if (results == null || !results.isArray()) {
            failed.add(items);
            errors.computeIfAbsent("bad_batch_answer", k -> new LongAdder()).add(items);
            return;
        }
        for (JsonNode item : results) {
            if (item.has("result")) {
                ok.increment();
                long d = item.path("result").path("delivered").asLong(-1);
                if (d == 0) {
                    zero.increment();
                }
                if (d > 0) {
                    deliveredSum.add(d);
                }
            } else {
                failed.increment();
                errors.computeIfAbsent("api_" + item.path("error").path("code").asText("error"), k -> new LongAdder())
                        .increment();
            }
        }
        if (results.size() < items) {
            failed.add(items - results.size());
        }
    }

    /** The number after "delivered": in an answer, or -1. */
    static long delivered(ByteBuf body) {
        int p = ByteBufUtil.indexOf(DELIVERED, body);
        if (p < 0) {
            return -1;
        }
        p += DELIVERED.readableBytes();
        int end = body.writerIndex();
        long v = 0;
        boolean any = false;
        while (p < end) {
            byte c = body.getByte(p++);
            if (c == ' ' && !any) {
                continue;
            }
            if (c < '0' || c > '9') {
                break;
            }
            v = v * 10 + (c - '0');
            any = true;
        }
        return any ? v : -1;
    }

    /** What went wrong with a call: the transport failure, api_CODE from an error body, or http_STATUS. */
    static String kind(int status, ByteBuf body, String failure) {
        if (failure != null) {
            return failure;
        }
        if (body != null) {
            try {
                JsonNode err = JSON.readTree(body.toString(StandardCharsets.UTF_8)).path("error");
                if (err.hasNonNull("code")) {
                    return "api_" + err.get("code").asText();
                }
            } catch (IOException | RuntimeException e) {
                // not JSON: fall back to the status
            }
        }
        return "http_" + status;
    }

    /** A short name for why a connection or request failed (the keys of "errors"). */
    static String errorKind(Throwable t) {
        if (t == null) {
            return "error";
        }
        while (t.getCause() != null && t.getCause() != t && (t.getMessage() == null
                || t instanceof io.netty.handler.codec.DecoderException)) {
            t = t.getCause();
        }
        String msg = String.valueOf(t.getMessage());
        if (t instanceof io.netty.channel.ConnectTimeoutException) {
            return "connect_timeout";
        }
        if (t instanceof io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException h) {
            var res = h.response();
            return res != null ? "http_" + res.status().code() : "handshake_failed";
        }
        if (t instanceof io.netty.handler.codec.http.websocketx.WebSocketHandshakeException) {
            return "handshake_failed";
        }
        if (msg.contains("refused")) {
            return "refused";
        }
        if (msg.contains("Cannot assign requested address")) {
            return "eaddrnotavail";
        }
        if (msg.contains("Address already in use")) {
            return "eaddrinuse";
        }
        if (msg.contains("Too many open files")) {
            return "emfile";
        }
        if (msg.contains("reset")) {
            return "reset";
        }
        if (msg.toLowerCase(Locale.ROOT).contains("timed out") || msg.contains("timeout")) {
            return "timeout";
        }
        return t.getClass().getSimpleName();
    }

    // ------------------------------------------------------------------------------- helpers

    /**
     * Waits (this thread; the event loops do the work) until {@code done} or {@code seconds}
     * pass, printing progress about once a second. True if done.
     */
    private boolean waitUntil(BooleanSupplier done, double seconds, Supplier<String> status) {
        long deadline = seconds >= 1e9 ? Long.MAX_VALUE : System.nanoTime() + (long) (seconds * 1e9);
        while (!done.getAsBoolean()) {
            memory.check();
            if (deadline != Long.MAX_VALUE && System.nanoTime() - deadline >= 0) {
                return done.getAsBoolean();
            }
            progress.tick(status);
            try {
                Thread.sleep(10); // polling period of the progress display and of the end condition
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BenchException(false, "interrupted");
            }
        }
        return true;
    }

    private static boolean clean(ObjectNode r) {
        return r.path("failed").asLong() == 0 && r.path("lost").asLong(0) == 0 && r.path("dup").asLong(0) == 0
                && r.path("misrouted").asLong(0) == 0 && r.path("pushes_failed").asLong(0) == 0
                && r.path("bind_errors").asLong(0) == 0 && r.path("join_errors").asLong(0) == 0
                && r.path("closed_during_run").asLong(0) == 0 && r.path("closed_during_hold").asLong(0) == 0;
    }

    private static void putCpu(ObjectNode r, String field, double before, double after) {
        if (before >= 0 && after >= 0) {
            r.put(field, r3(after - before));
        } else {
            r.putNull(field);
        }
    }

    static double r3(double x) {
        return Math.round(x * 1000) / 1000.0;
    }

    static double ms(double micros) {
        return Math.round(micros) / 1000.0;
    }

    private static String fmt(double x) {
        return String.format(Locale.ROOT, "%.2f", x);
    }

    /** Progress lines on stderr, at most one a second from {@link #tick}. */
    private static final class Progress {
        private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
        private final PrintWriter out;
        private long last = System.nanoTime();

        Progress(PrintWriter out) {
            this.out = out;
        }

        void line(String text) {
            if (out != null) {
                out.println("[bench " + LocalTime.now().format(TIME) + "] " + text);
                out.flush();
                last = System.nanoTime();
            }
        }

        void tick(Supplier<String> text) {
            if (out != null && System.nanoTime() - last >= 1_000_000_000L) {
                line(text.get());
            }
        }
    }
}
