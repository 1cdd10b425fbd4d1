package io.gatewayd.cron;

import io.gatewayd.config.CronJobConfig;
import io.gatewayd.config.MessageTemplate;
import io.gatewayd.routing.Router;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * {@code http:} calls a backend with the JDK's asynchronous client (no thread waits for the
 * answer) and, with {@code push-response}, pushes a 2xx body to clients.
 */
final class HttpJobAction implements JobAction {
    /** The most of a response body that is read (and pushed); the rest is discarded. */
    static final int MAX_BODY = 1024 * 1024;

    private final HttpClient http;
    private final Router router;
    private final String method;
    private final MessageTemplate url;
    private final Map<String, MessageTemplate> headers = new LinkedHashMap<>();
    private final MessageTemplate body;
    private final Duration timeout;
    private final CronJobConfig.Target pushTo;

    HttpJobAction(HttpClient http, Router router, CronJobConfig.Http config) {
        this.http = http;
        this.router = router;
        this.method = config.method();
        this.url = CronJobConfig.templateOf(config.url());
        config.headers().forEach((k, v) -> headers.put(k, CronJobConfig.templateOf(v)));
        this.body = config.body() == null ? null : CronJobConfig.templateOf(config.body());
        this.timeout = config.timeout();
        this.pushTo = config.pushTarget();
    }

    @Override
    public CompletableFuture<Outcome> start(RunContext ctx) {
        Map<String, String> values = ctx.placeholders();
        HttpRequest request;
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.render(values))).timeout(timeout);
            headers.forEach((k, v) -> b.header(k, v.render(values)));
            b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body.render(values)));
            request = b.build();
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(Outcome.failed(null, "bad request: " + e.getMessage()));
        }
        LimitedBody collected = new LimitedBody();
        CompletableFuture<HttpResponse<Void>> f = http.sendAsync(request,
                HttpResponse.BodyHandlers.ofByteArrayConsumer(collected::accept));
        ctx.cancelled.thenRun(() -> f.cancel(true));
        return f.handle((r, err) -> {
            if (err != null) {
                Throwable t = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                if (t instanceof HttpTimeoutException) {
                    return CompletableFuture.completedFuture(new Outcome(JobResult.Status.TIMEOUT, null,
                            "no answer within " + timeout.toMillis() + " ms from " + request.uri()));
                }
                if (t instanceof CancellationException || ctx.isCancelled()) {
                    return CompletableFuture.completedFuture(new Outcome(JobResult.Status.CANCELLED, null, "cancelled"));
                }
                return CompletableFuture.completedFuture(Outcome.failed(null, request.uri() + ": " + t));
            }
            int status = r.statusCode();
            String text = collected.text();
            if (collected.truncated()) {
                String note = "...(response larger than " + MAX_BODY + " bytes" + (pushTo != null ? ", not pushed)" : ")");
                return CompletableFuture.completedFuture(new Outcome(status >= 200 && status <= 299 && pushTo == null
                        ? JobResult.Status.OK : JobResult.Status.FAILED, status, JobResult.head(text) + note));
            }
            if (status < 200 || status > 299) {
                return CompletableFuture.completedFuture(Outcome.failed(status, text));
            }
            if (pushTo == null || text.isEmpty()) {
                return CompletableFuture.completedFuture(Outcome.ok(status, text));
            }
            return Pushes.push(router, pushTo, text, status, n -> Outcome.ok(status, text));
        }).thenCompose(x -> x);
    }

    /** Collects up to {@link #MAX_BODY} bytes of a body and drops the rest. */
    static final class LimitedBody {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private boolean truncated;

        synchronized void accept(java.util.Optional<byte[]> chunk) {
            if (chunk.isEmpty()) {
                return;
            }
            byte[] b = chunk.get();
            int room = MAX_BODY - out.size();
            if (b.length > room) {
                truncated = true;
            }
            out.write(b, 0, Math.max(0, Math.min(room, b.length)));
        }

        synchronized String text() {
            return out.toString(StandardCharsets.UTF_8);
        }

        synchronized boolean truncated() {
            return truncated;
        }
    }
}
