package io.gatewayd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.gatewayd.webhook.WebhookSignature;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A backend for webhook tests: a real HTTP server on a loopback ephemeral port that checks every
 * request's signature the way the README tells backends to, records it, and answers with what
 * the test's handler returns (which may block on a gate to hold a request).
 */
public final class WebhookReceiver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One received request. */
    public record Call(String event, String delivery, JsonNode body, boolean signatureValid, long receivedAtNanos) {
        public String clientId() {
            return body.path("client_id").asText(null);
        }
    }

    /** What to answer. */
    public record Reply(int status, String body) {
        public static Reply ok() {
            return new Reply(200, "");
        }

        public static Reply json(String body) {
            return new Reply(200, body);
        }
    }

    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "webhook-receiver");
        t.setDaemon(true);
        return t;
    });
    private final String secret;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final List<Call> attempts = new CopyOnWriteArrayList<>();
    private volatile Function<Call, Reply> handler = c -> Reply.ok();

    public WebhookReceiver(String secret) throws IOException {
        this.secret = secret;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(pool);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    /**
     * The config's {@code webhooks:} section pointing at this receiver, with {@code settings}
     * (lines indented by two spaces) after the url and secret.
     */
    public String webhooksYaml(String settings) {
        return "webhooks:\n  url: " + url() + "\n  secret: " + secret + "\n" + settings;
    }

    /** Webhook settings for tests: a generous timeout, and retries a test need not wait for. */
    public static final String QUICK_RETRIES = "  timeout: 10s\n  retry-backoff: 10ms\n  max-retry-backoff: 50ms\n";

    /** {@link #webhooksYaml(String)} with {@link #QUICK_RETRIES}. */
    public String webhooksYaml() {
        return webhooksYaml(QUICK_RETRIES);
    }

    public WebhookReceiver answer(Function<Call, Reply> h) {
        this.handler = h;
        return this;
    }

    /** Requests answered 2xx, in arrival order. */
    public List<Call> calls() {
        return calls;
    }

    /** Every request, including those answered with an error. */
    public List<Call> attempts() {
        return attempts;
    }

    public List<Call> calls(String event) {
        return calls.stream().filter(c -> c.event().equals(event)).toList();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            byte[] body = ex.getRequestBody().readAllBytes();
            boolean valid = WebhookSignature.verify(secret, ex.getRequestHeaders().getFirst(WebhookSignature.TIMESTAMP_HEADER),
                    ex.getRequestHeaders().getFirst(WebhookSignature.SIGNATURE_HEADER), body,
                    System.currentTimeMillis() / 1000, 300);
            JsonNode json = JSON.readTree(body);
            Call call = new Call(ex.getRequestHeaders().getFirst(WebhookSignature.EVENT_HEADER),
                    ex.getRequestHeaders().getFirst(WebhookSignature.DELIVERY_HEADER), json, valid, System.nanoTime());
            attempts.add(call);
            Reply r;
            try {
                r = handler.apply(call);
            } catch (RuntimeException e) {
                r = new Reply(500, e.toString());
            }
            if (r.status() >= 200 && r.status() < 300) {
                calls.add(call);
            }
            byte[] out = r.body().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(r.status(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
                ex.getResponseBody().write(out);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
