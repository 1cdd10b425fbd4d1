package io.gatewayd.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Who may open a WebSocket connection. */
public enum ConnectAuthMode {
    /** Anyone (GatewayWorker's behaviour); the backend binds connections later. */
    NONE("none"),
    /** A signed JWT in ?token= or Sec-WebSocket-Protocol; its claims bind the connection at once. */
    TOKEN("token"),
    /** The connect webhook's answer decides: 2xx accepts (and may carry actions), anything else refuses. */
    WEBHOOK("webhook");

    private final String configName;

    ConnectAuthMode(String configName) {
        this.configName = configName;
    }

    @JsonValue
    public String configName() {
        return configName;
    }

    @JsonCreator
    public static ConnectAuthMode fromConfig(String name) {
        return ConfigEnums.parse(values(), name, ConnectAuthMode::configName, "mode");
    }
}
