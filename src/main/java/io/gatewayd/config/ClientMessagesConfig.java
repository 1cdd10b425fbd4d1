package io.gatewayd.config;

/** @param policy what happens to a client's messages (echo-type, ignore or webhook) */
public record ClientMessagesConfig(ClientMessagePolicy policy) {
    public ClientMessagesConfig {
        if (policy == null) {
            policy = ClientMessagePolicy.ECHO_TYPE;
        }
    }

    public static ClientMessagesConfig defaults() {
        return new ClientMessagesConfig(null);
    }
}
