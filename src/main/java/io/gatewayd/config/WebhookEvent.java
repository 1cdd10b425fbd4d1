package io.gatewayd.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

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
        for (WebhookEvent e : values()) {
            if (e.configName.equals(name.toLowerCase(Locale.ROOT))) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown event \"" + name + "\"; expected one of "
                + Arrays.stream(values()).map(WebhookEvent::configName).collect(Collectors.joining(", ")));
    }
}
