package io.gatewayd.config;

/**
 * The message every client gets right after it connects.
 *
 * @param enabled  send it at all
 * @param message  template; ${client_id}, ${timestamp} (unix seconds), ${remote_ip},
 *                 ${remote_port} and ${listener} are replaced per connection
 */
public record WelcomeConfig(Boolean enabled, String message) {
    public static final String GATEWAYWORKER_INIT =
            "{\"type\":\"SERVER_INIT\",\"client_id\":\"${client_id}\",\"timestamp\":${timestamp}}";

    public WelcomeConfig {
        if (enabled == null) {
            enabled = true;
        }
        if (message == null) {
            message = GATEWAYWORKER_INIT;
        }
        ConfigProblem.require(!enabled || !message.isEmpty(), "message",
                "is empty; set a template or disable the welcome message with enabled: false");
        try {
            template(message);
        } catch (IllegalArgumentException e) {
            throw new ConfigProblem("message", e.getMessage());
        }
    }

    public static final java.util.Set<String> PLACEHOLDERS =
            java.util.Set.of("client_id", "timestamp", "remote_ip", "remote_port", "listener");

    private static MessageTemplate template(String message) {
        return MessageTemplate.parse(message, PLACEHOLDERS);
    }

    public MessageTemplate template() {
        return template(message);
    }

    public static WelcomeConfig defaults() {
        return new WelcomeConfig(null, null);
    }
}
