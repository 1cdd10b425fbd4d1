package io.gatewayd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.Gateway;
import io.gatewayd.config.ConfigLoader;
import io.gatewayd.config.GatewayConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * A real gateway on ephemeral loopback ports, built from YAML, plus helpers to call its control
 * API. One line in a test: {@code try (TestGateway gw = TestGateway.start()) { ... }}.
 */
public final class TestGateway implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final Gateway gateway;
    private String token;

    private TestGateway(Gateway gateway) {
        this.gateway = gateway;
    }

    /** Defaults on ephemeral loopback ports. */
    public static TestGateway start() {
        return new TestGateway(Gateway.start(GatewayConfig.ephemeral()));
    }

    /**
     * A gateway from YAML. Unless the YAML sets them, listeners default to one WebSocket listener
     * on 127.0.0.1:0 and the control port to 127.0.0.1:0.
     */
    public static TestGateway start(String yaml) {
        return new TestGateway(Gateway.start(config(yaml)));
    }

    public static TestGateway start(Gateway.Builder builder) {
        return new TestGateway(builder.start());
    }

    public static GatewayConfig config(String yaml) {
        String full = yaml;
        if (!yaml.contains("listeners:")) {
            full += "\nlisteners:\n  - url: websocket://127.0.0.1:0\n";
        }
        if (!yaml.matches("(?s).*(^|\\n)control:.*")) {
            full += "\ncontrol:\n  listen: http://127.0.0.1:0\n";
        }
        return new ConfigLoader(Map.of()).parse(full, "test.yaml");
    }

    public TestGateway withToken(String token) {
        this.token = token;
        return this;
    }

    public Gateway gateway() {
        return gateway;
    }

    public URI wsUri() {
        return URI.create("ws://127.0.0.1:" + gateway.port("websocket") + "/");
    }

    public URI wsUri(String pathAndQuery) {
        return URI.create("ws://127.0.0.1:" + gateway.port("websocket") + pathAndQuery);
    }

    public WsClient client() {
        return WsClient.connectAndInit(wsUri());
    }

    public URI controlUri(String path) {
        return URI.create("http://127.0.0.1:" + gateway.controlPort() + path);
    }

    /** POSTs JSON to /api/{method}; returns the whole response. */
    public Response post(String method, Object params) {
        try {
            String body = params instanceof String s ? s : JSON.writeValueAsString(params);
            return send(HttpRequest.newBuilder(controlUri("/api/" + method))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    public Response get(String pathAndQuery) {
        return send(HttpRequest.newBuilder(controlUri(pathAndQuery)).GET());
    }

    public Response send(HttpRequest.Builder req) {
        if (token != null) {
            req.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> r = HTTP.send(req.timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Calls a method and returns its "result", failing the test on an error status. */
    public JsonNode call(String method, Object params) {
        Response r = post(method, params);
        if (r.status() != 200) {
            throw new AssertionError(method + " failed: " + r.status() + " " + r.body());
        }
        return r.json().get("result");
    }

    public record Response(int status, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (Exception e) {
                throw new AssertionError("response is not JSON: " + body, e);
            }
        }

        public String errorCode() {
            return json().path("error").path("code").asText(null);
        }

        public String errorMessage() {
            return json().path("error").path("message").asText(null);
        }
    }

    @Override
    public void close() {
        gateway.stop(Duration.ofSeconds(5));
    }
}
