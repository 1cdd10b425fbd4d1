package io.gatewayd.config;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The whole gateway configuration: immutable, validated when built. A reload builds a new one
 * and swaps it in; nothing mutates a config in place.
 *
 * <p>To add a section: a record component (null → its defaults in the constructor), a field in
 * {@link Edit}, and a {@code withX} method.
 */
public record GatewayConfig(NodeConfig node,
                            List<ListenerConfig> listeners,
                            WelcomeConfig welcome,
                            ClientMessagesConfig clientMessages,
                            HeartbeatConfig heartbeat,
                            OutboundConfig outbound,
                            ControlConfig control,
                            PathsConfig paths,
                            CronConfig cron,
                            LimitsConfig limits,
                            AuthConfig auth,
                            WebhooksConfig webhooks,
                            TlsConfig tls,
                            ClusterConfig cluster) {

    public static final String DEFAULT_WEBSOCKET = "websocket://0.0.0.0:8282";

    public GatewayConfig {
        node = node == null ? NodeConfig.defaults() : node;
        listeners = listeners == null ? List.of(ListenerConfig.of(DEFAULT_WEBSOCKET)) : List.copyOf(listeners);
        ConfigProblem.require(!listeners.isEmpty(), "listeners",
                "is empty; configure at least one, e.g. - url: " + DEFAULT_WEBSOCKET);
        welcome = welcome == null ? WelcomeConfig.defaults() : welcome;
        clientMessages = clientMessages == null ? ClientMessagesConfig.defaults() : clientMessages;
        heartbeat = heartbeat == null ? HeartbeatConfig.defaults() : heartbeat;
        outbound = outbound == null ? OutboundConfig.defaults() : outbound;
        control = control == null ? ControlConfig.defaults() : control;
        paths = paths == null ? PathsConfig.defaults() : paths;
        cron = cron == null ? CronConfig.defaults() : cron;
        limits = limits == null ? LimitsConfig.defaults() : limits;
        auth = auth == null ? AuthConfig.defaults() : auth;
        webhooks = webhooks == null ? WebhooksConfig.defaults() : webhooks;
        tls = tls == null ? TlsConfig.defaults() : tls;
        SecurityChecks.check(listeners, clientMessages, control, auth, webhooks, tls);
        WelcomeCheck.check(welcome, listeners, outbound);
        // cluster stays null: single-node mode, no Redis
    }

    /** Built-in defaults: one WebSocket listener on 8282, control port on 127.0.0.1:8283. */
    public static GatewayConfig defaults() {
        return new Edit().build();
    }

    /**
     * Defaults on loopback ephemeral ports, for tests and embedding: {@code websocket://127.0.0.1:0},
     * control {@code http://127.0.0.1:0}.
     */
    public static GatewayConfig ephemeral() {
        return defaults().withListeners(List.of(ListenerConfig.of("websocket://127.0.0.1:0")))
                .withControl(ControlConfig.defaults().withPort(0));
    }

    public GatewayConfig withNode(NodeConfig v) {
        return edit(e -> e.node = v);
    }

    public GatewayConfig withListeners(List<ListenerConfig> v) {
        return edit(e -> e.listeners = v);
    }

    public GatewayConfig withWelcome(WelcomeConfig v) {
        return edit(e -> e.welcome = v);
    }

    public GatewayConfig withClientMessages(ClientMessagesConfig v) {
        return edit(e -> e.clientMessages = v);
    }

    public GatewayConfig withHeartbeat(HeartbeatConfig v) {
        return edit(e -> e.heartbeat = v);
    }

    public GatewayConfig withOutbound(OutboundConfig v) {
        return edit(e -> e.outbound = v);
    }

    public GatewayConfig withControl(ControlConfig v) {
        return edit(e -> e.control = v);
    }

    public GatewayConfig withPaths(PathsConfig v) {
        return edit(e -> e.paths = v);
    }

    public GatewayConfig withCron(CronConfig v) {
        return edit(e -> e.cron = v);
    }

    public GatewayConfig withLimits(LimitsConfig v) {
        return edit(e -> e.limits = v);
    }

    public GatewayConfig withAuth(AuthConfig v) {
        return edit(e -> e.auth = v);
    }

    public GatewayConfig withWebhooks(WebhooksConfig v) {
        return edit(e -> e.webhooks = v);
    }

    public GatewayConfig withTls(TlsConfig v) {
        return edit(e -> e.tls = v);
    }

    /** @param v the cluster section, or null for single-node mode */
    public GatewayConfig withCluster(ClusterConfig v) {
        return edit(e -> e.cluster = v);
    }

    /** Replaces the port of the first WebSocket listener (the --ws-port flag). */
    public GatewayConfig withWebSocketPort(int port) {
        List<ListenerConfig> copy = new ArrayList<>(listeners);
        for (int i = 0; i < copy.size(); i++) {
            if (copy.get(i).protocol() == Protocol.WEBSOCKET) {
                copy.set(i, copy.get(i).withPort(port));
                return withListeners(copy);
            }
        }
        copy.add(ListenerConfig.of("websocket://0.0.0.0:" + port));
        return withListeners(copy);
    }

    private GatewayConfig edit(Consumer<Edit> change) {
        Edit e = new Edit(this);
        change.accept(e);
        return e.build();
    }

    /** A mutable copy used only to derive a changed config. */
    private static final class Edit {
        NodeConfig node;
        List<ListenerConfig> listeners;
        WelcomeConfig welcome;
        ClientMessagesConfig clientMessages;
        HeartbeatConfig heartbeat;
        OutboundConfig outbound;
        ControlConfig control;
        PathsConfig paths;
        CronConfig cron;
        LimitsConfig limits;
        AuthConfig auth;
        WebhooksConfig webhooks;
        TlsConfig tls;
        ClusterConfig cluster;

        Edit() {
        }

        Edit(GatewayConfig c) {
            node = c.node;
            listeners = c.listeners;
            welcome = c.welcome;
            clientMessages = c.clientMessages;
            heartbeat = c.heartbeat;
            outbound = c.outbound;
            control = c.control;
            paths = c.paths;
            cron = c.cron;
            limits = c.limits;
            auth = c.auth;
            webhooks = c.webhooks;
            tls = c.tls;
            cluster = c.cluster;
        }

        GatewayConfig build() {
            return new GatewayConfig(node, listeners, welcome, clientMessages, heartbeat, outbound, control, paths,
                    cron, limits, auth, webhooks, tls, cluster);
        }
    }
}
