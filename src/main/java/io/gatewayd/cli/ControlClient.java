package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.net.ssl.SSLException;
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
 *
 * <p>On an https:// control port the certificate is checked by {@link ControlTrust} (the
 * config's own certificate, --cacert, the JDK's CAs); a refusal or any other TLS failure is a
 * {@link TlsException} that says so, never "not running" or "does not answer".
 */
public final class ControlClient {
    static final int EXIT_NOT_RUNNING = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What the gateway serves on its operator's reserve over control.max-connections (ControlAdmission). */
    private static final java.util.Set<String> RESERVE_PATHS = java.util.Set.of("/health", "/api/status",
            "/api/admin/stop", "/api/admin/reload");
    private static final String SCHEME_HINT = " (in --control-url, or in control.listen of the config)";

    private final URI base;
    private final String token;
    private final Duration timeout;
    private final ControlTrust trust;
    private final HttpClient http;

    /** A client that trusts the JDK's default CAs only (with --cacert and the config, see {@link Target}). */
    public ControlClient(URI base, String token, Duration timeout) {
        this(base, token, timeout, null);
    }

    /** @param trust what an https:// control port may present; null for the JDK's default CAs */
    ControlClient(URI base, String token, Duration timeout, ControlTrust trust) {
        this.base = base;
        this.token = token;
        this.timeout = timeout;
        this.trust = trust != null || !"https".equalsIgnoreCase(base.getScheme()) ? trust : ControlTrust.of(null, null);
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3));
        if (this.trust != null) {
            b.sslContext(this.trust.sslContext());
        }
        this.http = b.build();
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

    /**
     * True if /health answers at all (any status).
     *
     * @throws TlsException when something answers but TLS fails (an untrusted certificate)
     */
    public boolean answers() {
        return health() > 0;
    }

    /**
     * True if /health answers 200 (the gateway is ready).
     *
     * @throws TlsException when something answers but TLS fails (an untrusted certificate)
     */
    public boolean healthy() {
        return health() == 200;
    }

    /** The status of GET /health, or 0 when nothing answers. */
    private int health() {
        try {
            HttpResponse<Void> r = http.send(HttpRequest.newBuilder(base.resolve("/health"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() == 400 && "http".equalsIgnoreCase(base.getScheme()) && SchemeProbe.speaksTls(base)) {
                throw plainAtTlsPort(); // /health never answers 400: that is the TLS port's note
            }
            return r.statusCode();
        } catch (IOException e) {
            TlsException tls = tlsFailure(e);
            if (tls != null) {
                throw tls;
            }
            tls = tlsPortFailure(e);
            if (tls != null) {
                throw tls;
            }
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** {@code e} as a TLS failure with a message that says what to do, or null if it is not one. */
    private TlsException tlsFailure(IOException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof ControlTrust.UntrustedCertificateException u && trust != null) {
                return new TlsException(trust.refusal(base, u));
            }
        }
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SSLException ssl) {
                String m = String.valueOf(ssl.getMessage());
                if (m.contains("nrecognized SSL message") && SchemeProbe.speaksPlainHttp(base)) {
                    return new TlsException("the control port at " + base + " speaks plain HTTP, not TLS: use "
                            + SchemeProbe.withScheme(base, "http") + SCHEME_HINT);
                }
                return new TlsException("TLS with the control port at " + base + " failed: " + m);
            }
        }
        return null;
    }

    /**
     * An http:// exchange the other end cut short (it took the connection, then closed it
     * without an answer) because it expects TLS: said so, or null if it does not speak TLS.
     */
    private TlsException tlsPortFailure(IOException e) {
        if (!"http".equalsIgnoreCase(base.getScheme()) || e instanceof ConnectException
                || e instanceof HttpTimeoutException || !SchemeProbe.speaksTls(base)) {
            return null;
        }
        return plainAtTlsPort();
    }

    private TlsException plainAtTlsPort() {
        return new TlsException("the control port at " + base + " speaks TLS, not plain HTTP: use "
                + SchemeProbe.withScheme(base, "https") + SCHEME_HINT);
    }

    private JsonNode send(HttpRequest.Builder req) {
        if (token != null && !token.isEmpty()) {
            req.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r;
        try {
            r = sendPastFullReserve(req.timeout(timeout).build());
        } catch (ConnectException e) {
            TlsException tls = tlsFailure(e);
            if (tls != null) {
                throw tls;
            }
            throw new NotRunningException("gatewayd is not running (nothing answers on " + base + ")");
        } catch (HttpTimeoutException e) {
            TlsException tls = tlsFailure(e);
            if (tls != null) {
                throw tls;
            }
            throw new NotAnsweringException("gatewayd on " + base + " did not answer within " + timeout.toSeconds()
                    + " s; it may be hung or overloaded (gatewayctl status shows it; gatewayctl stop --force ends it)");
        } catch (IOException e) {
            TlsException tls = tlsFailure(e);
            if (tls == null) {
                tls = tlsPortFailure(e);
            }
            if (tls != null) {
                throw tls;
            }
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
            if ("tls_required".equals(err.path("code").asText())) {
                throw plainAtTlsPort();
            }
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

    /**
     * Sends, and for a request the operator's reserve serves again while the control port is over
     * control.max-connections with that reserve in use too (503 too_many_connections): the reserve
     * lets a connection that has not sent its request go within a second, so a retry after its
     * Retry-After gets through (any other request is refused on the reserve too). Still refused
     * when the timeout is spent, the gateway counts as not answering: stop and reload fall back to
     * their signals, as they did when such a connection was closed unanswered.
     */
    private HttpResponse<String> sendPastFullReserve(HttpRequest req) throws IOException, InterruptedException {
        long giveUp = System.nanoTime() + timeout.toNanos();
        for (;;) {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 503 || !RESERVE_PATHS.contains(req.uri().getPath())
                    || !r.body().contains("\"too_many_connections\"")) {
                return r;
            }
            long pause = r.headers().firstValueAsLong("Retry-After").orElse(1) * 1_000_000_000L;
            if (System.nanoTime() + pause >= giveUp) {
                throw new NotAnsweringException("gatewayd on " + base + " refused every control connection for "
                        + timeout.toSeconds() + " s (too_many_connections): " + errorMessage(r.body()));
            }
            Thread.sleep(pause / 1_000_000L);
        }
    }

    private static String errorMessage(String body) {
        try {
            return JSON.readTree(body).path("error").path("message").asText(abbreviate(body));
        } catch (IOException e) {
            return abbreviate(body);
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    /**
     * Something answers on the control port, but TLS failed (most often: a certificate
     * gatewayctl does not trust). Exit 3 as for an unreachable gateway, but with its own message,
     * and never a reason to fall back to signals: the gateway may well be fine.
     */
    public static final class TlsException extends RuntimeException {
        public TlsException(String message) {
            super(message, null, false, false);
        }
    }

    /** Nothing answers on the control port: exit 3. */
    public static class NotRunningException extends RuntimeException {
        public NotRunningException(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The control port took the connection but no answer came in time: the process is alive but
     * hung or overloaded. Commands that can act without the port (status: exit 4; stop: signals)
     * treat it as not answering; for the others it is a failure (exit 1), not "not running".
     */
    public static final class NotAnsweringException extends NotRunningException {
        public NotAnsweringException(String message) {
            super(message);
        }
    }
}
