package io.gatewayd.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where this installation lives and where its files go: GATEWAYD_HOME (set by bin/gatewayctl),
 * the default config conf/gatewayd.yaml there (or GATEWAYD_CONF).
 */
record Installation(Path home, Map<String, String> env) {

    public static Installation current() {
        Map<String, String> env = System.getenv();
        String home = env.getOrDefault("GATEWAYD_HOME", System.getProperty("gatewayd.home", "."));
        return new Installation(Path.of(home).toAbsolutePath().normalize(), env);
    }

    /** --config if given, else $GATEWAYD_CONF, else conf/gatewayd.yaml of the installation. */
    public Path configFile(Path explicit) {
        if (explicit != null) {
            return explicit;
        }
        String fromEnv = env.get("GATEWAYD_CONF");
        if (fromEnv != null && !fromEnv.isBlank()) {
            return Path.of(fromEnv);
        }
        return home.resolve("conf").resolve("gatewayd.yaml");
    }

    public boolean hasDefaultConfig() {
        return Files.isRegularFile(home.resolve("conf").resolve("gatewayd.yaml"));
    }
}
