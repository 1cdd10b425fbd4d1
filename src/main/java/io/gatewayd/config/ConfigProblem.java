package io.gatewayd.config;

/**
 * Thrown by a config record's constructor for a value it refuses. The loader turns it into a
 * {@link ConfigException} that carries the full key path, file name and line.
 */
final class ConfigProblem extends RuntimeException {
    final String key;

    ConfigProblem(String key, String message) {
        super(message, null, false, false);
        this.key = key;
    }

    static void require(boolean ok, String key, String message) {
        if (!ok) {
            throw new ConfigProblem(key, message);
        }
    }
}
