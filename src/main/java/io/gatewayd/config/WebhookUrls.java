package io.gatewayd.config;

/** Per-event webhook URLs; an unset one falls back to {@code webhooks.url}. */
public record WebhookUrls(String connect, String close, String message) {
    public WebhookUrls {
        connect = connect == null || connect.isBlank() ? null : connect;
        close = close == null || close.isBlank() ? null : close;
        message = message == null || message.isBlank() ? null : message;
        WebhooksConfig.checkUrl(connect, "connect");
        WebhooksConfig.checkUrl(close, "close");
        WebhooksConfig.checkUrl(message, "message");
    }

    public static WebhookUrls defaults() {
        return new WebhookUrls(null, null, null);
    }

    String get(WebhookEvent e) {
        return switch (e) {
            case CONNECT -> connect;
            case CLOSE -> close;
            case MESSAGE -> message;
        };
    }
}
