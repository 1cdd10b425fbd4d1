package io.gatewayd.config;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * HTTP calls from the gateway to the backend when clients connect, send or close. Every request
 * is signed with {@code secret} (see README "Connecting a backend").
 *
 * @param url             the URL for every event that has no URL of its own
 * @param urls            per-event URLs (connect, close, message)
 * @param events          which of connect and close are sent (message events follow
 *                        client-messages.policy: webhook)
 * @param secret          HMAC-SHA256 signing key, at least 16 bytes; required when any URL is set
 * @param timeout         per request, from sending to the complete response
 * @param retries         further attempts after a network error or a 5xx answer
 * @param retryBackoff    delay before the first retry; doubles per retry, with jitter
 * @param maxRetryBackoff upper bound of that delay
 * @param queueSize       events waiting to be sent; when full the oldest is dropped (and counted)
 * @param maxConcurrency  requests in flight at once, over all event loops
 * @param headers         request headers of the WebSocket handshake copied into connect events
 * @param maxResponseSize the largest response body read (its actions); larger ones count as failures
 * @param queueBytes      bodies waiting to be sent, in bytes; over it the oldest are dropped too
 */
public record WebhooksConfig(String url, WebhookUrls urls, List<WebhookEvent> events, String secret,
                             Duration timeout, Integer retries, Duration retryBackoff, Duration maxRetryBackoff,
                             Integer queueSize, Integer maxConcurrency, List<String> headers,
                             ByteSize maxResponseSize, ByteSize queueBytes) {
    public static final int MIN_SECRET_BYTES = 16;

    public WebhooksConfig {
        if (url != null && url.isBlank()) {
            url = null;
        }
        checkUrl(url, "url");
        if (urls == null) {
            urls = WebhookUrls.defaults();
        }
        events = events == null ? List.of(WebhookEvent.CONNECT, WebhookEvent.CLOSE) : List.copyOf(events);
        if (secret != null && secret.isEmpty()) {
            secret = null;
        }
        boolean any = url != null || urls.connect() != null || urls.close() != null || urls.message() != null;
        ConfigProblem.require(!any || secret != null, "secret",
                "is required: every webhook is signed so the backend can tell it comes from this gateway; "
                        + "set e.g. secret: ${GATEWAYD_WEBHOOK_SECRET} (generate one with `openssl rand -hex 32`)");
        ConfigProblem.require(secret == null || secret.getBytes(StandardCharsets.UTF_8).length >= MIN_SECRET_BYTES,
                "secret", "is shorter than " + MIN_SECRET_BYTES + " bytes; generate one with `openssl rand -hex 32`");
        if (timeout == null) {
            timeout = Duration.ofSeconds(5);
        }
        ConfigProblem.require(timeout.toMillis() >= 10 && timeout.toMinutes() <= 5, "timeout",
                "must be between 10ms and 5m, got " + Durations.format(timeout));
        if (retries == null) {
            retries = 3;
        }
        ConfigProblem.require(retries >= 0 && retries <= 20, "retries", "must be between 0 and 20, got " + retries);
        if (retryBackoff == null) {
            retryBackoff = Duration.ofMillis(200);
        }
        if (maxRetryBackoff == null) {
            maxRetryBackoff = Duration.ofSeconds(10);
        }
        ConfigProblem.require(retryBackoff.toMillis() >= 1, "retry-backoff", "must be at least 1ms");
        ConfigProblem.require(maxRetryBackoff.compareTo(retryBackoff) >= 0, "max-retry-backoff",
                "(" + Durations.format(maxRetryBackoff) + ") must not be less than retry-backoff ("
                        + Durations.format(retryBackoff) + ")");
        if (queueSize == null) {
            queueSize = 10_000;
        }
        ConfigProblem.require(queueSize >= 1 && queueSize <= 10_000_000, "queue-size",
                "must be between 1 and 10000000, got " + queueSize);
        if (maxConcurrency == null) {
            maxConcurrency = 32;
        }
        ConfigProblem.require(maxConcurrency >= 1 && maxConcurrency <= 10_000, "max-concurrency",
                "must be between 1 and 10000, got " + maxConcurrency);
        headers = headers == null ? List.of("user-agent", "origin", "cookie")
                : headers.stream().map(h -> h == null ? "" : h.trim().toLowerCase(Locale.ROOT)).toList();
        for (int i = 0; i < headers.size(); i++) {
            ConfigProblem.require(headers.get(i).matches("[a-z0-9!#$%&'*+.^_`|~-]+"), "headers[" + i + "]",
                    "\"" + headers.get(i) + "\" is not a header name");
        }
        if (maxResponseSize == null) {
            maxResponseSize = ByteSize.ofKiB(256);
        }
        ConfigProblem.require(maxResponseSize.bytes() >= 1024 && maxResponseSize.bytes() <= 64L * 1024 * 1024,
                "max-response-size", "must be between 1KiB and 64MiB, got " + maxResponseSize);
        if (queueBytes == null) {
            queueBytes = ByteSize.ofMiB(64);
        }
        ConfigProblem.require(queueBytes.bytes() >= 64 * 1024, "queue-bytes",
                "must be at least 64KiB, got " + queueBytes);
    }

    /** The longest a client whose input ended is kept open for the answers to its messages. */
    public static final Duration MAX_ANSWER_WAIT = Duration.ofSeconds(60);

    /**
     * How long a client that ended its side of the connection (FIN) is kept open while answers to
     * its message webhooks are outstanding: one event's whole budget, every attempt's
     * {@code timeout} plus the longest backoff before each retry (5 s × 4 + 0.2 + 0.4 + 0.8 s =
     * 21.4 s by default), at most {@link #MAX_ANSWER_WAIT}. An answer later than that could not
     * be told from a backend that never answers, and the socket is held meanwhile.
     */
    public Duration answerWait() {
        long max = MAX_ANSWER_WAIT.toMillis();
        long total = Math.min(max, timeout.toMillis() * (retries + 1));
        for (int n = 1; n <= retries && total < max; n++) {
            total = Math.min(max, total + backoffBeforeRetry(n));
        }
        return Duration.ofMillis(total);
    }

    /**
     * The delay before retry {@code n} (1 for the first), in milliseconds, before jitter:
     * retry-backoff · 2^(n-1), at most max-retry-backoff. The dispatcher waits a random 50–100 %
     * of it; {@link #answerWait()} counts all of it.
     */
    public long backoffBeforeRetry(int n) {
        long base = retryBackoff.toMillis();
        long cap = maxRetryBackoff.toMillis();
        int shift = Math.max(0, n - 1);
        return shift >= 62 || base > (cap >> shift) ? cap : base << shift;
    }

    public static WebhooksConfig defaults() {
        return new WebhooksConfig(null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** The URL an event goes to, or null when it is not sent at all. */
    public String urlFor(WebhookEvent e, ClientMessagePolicy policy) {
        boolean wanted = e == WebhookEvent.MESSAGE ? policy == ClientMessagePolicy.WEBHOOK : events.contains(e);
        if (!wanted) {
            return null;
        }
        String specific = urls.get(e);
        return specific != null ? specific : url;
    }

    /** The URL for an event whether or not it is listed in events (webhook auth needs connect). */
    public String urlOf(WebhookEvent e) {
        String specific = urls.get(e);
        return specific != null ? specific : url;
    }

    public Set<WebhookEvent> eventSet() {
        return events.isEmpty() ? EnumSet.noneOf(WebhookEvent.class) : EnumSet.copyOf(events);
    }

    static void checkUrl(String url, String key) {
        if (url == null) {
            return;
        }
        String expected = "expected http://host[:port]/path or https://...";
        try {
            URI u = new URI(url.trim());
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            ConfigProblem.require(scheme.equals("http") || scheme.equals("https"), key,
                    "\"" + url + "\" must start with http:// or https://; " + expected);
            ConfigProblem.require(u.getHost() != null, key, "\"" + url + "\" has no host; " + expected);
        } catch (java.net.URISyntaxException e) {
            throw new ConfigProblem(key, "\"" + url + "\" is not a URL; " + expected);
        }
    }

    @Override
    public String toString() {
        return "WebhooksConfig[url=" + url + ", urls=" + urls + ", events=" + events + ", secret="
                + (secret == null ? "none" : "***") + ", timeout=" + timeout + ", retries=" + retries + "]";
    }
}
