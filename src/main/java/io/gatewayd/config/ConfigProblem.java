package io.gatewayd.config;

/**
 * Thrown by a config record's constructor for a value it refuses. Its key is relative to the
 * record ("url" of a listener): the loader turns it into a {@link ConfigException} that carries
 * the full key path, file name and line. Code that builds a config itself catches it as the
 * ConfigException it is, with a message that starts with that key.
 */
final class ConfigProblem extends ConfigException {
    final String key;
    /** The message without the key, which the loader puts after a key path of its own. */
    final String detail;

    ConfigProblem(String key, String message) {
        super(key, key + " " + message, false);
        this.key = key;
        this.detail = message;
    }

    static void require(boolean ok, String key, String message) {
        if (!ok) {
            throw new ConfigProblem(key, message);
        }
    }
}
