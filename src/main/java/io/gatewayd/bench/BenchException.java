package io.gatewayd.bench;

/** A run that cannot start or go on, with a one-line reason; {@link #usage()} for bad settings. */
public final class BenchException extends RuntimeException {
    private final boolean usage;

    public BenchException(boolean usage, String message) {
        super(message, null, false, false);
        this.usage = usage;
    }

    /** True when the settings are at fault (exit 2), false when the gateway or the machine is (exit 1). */
    public boolean usage() {
        return usage;
    }
}
