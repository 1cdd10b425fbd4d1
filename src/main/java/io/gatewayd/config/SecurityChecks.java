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
        ConfigProblem.require(auth.connect() != ConnectAuthMode.WEBHOOK
                        || webhooks.urlOf(WebhookEvent.CONNECT) != null, "auth.connect",
                "is webhook, but there is no webhook URL for connect events; set webhooks.url (or webhooks.urls.connect)");
        ConfigProblem.require(clientMessages.policy() != ClientMessagePolicy.WEBHOOK
                        || webhooks.urlOf(WebhookEvent.MESSAGE) != null, "client-messages.policy",
                "is webhook, but there is no webhook URL for message events; set webhooks.url (or webhooks.urls.message)");
    }
}
