package io.gatewayd.config;

/**
 * A configuration problem a user must fix. The message is meant for humans: it names the file,
 * the key (and line when known) and the expected form, and is printed without a stack trace.
 */
public final class ConfigException extends RuntimeException {
    private final String key;

    public ConfigException(String message) {
        this(null, message);
    }

    public ConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    /** The dotted key path the problem is about, or null when it is about the file as a whole. */
    public String key() {
        return key;
    }
}
