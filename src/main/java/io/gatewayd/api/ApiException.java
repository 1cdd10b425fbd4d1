package io.gatewayd.api;

/** A request the API refuses, with the HTTP status and a stable error code for scripts. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final java.util.Map<String, Object> details;

    public ApiException(int status, String code, String message) {
        this(status, code, message, java.util.Map.of());
    }

    /** @param details more fields of the error object, e.g. what was done locally before the failure */
    public ApiException(int status, String code, String message, java.util.Map<String, Object> details) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.details = details;
    }

    public java.util.Map<String, Object> details() {
        return details;
    }

    static ApiException badRequest(String code, String message) {
        return new ApiException(400, code, message);
    }

    public static ApiException missing(String field, String expected) {
        return new ApiException(400, "missing_param", "missing field \"" + field + "\" (" + expected + ")");
    }

    public static ApiException invalid(String field, String message) {
        return new ApiException(400, "invalid_param", "field \"" + field + "\" " + message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
