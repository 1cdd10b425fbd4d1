package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;

/**
 * The CLI's way to a running gateway: JSON over its control port. Answers come back as the
 * "result" value; API errors and an unreachable gateway become {@link CliException}s with
 * one-line messages (exit 3 for "not running", as LSB init scripts expect).
 */
public final class ControlClient {
    public static final int EXIT_NOT_RUNNING = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI base;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;

    public ControlClient(URI base, String token, Duration timeout) {
        this.base = base;
        this.token = token;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    }

    public URI base() {
        return base;
    }

    /** POSTs {@code params} to /api/{method} and returns the result. */
    public JsonNode call(String method, JsonNode params) {
        try {
            return send(HttpRequest.newBuilder(base.resolve("/api/" + method))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(params))));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** GETs a path such as /api/status and returns the result (or the whole body for /health). */
    public JsonNode get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    /** True if /health answers at all (any status). */
    public boolean answers() {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(base.resolve("/health"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
            return r.statusCode() > 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private JsonNode send(HttpRequest.Builder req) {
        if (token != null && !token.isEmpty()) {
            req.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r;
        try {
            r = http.send(req.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new NotRunningException("gatewayd is not running (nothing answers on " + base + ")");
        } catch (HttpTimeoutException e) {
            throw new CliException(GatewayCtl.EXIT_FAILURE, "gatewayd on " + base + " did not answer within "
                    + timeout.toSeconds() + " s");
        } catch (IOException e) {
            throw new NotRunningException("gatewayd is not reachable on " + base + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(GatewayCtl.EXIT_FAILURE, "interrupted");
        }
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (IOException e) {
            throw new CliException(GatewayCtl.EXIT_FAILURE, "unexpected answer from " + base + " (HTTP "
                    + r.statusCode() + "): " + abbreviate(r.body()));
        }
        if (body != null && body.has("error")) {
            JsonNode err = body.get("error");
            String hint = r.statusCode() == 401 ? " (pass --token, or set it in the config's control.tokens)" : "";
            // a config the gateway refuses (e.g. on reload) is a configuration error: exit 2
            int exit = "config_invalid".equals(err.path("code").asText()) ? GatewayCtl.EXIT_USAGE : GatewayCtl.EXIT_FAILURE;
            throw new CliException(exit, err.path("message").asText() + hint);
        }
        if (body != null && body.has("result")) {
            return body.get("result");
        }
        return body;
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /** Nothing answers on the control port: exit 3. */
    public static final class NotRunningException extends RuntimeException {
        public NotRunningException(String message) {
            super(message, null, false, false);
        }
    }
}
