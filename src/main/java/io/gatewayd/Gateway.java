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
import java.util.concurrent.CopyOnWriteArrayList;
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

    /** What the gateway is doing, as /health and status report it. */
    public enum State { STARTING, RUNNING, DRAINING, STOPPING, STOPPED }

    private final LiveConfig live;
    private final Transport transport;
    private final Registry registry = new Registry();
    private final GatewayStats stats = new GatewayStats();
    private final Outbound outbound;
    private final Router router;
    private final io.gatewayd.cluster.Cluster cluster; // null in single-node mode
    private final ApiMethods api;
    private final ControlServer control;
    private final HeartbeatSweeper heartbeat;
    private final List<ClientListener> listeners = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    private final String mode;
    private final Map<String, Supplier<Object>> statusSections = new LinkedHashMap<>();
    private ClientSessions sessions;
    private ClientIds clientIds;
    private CronScheduler cron;
    private volatile State state = State.STARTING;

    /** Starts a gateway with default options. */
    public static Gateway start(GatewayConfig config) {
        return builder(config).start();
    }

    public static Builder builder(GatewayConfig config) {
        return new Builder(config);
    }

    /** Options beyond the config file, for embedding and for the CLI. */
    public static final class Builder {
        private final GatewayConfig config;
        private final List<ClientEvents> events = new ArrayList<>();
        private String mode = "embedded";

        private Builder(GatewayConfig config) {
            this.config = config;
        }

        /** Receives connect/message/close events (on event loops; must not block). */
        public Builder clientEvents(ClientEvents listener) {
            events.add(listener);
            return this;
        }

        /** How status describes this process: "debug", "daemon", "embedded". */
        public Builder mode(String mode) {
            this.mode = mode;
            return this;
        }

        /** Binds everything; throws {@link GatewayStartException} with a readable reason if it cannot. */
        public Gateway start() {
            return new Gateway(config, List.copyOf(events), mode);
        }
    }

    private Gateway(GatewayConfig config, List<ClientEvents> events, String mode) {
        config.control().requireTokenUnlessLoopback();
        this.mode = mode;
        this.live = new LiveConfig(config);
        this.transport = Transport.create(config.node().nativeTransport(), config.node().ioThreads(), "gatewayd-io");
        this.outbound = new Outbound(transport.group(), registry, stats, () -> live.config().outbound());
        LocalRouter local = new LocalRouter(registry, outbound);
        this.cluster = config.cluster() == null ? null
                : new io.gatewayd.cluster.Cluster(config.cluster(), registry, local, transport.group(), transport.isEpoll());
        this.router = cluster == null ? local : cluster.router();
        this.api = new ApiMethods(router, stats);
        this.heartbeat = new HeartbeatSweeper(outbound, stats);
        StatusReport report = new StatusReport(registry, stats,
                () -> listeners.stream().map(l -> new StatusReport.ListenerRow(l.url(), l.config().protocol().scheme()))
                        .toList(),
                statusSections, Version.get(), transport.name());
        statusSections.put("mode", () -> this.mode);
        statusSections.put("state", () -> state.name().toLowerCase());
        this.control = new ControlServer(config.control(), api, stats, report::build, this::healthState);
        try {
            control.bind(transport);
            clientIds = new ClientIds(config.node().resolveLanIp(), control.port());
            statusSections.put("node_id", clientIds::nodePrefix);
            if (cluster != null) {
                cluster.start(clientIds.nodePrefix(), control.url().toString(), Version.get());
                statusSections.put("cluster", cluster::status);
            }
            sessions = new ClientSessions(registry, outbound, live, stats, clientIds, events);
            for (ListenerConfig l : config.listeners()) {
                listeners.add(ClientListener.bind(l, transport, sessions, config.outbound()));
            }
        } catch (RuntimeException e) {
            shutdownQuietly();
            throw e;
        }
        heartbeat.apply(config.heartbeat());
        cron = cluster == null ? CronScheduler.start(config.cron(), cronLockDir(config), router)
                : CronScheduler.start(config.cron(), cluster.jobLock(CronScheduler.selfDescription()), router);
        CronApi.register(api, () -> cron);
        statusSections.put("cron", cron::summary);
        state = State.RUNNING;
        LOG.info("gatewayd {} started ({} transport{}): clients on {}, control on {}", Version.get(),
                transport.name(), transport.isEpoll() ? "" : ", native epoll unavailable: "
                        + transport.nativeUnavailableReason(), listenerUrls(), control.url());
    }

    private String healthState() {
        return switch (state) {
            case RUNNING -> cluster != null && !cluster.available() ? "degraded" : "ok";
            case DRAINING -> "draining";
            case STARTING -> "starting";
            default -> "stopping";
        };
    }

    public Router router() {
        return router;
    }

    /** The cron jobs of the config's {@code cron:} section. */
    public CronScheduler cron() {
        return cron;
    }

    /** Workerman-style timers for embedding code: {@code timers().add(interval, task, persistent)}. */
    public Timers timers() {
        return cron.timers();
    }

    /** run-on: one lock files: {@code <paths.run-dir>/cron}, relative to gatewayd.home (else the working dir). */
    private static Path cronLockDir(GatewayConfig config) {
        return config.paths().runDir(Path.of(System.getProperty("gatewayd.home", ""))).resolve("cron");
    }

    public Registry registry() {
        return registry;
    }

    public GatewayStats stats() {
        return stats;
    }

    public ApiMethods api() {
        return api;
    }

    public GatewayConfig config() {
        return live.config();
    }

    public State state() {
        return state;
    }

    /** The 12-hex node part of every client_id this gateway issues. */
    public String nodeId() {
        return clientIds.nodePrefix();
    }

    public URI controlUrl() {
        return control.url();
    }

    public int controlPort() {
        return control.port();
    }

    /** Bound client listeners, with their real ports. */
    public List<ClientListener> listeners() {
        return List.copyOf(listeners);
    }

    public List<String> listenerUrls() {
        return listeners.stream().map(ClientListener::url).toList();
    }

    /** The port of the first listener of a protocol scheme ("websocket", "text", "frame"); -1 if none. */
    public int port(String scheme) {
        return listeners.stream().filter(l -> l.config().protocol().scheme().equals(scheme))
                .mapToInt(ClientListener::port).findFirst().orElse(-1);
    }

    /** Adds a top-level section to /api/status (e.g. cron), computed per request. */
    public void addStatusSection(String name, Supplier<Object> section) {
        statusSections.put(name, section);
    }

    /**
     * Applies a new config without dropping clients: heartbeat, welcome message, client message
     * policy, outbound limits, control tokens and body limit, and listeners (new ones open,
     * removed ones close; their existing connections stay). Settings fixed at start (node, control
     * address) are reported back as needing a restart.
     *
     * @return human-readable notes on what could not be applied live (empty when all was)
     */
    public synchronized List<String> reload(GatewayConfig next) {
        next.control().requireTokenUnlessLoopback();
        List<String> notes = new ArrayList<>();
        GatewayConfig prev = live.config();
        if (!prev.node().equals(next.node())) {
            notes.add("node settings changed; they apply after a restart");
        }
        if (!java.util.Objects.equals(prev.cluster(), next.cluster())) {
            notes.add("cluster settings changed; they apply after a restart");
        }
        if (!prev.control().listen().equals(next.control().listen())) {
            notes.add("control.listen changed; it applies after a restart");
        }
        // bind new listeners before closing old ones, so a failure leaves the old set in place
        List<ClientListener> opened = new ArrayList<>();
        try {
            for (ListenerConfig l : next.listeners()) {
                if (listeners.stream().noneMatch(r -> r.config().equals(l))) {
                    opened.add(ClientListener.bind(l, transport, sessions, next.outbound()));
                }
            }
        } catch (RuntimeException e) {
            opened.forEach(ClientListener::close);
            throw e;
        }
        live.set(next);
        control.update(next.control());
        heartbeat.apply(next.heartbeat());
        cron.apply(next.cron());
        for (ClientListener running : listeners) {
            if (!next.listeners().contains(running.config())) {
                running.close();
                listeners.remove(running);
                LOG.info("listener {} closed by reload; its connections stay", running.url());
            }
        }
        listeners.addAll(opened);
        opened.forEach(l -> LOG.info("listener {} opened by reload", l.url()));
        LOG.info("config reloaded{}", notes.isEmpty() ? "" : " (" + String.join("; ", notes) + ")");
        return notes;
    }

    /**
     * Stops: no new connections, in-flight control requests finish, every client gets a
     * WebSocket close 1001 (TCP clients: closed after flushing), then the event loops end.
     */
    public void stop(Duration timeout) {
        synchronized (this) {
            if (state == State.STOPPING || state == State.STOPPED) {
                terminated.join();
                return;
            }
            state = State.STOPPING;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        listeners.forEach(ClientListener::close);
        cron.stop(remaining(deadline)); // running jobs may still push to clients
        control.stop(remaining(deadline));
        heartbeat.stop();
        if (cluster != null) {
            cluster.stop(); // leave first: other nodes stop routing to this one's clients
        }
        List<io.netty.channel.ChannelFuture> closing = new ArrayList<>();
        for (Connection c : new ArrayList<>(registry.all())) {
            closing.add(c.channel().closeFuture());
            outbound.close(c, CloseCodes.GOING_AWAY);
        }
        for (io.netty.channel.ChannelFuture f : closing) {
            f.awaitUninterruptibly(Math.max(1, remaining(deadline).toMillis()));
        }
        shutdownQuietly();
        state = State.STOPPED;
        LOG.info("gatewayd stopped");
        terminated.complete(null);
    }

    private static Duration remaining(long deadlineNanos) {
        return Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime()));
    }

    private void shutdownQuietly() {
        if (cluster != null) {
            cluster.stop();
        }
        transport.shutdown(2);
    }

    /** Completes when the gateway has stopped. */
    public CompletableFuture<Void> terminated() {
        return terminated;
    }

    @Override
    public void close() {
        stop(DEFAULT_STOP_TIMEOUT);
    }
}
