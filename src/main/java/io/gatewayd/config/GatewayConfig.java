package io.gatewayd.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The whole gateway configuration: immutable, validated when built. A reload builds a new one
 * and swaps it in; nothing mutates a config in place.
 */
public record GatewayConfig(NodeConfig node,
                            List<ListenerConfig> listeners,
                            WelcomeConfig welcome,
                            ClientMessagesConfig clientMessages,
                            HeartbeatConfig heartbeat,
                            OutboundConfig outbound,
                            ControlConfig control) {

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
    }

    /** Built-in defaults: one WebSocket listener on 8282, control port on 127.0.0.1:8283. */
    public static GatewayConfig defaults() {
        return new GatewayConfig(null, null, null, null, null, null, null);
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
        return new GatewayConfig(v, listeners, welcome, clientMessages, heartbeat, outbound, control);
    }

    public GatewayConfig withListeners(List<ListenerConfig> v) {
        return new GatewayConfig(node, v, welcome, clientMessages, heartbeat, outbound, control);
    }

    public GatewayConfig withWelcome(WelcomeConfig v) {
        return new GatewayConfig(node, listeners, v, clientMessages, heartbeat, outbound, control);
    }

    public GatewayConfig withClientMessages(ClientMessagesConfig v) {
        return new GatewayConfig(node, listeners, welcome, v, heartbeat, outbound, control);
    }

    public GatewayConfig withHeartbeat(HeartbeatConfig v) {
        return new GatewayConfig(node, listeners, welcome, clientMessages, v, outbound, control);
    }

    public GatewayConfig withOutbound(OutboundConfig v) {
        return new GatewayConfig(node, listeners, welcome, clientMessages, heartbeat, v, control);
    }

    public GatewayConfig withControl(ControlConfig v) {
        return new GatewayConfig(node, listeners, welcome, clientMessages, heartbeat, outbound, v);
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
}
