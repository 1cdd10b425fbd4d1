package io.gatewayd;

import io.gatewayd.api.ApiMethods;
import io.gatewayd.api.ControlServer;
import io.gatewayd.api.StatusReport;
import io.gatewayd.config.GatewayConfig;
import io.gatewayd.config.ListenerConfig;
import io.gatewayd.cron.CronApi;
import io.gatewayd.cron.CronScheduler;
import io.gatewayd.cron.Timers;
import io.gatewayd.delivery.CloseCodes;
import io.gatewayd.delivery.Outbound;
import io.gatewayd.metrics.GatewayStats;
import io.gatewayd.registry.ClientIds;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;
import io.gatewayd.routing.LocalRouter;
import io.gatewayd.routing.Router;
import io.gatewayd.server.ClientEvents;
import io.gatewayd.server.ClientListener;
import io.gatewayd.server.ClientSessions;
import io.gatewayd.server.HeartbeatSweeper;
import io.gatewayd.server.LiveConfig;
import io.gatewayd.server.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A running gateway: client listeners, the registry, the push router and the control port.
 * The CLI is one user of this facade, tests are another; embedding takes one line:
 *
 * <pre>{@code
 * try (Gateway gw = Gateway.start(GatewayConfig.defaults())) {
 *     gw.router().sendToAll(OutboundMessage.text("hello"), null, Set.of());
 * }
 * }</pre>
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    private static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(10);

    /**
     * What the gateway is doing, as /health and status report it. STARTING lasts until the
     * constructor returns, or until {@link #serve()} with {@link Builder#serveLater()}.
     */
    public enum State { STARTING, RUNNING, DRAINING, STOPPING, STOPPED }

    private final LiveConfig live;
    /** What settings that only a restart applies were started with: a reload's notes compare to it. */
    private final GatewayConfig startedWith;
    private final Transport transport;
    private final Registry registry = new Registry();
    private final GatewayStats stats = new GatewayStats();
    private final Outbound outbound;
    private final Router router;
    private final io.gatewayd.routing.MsgIds msgIds;
    private final io.gatewayd.cluster.Cluster cluster; // null in single-node mode
    private final ApiMethods api;
    private final ControlServer control;
    private final HeartbeatSweeper heartbeat;
    /**
     * In the config's order, so status, the log and {@link #port} follow the config after a
     * reload too. Replaced whole, never edited, so a reader never sees a reload half done.
     */
    private volatile List<ClientListener> listeners = List.of();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private final String mode;
    private final Map<String, Supplier<Object>> statusSections = new LinkedHashMap<>();
    private ClientSessions sessions;
    private ClientIds clientIds;
    private CronScheduler cron;
    // security: limits, TLS, connect auth, webhooks (README "Connecting a backend")
    private final io.gatewayd.server.ConnectionGuard guard;
    private final java.util.concurrent.atomic.AtomicReference<io.gatewayd.server.ServerTls> tls =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final io.gatewayd.server.CertificateCheck certificateCheck;
    private final io.gatewayd.webhook.Webhooks webhooks;
    private final io.gatewayd.auth.ConnectAuth connectAuth;
    private volatile State state = State.STARTING;
    private volatile Draining draining;

    /** Starts a gateway with default options. */
    public static Gateway start(GatewayConfig config) {
        return builder(config).start();
    }

    /**
     * A gateway to configure further before {@link Builder#start()}.
     *
     * @param config e.g. {@code GatewayConfig.ephemeral()}, {@code GatewayConfig.defaults().withListeners(...)},
     *               or {@code new ConfigLoader().load(path)}
     */
    public static Builder builder(GatewayConfig config) {
        return new Builder(requireConfig(config));
    }

    private static GatewayConfig requireConfig(GatewayConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config is null; pass GatewayConfig.defaults() (or ephemeral()) with "
                    + "the changes you need, or new ConfigLoader().load(path) for a YAML file");
        }
        return config;
    }

    /** Options beyond the config file, for embedding and for the CLI. */
    public static final class Builder {
        private final GatewayConfig config;
        private final List<ClientEvents> events = new ArrayList<>();
        private String mode = "embedded";
        private boolean serveLater;
        private Duration certificateCheckEvery = Duration.ofDays(1);

        private Builder(GatewayConfig config) {
            this.config = config;
        }

        /**
         * Receives connect/message/close events. They are called on the gateway's event loops and
         * must not block; see {@link ClientEvents} for the threading rules.
         */
        public Builder clientEvents(ClientEvents listener) {
            if (listener == null) {
                throw new IllegalArgumentException("clientEvents listener is null");
            }
            events.add(listener);
            return this;
        }

        /** How status describes this process: "debug", "daemon", "embedded". */
        public Builder mode(String mode) {
            this.mode = mode;
            return this;
        }

        /**
         * Binds the client listeners but accepts no client until {@link Gateway#serve()} (state
         * STARTING until then; the control port serves at once). For jsvc, which binds ports below
         * 1024 as root in init and serves after dropping privileges in start.
         */
        public Builder serveLater() {
            this.serveLater = true;
            return this;
        }

        /** How often the served certificate's end is checked; tests shorten the day. */
        Builder certificateCheckEvery(Duration every) {
            this.certificateCheckEvery = every;
            return this;
        }

        /** Binds everything; throws {@link GatewayStartException} with a readable reason if it cannot. */
        public Gateway start() {
            return new Gateway(config, List.copyOf(events), mode, serveLater, certificateCheckEvery);
        }
    }

    private Gateway(GatewayConfig config, List<ClientEvents> events, String mode, boolean serveLater,
                    Duration certificateCheckEvery) {
        config.control().requireTokenUnlessLoopback();
        this.mode = mode;
        this.live = new LiveConfig(config);
        this.startedWith = config;
        this.transport = Transport.create(config.node().transport(),
                config.node().eventLoops(Runtime.getRuntime().availableProcessors()), "gatewayd-io");
        this.outbound = new Outbound(transport.group(), registry, stats, () -> live.config().outbound());
        LocalRouter local = new LocalRouter(registry, outbound);
        this.msgIds = new io.gatewayd.routing.MsgIds(config.control().dedupWindow(), config.control().dedupMaxEntries(),
                stats.duplicatesDropped);
        this.cluster = config.cluster() == null ? null
                : new io.gatewayd.cluster.Cluster(config.cluster(), registry, local, msgIds, transport.group(),
                        transport.channelClass());
        this.router = cluster == null ? new io.gatewayd.routing.MsgIdRouter(local, msgIds) : cluster.router();
        this.api = new ApiMethods(router, stats);
        this.heartbeat = new HeartbeatSweeper(outbound, stats);
        this.guard = new io.gatewayd.server.ConnectionGuard(() -> live.config().limits());
        registry.limits(() -> live.config().limits().maxGroupsPerConnection(),
                () -> live.config().limits().maxConnectionsPerUid(), c -> {
                    guard.uidLimitClosed.increment();
                    outbound.close(c, CloseCodes.UID_LIMIT);
                });
        this.webhooks = new io.gatewayd.webhook.Webhooks(transport, router, live::config, () -> clientIds.nodePrefix(),
                Version.get());
        this.certificateCheck = new io.gatewayd.server.CertificateCheck(transport.group().next(), tls::get,
                certificateCheckEvery);
        try {
            if (config.tls().configured()) {
                tls.set(io.gatewayd.server.ServerTls.load(config.tls()));
            }
            this.connectAuth = new io.gatewayd.auth.ConnectAuth(config.auth(), () -> live.config().limits(),
                    webhooks::decideConnect, java.time.Clock.systemUTC());
        } catch (RuntimeException e) {
            shutdownQuietly();
            throw e;
        }
        StatusReport report = new StatusReport(registry, stats,
                () -> listeners.stream().map(l -> new StatusReport.ListenerRow(l.url(), l.config().protocol().scheme()))
                        .toList(),
                outbound::awaitingAnswerCount, statusSections, Version.get(), transport.name());
        statusSections.put("mode", () -> this.mode);
        statusSections.put("state", () -> state.name().toLowerCase());
        statusSections.put("draining", this::drainingStatus);
        this.control = new ControlServer(config.control(), api, stats, report::build, this::healthState).tls(tls::get);
        statusSections.put("event_loops", this::eventLoopsStatus);
        statusSections.put("limits", this::limitsStatus);
        statusSections.put("auth", connectAuth::status);
        statusSections.put("webhooks", webhooks::status);
        statusSections.put("tls", () -> tls.get() == null ? null : tls.get().status());
        try {
            control.bind(transport);
            clientIds = new ClientIds(config.node().resolveLanIp(), control.port());
            statusSections.put("node_id", clientIds::nodePrefix);
            if (cluster != null) {
                cluster.start(clientIds.nodePrefix(), control.url().toString(), Version.get());
                statusSections.put("cluster", cluster::status);
            }
            List<ClientEvents> all = new ArrayList<>(events);
            all.add(webhooks);
            sessions = new ClientSessions(registry, outbound, live, stats, clientIds, all,
                    new io.gatewayd.server.ClientSecurity(guard, connectAuth, tls::get, webhooks));
            guard.descriptors(io.gatewayd.server.DescriptorBudget.measure(config.listeners().size()
                    + config.webhooks().maxConcurrency() + controlDescriptors(config.control())));
            guard.descriptors().logAtStart(config.limits().maxConnections());
            List<ClientListener> bound = new ArrayList<>();
            for (ListenerConfig l : config.listeners()) {
                bound.add(ClientListener.bind(l, transport, sessions, config.outbound(), !serveLater));
            }
            listeners = List.copyOf(bound);
            certificateCheck.serving(servesTls());
        } catch (RuntimeException e) {
            shutdownQuietly();
            throw e;
        }
        heartbeat.apply(config.heartbeat());
        cron = cluster == null ? CronScheduler.start(config.cron(), cronLockDir(config), router)
                : CronScheduler.start(config.cron(), cluster.jobLock(CronScheduler.selfDescription()), router);
        CronApi.register(api, () -> cron);
        statusSections.put("cron", cron::summary);
        if (serveLater) {
            LOG.info("gatewayd {} bound ({} transport): clients on {} (not accepting yet), control on {}",
                    Version.get(), transport.name(), listenerUrls(), control.url());
            return;
        }
        state = State.RUNNING;
        LOG.info("gatewayd {} started ({} transport{}): clients on {}, control on {}", Version.get(),
                transport.name(), transport.fallbackReason() == null ? "" : "; " + transport.fallbackReason(),
                listenerUrls(), control.url());
    }

    /**
     * Whether a certificate is served: a tls section that no listener and not the control port
     * uses is read (so its files are checked) but shown to no client. The control port's scheme
     * is the one it was started with; a listener keeps its TLS until a restart.
     */
    private boolean servesTls() {
        return tls.get() != null
                && (startedWith.control().tls() || listeners.stream().anyMatch(l -> l.config().tls()));
    }

    /** Whether the periodic certificate check is scheduled (tests). */
    boolean certificateCheckScheduled() {
        return certificateCheck.scheduled();
    }

    private String healthState() {
        return switch (state) {
            case RUNNING -> cluster != null && !cluster.available() ? "degraded" : "ok";
            case DRAINING -> "draining";
            case STARTING -> "starting";
            default -> "stopping";
        };
    }

    /** Starts accepting clients on a gateway built with {@link Builder#serveLater()}; a no-op otherwise. */
    public synchronized void serve() {
        if (state != State.STARTING) {
            return;
        }
        listeners.forEach(ClientListener::startAccepting);
        state = State.RUNNING;
        LOG.info("gatewayd {} accepting clients on {}, control on {}", Version.get(), listenerUrls(), control.url());
    }

    /**
     * Graceful stop ("stop -g"): closes the client listeners, keeps serving the connected clients
     * (pushes are still delivered, heartbeats still run), and stops as {@link #stop(Duration)} does
     * once the last client has gone or {@code timeout} has passed. A {@link #stop(Duration)} during
     * the drain stops at once.
     *
     * <p>Called from one of this gateway's event loops (a {@link ClientEvents} callback), it starts
     * the drain on a thread of its own and returns at once.
     *
     * @param timeout     how long to wait for clients to leave; null waits indefinitely
     * @param stopTimeout passed to the final {@link #stop(Duration)}
     * @return {@link #terminated()}
     * @throws IllegalArgumentException if {@code stopTimeout} is null
     */
    public CompletableFuture<Void> drain(Duration timeout, Duration stopTimeout) {
        if (stopTimeout == null) {
            // refused here: found at the end of the drain, it would leave the gateway draining for good
            throw new IllegalArgumentException("stop timeout is null; pass how long clients get to close once the "
                    + "drain ends, e.g. Duration.ofSeconds(10)");
        }
        if (onEventLoop()) {
            // closing the listeners waits on their event loops, and this thread is one of them
            Thread drainer = new Thread(() -> drain(timeout, stopTimeout), "gatewayd-drain");
            drainer.start();
            return terminated;
        }
        synchronized (this) {
            if (draining != null || state == State.STOPPING || state == State.STOPPED) {
                return terminated;
            }
            long now = System.currentTimeMillis();
            draining = new Draining(now, timeout == null ? 0 : now + timeout.toMillis());
        }
        listeners.forEach(ClientListener::close);
        synchronized (this) {
            if (state == State.STOPPING || state == State.STOPPED) {
                return terminated;
            }
            state = State.DRAINING; // only now: DRAINING means no listener accepts any more
        }
        LOG.info("draining: listeners closed, {} connection(s) left; stopping when they have closed{}", registry.size(),
                timeout == null ? "" : " or after " + timeout.toSeconds() + " s");
        // Clients that ended their side and wait for the backend's answers left the registry at
        // their FIN, before it emptied: once it is empty they are all known, and the drain waits
        // for them to close too (each bounded by its answer wait and the close grace).
        CompletableFuture<Void> done = registry.whenEmpty().thenCompose(v -> closed(outbound.awaitingAnswers()));
        if (timeout != null) {
            done = done.completeOnTimeout(null, timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        done.thenRun(() -> {
            // its own thread: this runs where the last client left (an event loop) or on the
            // JDK's timer thread, and stopping waits for the event loops to finish
            Thread stopper = new Thread(() -> {
                if (state == State.DRAINING) {
                    int left = registry.size() + outbound.awaitingAnswerCount();
                    LOG.info("draining done ({}); stopping", left == 0 ? "every client has left"
                            : "timeout passed with " + left + " connection(s) left");
                    stop(stopTimeout);
                }
            }, "gatewayd-drain");
            stopper.setDaemon(true);
            stopper.start();
        });
        return terminated;
    }

    private record Draining(long sinceMillis, long deadlineMillis) {
    }

    private static CompletableFuture<Void> closed(List<Connection> connections) {
        CompletableFuture<?>[] each = new CompletableFuture<?>[connections.size()];
        for (int i = 0; i < each.length; i++) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            connections.get(i).channel().closeFuture().addListener(x -> f.complete(null));
            each[i] = f;
        }
        return CompletableFuture.allOf(each);
    }

    /**
     * While draining with a timeout: how long until the drain stops waiting for its clients
     * (zero once passed). Null while it waits for them indefinitely, or when not draining.
     */
    public Duration drainTimeLeft() {
        Draining d = draining;
        if (d == null || d.deadlineMillis() == 0) {
            return null;
        }
        return Duration.ofMillis(Math.max(0, d.deadlineMillis() - System.currentTimeMillis()));
    }

    private Map<String, Object> drainingStatus() {
        Draining d = draining;
        if (state != State.DRAINING || d == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("connections_left", registry.size() + outbound.awaitingAnswerCount());
        m.put("since", java.time.Instant.ofEpochMilli(d.sinceMillis()).toString());
        m.put("deadline", d.deadlineMillis() == 0 ? null : java.time.Instant.ofEpochMilli(d.deadlineMillis()).toString());
        return m;
    }

    /**
     * Pushes, bindings and queries from Java: what the control API offers over HTTP. Safe from
     * any thread and never blocks; a push takes over the message (it releases it). A push's future
     * completes once the event loops' write backlog is at most {@code outbound.max-loop-backlog}
     * (at once when it already is), and in cluster mode also waits for Redis: never {@code join()}
     * one on an event loop (in a {@link ClientEvents} callback), which would wait on its own writes.
     */
    public Router router() {
        return router;
    }

    /**
     * The cron jobs of the config's {@code cron:} section: list, run now, pause, resume, history.
     * To add or change jobs from code, {@link #reload} a config with a new {@code cron} section:
     * {@code gw.reload(gw.config().withCron(gw.config().cron().withJob(CronJobConfig.builder("tick")
     * .every(Duration.ofSeconds(30)).push("all", "tick").build())))}.
     */
    public CronScheduler cron() {
        return cron;
    }

    /**
     * Workerman-style timers for embedding code: {@code timers().add(interval, task, persistent)}.
     * Tasks run on the cron worker pool (never an event loop) and end with the gateway.
     */
    public Timers timers() {
        return cron.timers();
    }

    /** run-on: one lock files: {@code <paths.run-dir>/cron}, relative to gatewayd.home (else the working dir). */
    private static Path cronLockDir(GatewayConfig config) {
        return config.paths().runDir(Path.of(System.getProperty("gatewayd.home", ""))).resolve("cron");
    }

    /** This process's connections, uids and groups. For the CLI, the control API and tests: not part of the embedding API, and it may change. Use {@link #router()}. */
    public Registry registry() {
        return registry;
    }

    /** Counters of /api/status. For the CLI, the control API and tests: not part of the embedding API, and it may change. */
    public GatewayStats stats() {
        return stats;
    }

    /** The control API's methods. For the CLI, the control API and tests: not part of the embedding API, and it may change. */
    public ApiMethods api() {
        return api;
    }

    /** The config in force: the one started with, or the last one {@link #reload} applied. */
    public GatewayConfig config() {
        return live.config();
    }

    /** Where the gateway is in its life; changes from any thread, so read it fresh each time. */
    public State state() {
        return state;
    }

    /** Connection limits and their counters. For the CLI, the control API and tests: not part of the embedding API, and it may change. */
    public io.gatewayd.server.ConnectionGuard guard() {
        return guard;
    }

    /** Webhook delivery (its counters, and applying actions). For the CLI, the control API and tests: not part of the embedding API, and it may change. */
    public io.gatewayd.webhook.Webhooks webhooks() {
        return webhooks;
    }

    /** The server certificate in use, or null without TLS. For the CLI, the control API and tests: not part of the embedding API, and it may change. */
    public io.gatewayd.server.ServerTls tls() {
        return tls.get();
    }

    /** Open connections to the control port. For the CLI, the control API and tests: not part of the embedding API, and it may change. */
    public int controlConnections() {
        return control.openConnections();
    }

    /**
     * Descriptors the control port may hold: its cap plus the operator's reserve. Without a cap
     * they come out of the budget's general headroom, as before there was one.
     */
    private static int controlDescriptors(io.gatewayd.config.ControlConfig c) {
        return c.maxConnections() == 0 ? 0 : c.maxConnections() + ControlServer.operatorReserve();
    }

    private Map<String, Object> limitsStatus() {
        Map<String, Object> o = new LinkedHashMap<>(guard.status());
        o.put("control_connections", control.openConnections());
        o.put("control_max_connections", live.config().control().maxConnections());
        o.put("control_refused", control.refusedConnections());
        o.put("control_rate_limited", control.rateLimited());
        o.put("control_timed_out", control.timedOut());
        return o;
    }

    /** The 12-hex node part of every client_id this gateway issues. */
    public String nodeId() {
        return clientIds.nodePrefix();
    }

    /** The control port's URL, with the port really bound (when the config asked for port 0). */
    public URI controlUrl() {
        return control.url();
    }

    /** The control port really bound. */
    public int controlPort() {
        return control.port();
    }

    /** Bound client listeners, with their real ports. For the CLI, the control API and tests: not part of the embedding API, and it may change. Use {@link #listenerUrls()} or {@link #port}. */
    public List<ClientListener> listeners() {
        return List.copyOf(listeners);
    }

    /** The client listeners' URLs with the ports really bound, e.g. {@code websocket://127.0.0.1:43125}. */
    public List<String> listenerUrls() {
        return listeners.stream().map(ClientListener::url).toList();
    }

    /** The port of the first listener of a protocol scheme ("websocket", "text", "frame"); -1 if none. */
    public int port(String scheme) {
        return listeners.stream().filter(l -> l.config().protocol().scheme().equals(scheme))
                .mapToInt(ClientListener::port).findFirst().orElse(-1);
    }

    /**
     * Adds a top-level section to /api/status, computed per request on an event loop: it must be
     * quick and must not block.
     */
    public void addStatusSection(String name, Supplier<Object> section) {
        statusSections.put(name, section);
    }

    /**
     * Applies a new config without dropping clients: heartbeat, welcome message, client message
     * policy, outbound limits, control tokens and body limit, and listeners (new ones open,
     * removed ones close; their existing connections stay). Settings fixed at start (node, cluster,
     * control address, paths) are reported back as needing a restart.
     *
     * <p>It waits for listeners to bind and close, so it cannot run on the gateway's own event
     * loops: from a {@link ClientEvents} callback, hand it to a thread of your own.
     *
     * @return human-readable notes on what could not be applied live (empty when all was)
     * @throws GatewayStartException    if a new listener cannot bind (nothing is changed then)
     * @throws IllegalStateException    if the gateway is draining or stopped, or this is one of its event loops
     * @throws IllegalArgumentException if {@code next} is null
     */
    public synchronized List<String> reload(GatewayConfig next) {
        if (onEventLoop()) {
            throw new IllegalStateException("reload() was called on one of the gateway's event loops (from a "
                    + "ClientEvents callback?); it waits for listeners to bind and close, which that loop would "
                    + "have to do. Call it from a thread of your own, e.g. an executor");
        }
        if (draining != null || state == State.STOPPING || state == State.STOPPED) {
            throw new IllegalStateException("the gateway is " + (draining != null && state != State.STOPPED
                    && state != State.STOPPING ? "draining" : state.name().toLowerCase())
                    + "; a reload would reopen its listeners, so it is not applied");
        }
        requireConfig(next).control().requireTokenUnlessLoopback();
        // certificates and token keys are read first: a bad file fails the reload with nothing changed
        io.gatewayd.server.ServerTls nextTls = next.tls().configured()
                ? io.gatewayd.server.ServerTls.load(next.tls()) : null;
        Runnable nextAuth = connectAuth.prepare(next.auth());
        List<String> notes = new ArrayList<>();
        // against the start, not the last reload: a change noted once still waits for the restart
        GatewayConfig prev = startedWith;
        if (!prev.node().equals(next.node())) {
            notes.add("node settings changed; they apply after a restart");
        }
        if (!java.util.Objects.equals(prev.cluster(), next.cluster())) {
            notes.add("cluster settings changed; they apply after a restart");
        }
        if (!prev.control().listen().equals(next.control().listen())) {
            notes.add("control.listen changed; it applies after a restart");
        }
        int reservedForControl = controlDescriptors(prev.control());
        int controlNeeds = controlDescriptors(next.control());
        if (guard.descriptors() != io.gatewayd.server.DescriptorBudget.none()
                && (controlNeeds > reservedForControl || (reservedForControl > 0 && controlNeeds == 0))) {
            // the client cap was computed at the start: control connections beyond what it kept for them eat the clients' room
            notes.add("control.max-connections changed to " + next.control().maxConnections() + "; the client cap "
                    + "from the open-file limit keeps room for " + prev.control().maxConnections()
                    + " control connections until a restart");
        }
        int maxConnections = next.limits().maxConnections();
        String overFileLimit = maxConnections > 0 ? guard.descriptors().warning(maxConnections) : null;
        if (overFileLimit != null && maxConnections != live.config().limits().maxConnections()) {
            notes.add(overFileLimit);
        }
        if (!prev.paths().equals(next.paths())) {
            // the pid file, the log directory and the cron locks were opened where the start put them
            notes.add("paths settings changed; they apply after a restart");
        }
        // A listener on the socket of a running one takes its new settings in place (binding
        // again would find the port taken by that very listener); one that must be bound anew
        // there (TLS or reuse-port changed) waits for a restart. New listeners are bound before
        // anything changes, so a failure leaves the old set in place.
        List<ClientListener> opened = new ArrayList<>();
        List<ClientListener> inConfigOrder = new ArrayList<>();
        Map<ClientListener, ListenerConfig> updated = new java.util.IdentityHashMap<>();
        java.util.Set<ClientListener> kept = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        try {
            for (ListenerConfig l : next.listeners()) {
                ClientListener same = listeners.stream().filter(r -> r.config().equals(l)).findFirst()
                        .orElseGet(() -> listeners.stream().filter(r -> !kept.contains(r)
                                && r.config().sameAddress(l))
                                .findFirst().orElse(null));
                if (same == null) {
                    ClientListener bound = ClientListener.bind(l, transport, sessions, next.outbound(),
                            state != State.STARTING);
                    opened.add(bound);
                    inConfigOrder.add(bound);
                    continue;
                }
                kept.add(same);
                inConfigOrder.add(same);
                if (same.config().equals(l)) {
                    continue;
                }
                if (same.config().sameSocket(l)) {
                    updated.put(same, l);
                } else {
                    notes.add("listener " + same.url() + ": tls or reuse-port changed; that applies after a restart"
                            + " (its other settings stay as they were too)");
                }
            }
        } catch (RuntimeException e) {
            opened.forEach(ClientListener::close);
            throw e;
        }
        live.set(next);
        tls.set(nextTls);
        nextAuth.run();
        control.update(next.control());
        msgIds.configure(next.control().dedupWindow(), next.control().dedupMaxEntries());
        heartbeat.apply(next.heartbeat());
        cron.apply(next.cron());
        updated.forEach((running, settings) -> {
            running.update(settings);
            LOG.info("listener {}: new settings apply to new connections", running.url());
        });
        List<ClientListener> before = listeners;
        listeners = List.copyOf(inConfigOrder);
        for (ClientListener running : before) {
            if (!kept.contains(running)) {
                running.close();
                LOG.info("listener {} closed by reload; its connections stay", running.url());
            }
        }
        opened.forEach(l -> LOG.info("listener {} opened by reload", l.url()));
        certificateCheck.serving(servesTls());
        // the opened/closed lines above say what changed; this one gives the whole set, as the start's line does
        LOG.info("config reloaded: clients on {}{}", listenerUrls(), notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")");
        return notes;
    }

    /**
     * Stops: no new connections, in-flight control requests finish, every client gets a
     * WebSocket close 1001 (TCP clients: closed after flushing), then the event loops end.
     * Idempotent and safe from any thread: a second call waits for the first to finish. Called
     * from one of this gateway's event loops (a {@link ClientEvents} callback), it cannot wait for
     * the loop it runs on to end, so it starts the stop on a thread of its own and returns at once
     * (state STOPPING); {@link #terminated()} tells when the stop is done.
     *
     * @param timeout how long clients and running cron jobs get before they are cut off
     * @throws IllegalArgumentException if {@code timeout} is null
     */
    public void stop(Duration timeout) {
        if (timeout == null) {
            throw new IllegalArgumentException("stop timeout is null; pass how long clients get to close, "
                    + "e.g. Duration.ofSeconds(10), or call close() for the default");
        }
        boolean onLoop = onEventLoop();
        synchronized (this) {
            if (state == State.STOPPING || state == State.STOPPED) {
                if (!onLoop) { // the stop going on waits for this loop: it must not wait in turn
                    terminated.join();
                }
                return;
            }
            state = State.STOPPING;
        }
        if (onLoop) {
            new Thread(() -> stopNow(timeout), "gatewayd-stop").start();
        } else {
            stopNow(timeout);
        }
    }

    private void stopNow(Duration timeout) {
        // whatever fails on the way, the gateway ends STOPPED with its threads released: a gateway
        // left STOPPING would make every later stop() wait forever
        try {
            long deadline = System.nanoTime() + timeout.toNanos();
            listeners.forEach(ClientListener::close);
            cron.stop(remaining(deadline)); // running jobs may still push to clients
            control.stop(remaining(deadline));
            heartbeat.stop();
            certificateCheck.serving(false);
            if (cluster != null) {
                cluster.stop(); // leave first: other nodes stop routing to this one's clients
            }
            List<io.netty.channel.ChannelFuture> closing = new ArrayList<>();
            for (Connection c : new ArrayList<>(registry.all())) {
                closing.add(c.channel().closeFuture());
                outbound.close(c, CloseCodes.GOING_AWAY);
            }
            // a client that ended its side and waits for the backend's answers (webhooks still run
            // until the loops end) closes by itself once they are in: it gets the same time
            for (Connection c : outbound.awaitingAnswers()) {
                closing.add(c.channel().closeFuture());
            }
            for (io.netty.channel.ChannelFuture f : closing) {
                f.awaitUninterruptibly(Math.max(1, remaining(deadline).toMillis()));
            }
        } finally {
            shutdownQuietly();
            state = State.STOPPED;
            LOG.info("gatewayd stopped");
            terminated.complete(null);
        }
    }

    private boolean onEventLoop() {
        for (io.netty.util.concurrent.EventExecutor loop : transport.group()) {
            if (loop.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    /** Per event loop: the connections it owns and its write backlog (node.io-threads, outbound.max-loop-backlog). */
    private List<Map<String, Object>> eventLoopsStatus() {
        List<Map<String, Object>> loops = new ArrayList<>();
        for (io.gatewayd.delivery.Lane lane : outbound.lanes()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("connections", lane.liveConnections());
            m.put("backlog", lane.backlog());
            loops.add(m);
        }
        return loops;
    }

    private static Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    private void shutdownQuietly() {
        if (cluster != null) {
            cluster.stop();
        }
        transport.shutdown(2);
        if (!outbound.releaseAll()) {
            LOG.warn("an event loop did not stop within its time; messages it still held are left to the JVM's exit");
        }
    }

    /** Completes when the gateway has stopped. */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    /** {@link #stop(Duration) stop} with a 10 s timeout, for try-with-resources. */
    @Override
    public void close() {
        stop(DEFAULT_STOP_TIMEOUT);
    }
}
