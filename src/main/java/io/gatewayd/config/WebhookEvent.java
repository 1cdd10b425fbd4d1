package io.gatewayd.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What the gateway tells the backend about. */
public enum WebhookEvent {
    CONNECT("connect"),
    CLOSE("close"),
    MESSAGE("message");

    private final String configName;

    WebhookEvent(String configName) {
        this.configName = configName;
    }

    @JsonValue
    public String configName() {
        return configName;
    }

    @JsonCreator
    public static WebhookEvent fromConfig(String name) {
        return ConfigEnums.parse(values(), name, WebhookEvent::configName, "event");
    }
}
