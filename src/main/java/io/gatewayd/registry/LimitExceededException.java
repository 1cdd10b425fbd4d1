package io.gatewayd.registry;

/** A registry change refused by a configured limit (e.g. limits.max-groups-per-connection). */
public final class LimitExceededException extends RuntimeException {
    public LimitExceededException(String message) {
        super(message, null, false, false);
    }
}
