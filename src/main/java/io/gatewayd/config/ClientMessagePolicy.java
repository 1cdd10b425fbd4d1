package io.gatewayd.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What the gateway does with messages clients send. The gateway holds no business logic. */
public enum ClientMessagePolicy {
    /** A JSON object with a "type" gets {"type":same,"client_id":..,"timestamp":..} back; the rest is ignored. */
    ECHO_TYPE("echo-type"),
    /** Drop every client message (they still count as heartbeat activity). */
    IGNORE("ignore"),
    /** Forward text messages to the backend's message webhook (after the local echo-type heartbeat answer). */
    WEBHOOK("webhook");

    private final String configName;

    ClientMessagePolicy(String configName) {
        this.configName = configName;
    }

    @JsonValue
    public String configName() {
        return configName;
    }

    @JsonCreator
    public static ClientMessagePolicy fromConfig(String name) {
        for (ClientMessagePolicy p : values()) {
            if (p.configName.equals(name.toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown policy \"" + name + "\"; expected one of "
                + Arrays.stream(values()).map(ClientMessagePolicy::configName).collect(Collectors.joining(", ")));
    }
}
