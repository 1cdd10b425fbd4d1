package io.gatewayd.config;

/** Checks that span sections of the security settings (limits, auth, webhooks, tls). */
final class SecurityChecks {
    private SecurityChecks() {
    }

    /** Called from GatewayConfig's constructor, before its fields are assigned: takes the values. */
    static void check(java.util.List<ListenerConfig> listeners, ClientMessagesConfig clientMessages,
                      ControlConfig control, AuthConfig auth, WebhooksConfig webhooks, TlsConfig tls) {
        boolean tlsWanted = control.tls() || listeners.stream().anyMatch(ListenerConfig::tls);
        ConfigProblem.require(!tlsWanted || tls.configured(), "tls",
                "has no cert-file/key-file, but " + (control.tls() ? "control.listen is https://"
                        : "a listener uses TLS (wss:// or tls: true)") + "; set tls.cert-file and tls.key-file");
        if (auth.connect() != ConnectAuthMode.NONE) {
            // a token or a connect webhook rides on the WebSocket handshake; a TCP client has none,
            // so such a listener would let anyone in while the config says every client is checked
            for (int i = 0; i < listeners.size(); i++) {
                ListenerConfig l = listeners.get(i);
                ConfigProblem.require(l.protocol() == Protocol.WEBSOCKET || l.unauthenticated(),
                        "listeners[" + i + "].unauthenticated", "is not set, but auth.connect is "
                                + auth.connect().configName() + ", which only WebSocket handshakes can carry: " + l.url()
                                + " would let any client in unchecked. Remove that listener, or set unauthenticated: "
                                + "true on it to accept its clients knowingly (e.g. devices on a private network)");
            }
        }
        ConfigProblem.require(auth.connect() != ConnectAuthMode.WEBHOOK
                        || webhooks.urlOf(WebhookEvent.CONNECT) != null, "auth.connect",
                "is webhook, but there is no webhook URL for connect events; set webhooks.url (or webhooks.urls.connect)");
        ConfigProblem.require(clientMessages.policy() != ClientMessagePolicy.WEBHOOK
                        || webhooks.urlOf(WebhookEvent.MESSAGE) != null, "client-messages.policy",
                "is webhook, but there is no webhook URL for message events; set webhooks.url (or webhooks.urls.message)");
    }
}
