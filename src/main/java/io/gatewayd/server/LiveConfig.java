package io.gatewayd.server;

import io.gatewayd.config.GatewayConfig;
import io.gatewayd.config.MessageTemplate;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The config in force, swapped atomically on reload. Readers take one snapshot per decision, so
 * they never see half of an old config and half of a new one.
 */
public final class LiveConfig {
    private final AtomicReference<Snapshot> current;

    public LiveConfig(GatewayConfig initial) {
        current = new AtomicReference<>(Snapshot.of(initial));
    }

    public Snapshot get() {
        return current.get();
    }

    public GatewayConfig config() {
        return current.get().config();
    }

    public void set(GatewayConfig config) {
        current.set(Snapshot.of(config));
    }

    /** A config with what is derived from it, computed once per reload. */
    public record Snapshot(GatewayConfig config, MessageTemplate welcome) {
        static Snapshot of(GatewayConfig c) {
            return new Snapshot(c, c.welcome().enabled() ? c.welcome().template() : null);
        }
    }
}
