package io.gatewayd;

/** The gateway could not start; the message says why and how to fix it (printed without a stack trace). */
public final class GatewayStartException extends RuntimeException {
    public GatewayStartException(String message) {
        super(message);
    }

    public GatewayStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
