package io.gatewayd.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

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
        return ConfigEnums.parse(values(), name, ClientMessagePolicy::configName, "policy");
    }
}
