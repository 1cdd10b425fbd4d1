package io.gatewayd.config;

/**
 * A configuration problem a user must fix. The message is meant for humans: it names the file,
 * the key (and line when known) and the expected form, and is printed without a stack trace.
 * Config records built in code throw it too, naming the key of the record they refuse.
 */
public sealed class ConfigException extends RuntimeException permits ConfigProblem {
    private final String key;

    public ConfigException(String message) {
        this(null, message);
    }

    public ConfigException(String key, String message) {
        super(message);
        this.key = key;
    }

    /** @param stackTrace false for problems that are only ever reported by their message */
    ConfigException(String key, String message, boolean stackTrace) {
        super(message, null, false, stackTrace);
        this.key = key;
    }

    /**
     * This problem, found after loading (a file the config names cannot be read), with the config
     * file in front as the loader puts it, so that every config error names its file.
     */
    public ConfigException in(java.nio.file.Path file) {
        String name = file.toString();
        return getMessage() != null && getMessage().startsWith(name) ? this
                : new ConfigException(key, name + ": " + getMessage());
    }

    /** The dotted key path the problem is about, or null when it is about the file as a whole. */
    public String key() {
        return key;
    }
}
