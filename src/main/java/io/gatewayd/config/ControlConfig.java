package io.gatewayd.config;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP control port that exposes the push API.
 *
 * @param listen      http://host:port; loopback by default
 * @param tokens      accepted API tokens (Authorization: Bearer or X-Api-Key); empty = no auth
 * @param tokenEnv    name of an environment variable whose value is one more accepted token
 * @param maxBodySize largest request body; larger ones get 413
 * @param maxRequestsPerSecond requests per second per remote address (bursts of that many); over it: 429.
 *                    0 = no limit
 * @param requestTimeout a request must arrive completely within this time of its first byte (or of
 *                    the connection, for the first request); otherwise 408 and the connection closes
 * @param maxConnections open control connections at most (0 = no limit); over it, 503. The default,
 *                    256, is a few backend pools with a keep-alive connection per worker (PHP-FPM's
 *                    pm.max_children is typically 5-100) with room to spare, while the descriptors
 *                    it reserves still leave a 1024 open-file limit most of its room for clients
 * @param dedupWindow how long a push's msg_id is remembered, so that a backend's retry of a push is
 *                    not delivered twice (by a single node as by each cluster node)
 * @param dedupMaxEntries bound on remembered msg_ids (oldest forgotten first); 0 turns the dedup off
 */
public record ControlConfig(String listen, List<String> tokens, String tokenEnv, ByteSize maxBodySize,
                            Integer maxRequestsPerSecond, java.time.Duration requestTimeout,
                            Integer maxConnections, java.time.Duration dedupWindow, Integer dedupMaxEntries) {
    public static final int DEFAULT_MAX_CONNECTIONS = 256;
    public static final String DEFAULT_LISTEN = "http://127.0.0.1:8283";
    public static final String DEFAULT_TOKEN_ENV = "GATEWAYD_CONTROL_TOKEN";

    public ControlConfig {
        if (listen == null || listen.isBlank()) {
            listen = DEFAULT_LISTEN;
        }
        parse(listen);
        tokens = tokens == null ? List.of() : List.copyOf(tokens);
        for (int i = 0; i < tokens.size(); i++) {
            ConfigProblem.require(tokens.get(i) != null && !tokens.get(i).isBlank(), "tokens[" + i + "]",
                    "is empty; remove it or set a token (an unset ${VAR} is empty too)");
        }
        if (tokenEnv == null) {
            tokenEnv = DEFAULT_TOKEN_ENV;
        }
        if (maxBodySize == null) {
            maxBodySize = ByteSize.ofMiB(1);
        }
        ConfigProblem.require(maxBodySize.bytes() >= 1024 && maxBodySize.bytes() <= 1024L * 1024 * 1024,
                "max-body-size", "must be between 1KiB and 1GiB, got " + maxBodySize);
        if (maxRequestsPerSecond == null) {
            maxRequestsPerSecond = 0;
        }
        ConfigProblem.require(maxRequestsPerSecond >= 0, "max-requests-per-second",
                "must be 0 (no limit) or a positive number, got " + maxRequestsPerSecond);
        if (requestTimeout == null) {
            requestTimeout = java.time.Duration.ofSeconds(30);
        }
        ConfigProblem.require(requestTimeout.toMillis() >= 100 && requestTimeout.toMinutes() <= 60, "request-timeout",
                "must be between 100ms and 60m, got " + Durations.format(requestTimeout));
        if (maxConnections == null) {
            maxConnections = DEFAULT_MAX_CONNECTIONS;
        }
        ConfigProblem.require(maxConnections >= 0 && maxConnections <= 100_000, "max-connections",
                "must be 0 (no limit) or between 1 and 100000, got " + maxConnections
                        + " (each control connection is a file descriptor taken from the clients' room)");
        if (dedupWindow == null) {
            dedupWindow = java.time.Duration.ofMinutes(5);
        }
        ConfigProblem.require(!dedupWindow.isNegative(), "dedup-window", "must not be negative");
        if (dedupMaxEntries == null) {
            dedupMaxEntries = 100_000;
        }
        ConfigProblem.require(dedupMaxEntries >= 0 && dedupMaxEntries <= 10_000_000, "dedup-max-entries",
                "must be between 0 (off) and 10000000, got " + dedupMaxEntries);
    }

    public static ControlConfig defaults() {
        return new ControlConfig(null, null, null, null, null, null, null, null, null);
    }

    public String host() {
        return parse(listen).getHost().replaceAll("^\\[|\\]$", "");
    }

    public int port() {
        return parse(listen).getPort();
    }

    public ControlConfig withPort(int port) {
        String host = host();
        return new ControlConfig(scheme() + "://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port,
                tokens, tokenEnv, maxBodySize, maxRequestsPerSecond, requestTimeout, maxConnections, dedupWindow,
                dedupMaxEntries);
    }

    public ControlConfig withTokens(List<String> newTokens) {
        return new ControlConfig(listen, newTokens, tokenEnv, maxBodySize, maxRequestsPerSecond, requestTimeout,
                maxConnections, dedupWindow, dedupMaxEntries);
    }

    /** True for an https:// control port (it uses the certificate of the tls section). */
    public boolean tls() {
        return "https".equalsIgnoreCase(parse(listen).getScheme());
    }

    /** "http" or "https". */
    public String scheme() {
        return tls() ? "https" : "http";
    }

    /** The configured tokens plus the one from {@link #tokenEnv()} if that variable is set. */
    public ControlConfig withEnvironmentToken(java.util.Map<String, String> env) {
        String fromEnv = tokenEnv.isEmpty() ? null : env.get(tokenEnv);
        if (fromEnv == null || fromEnv.isBlank() || tokens.contains(fromEnv)) {
            return this;
        }
        List<String> all = new ArrayList<>(tokens);
        all.add(fromEnv);
        return withTokens(all);
    }

    public boolean bindsLoopback() {
        try {
            return InetAddress.getByName(host()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * Refuses a control port reachable from other hosts with no token: anyone could push or kick.
     *
     * @throws ConfigException naming control.listen and the fix
     */
    public void requireTokenUnlessLoopback() {
        if (!bindsLoopback() && tokens.isEmpty()) {
            throw new ConfigException("control.listen", "control.listen binds " + host() + ", which other hosts can reach, but no token is "
                    + "configured. Set control.tokens (or the " + (tokenEnv.isEmpty() ? DEFAULT_TOKEN_ENV : tokenEnv)
                    + " environment variable), or bind 127.0.0.1");
        }
    }

    private static URI parse(String listen) {
        String expected = "expected http://host:port (or https://) such as " + DEFAULT_LISTEN;
        try {
            URI uri = new URI(listen.trim());
            ConfigProblem.require("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()),
                    "listen", "\"" + listen + "\" must start with http:// or https://; " + expected);
            ConfigProblem.require(uri.getHost() != null && uri.getPort() >= 0 && uri.getPort() <= 65535, "listen",
                    "\"" + listen + "\" needs a host and a port; " + expected);
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigProblem("listen", "\"" + listen + "\" is not a URL; " + expected);
        }
    }
}
