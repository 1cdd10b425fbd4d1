package io.gatewayd.auth;

import io.gatewayd.config.AuthConfig;
import io.gatewayd.config.ConnectAuthMode;
import io.gatewayd.config.LimitsConfig;
import io.gatewayd.server.ClientActions;
import io.gatewayd.server.ConnectAuthenticator;
import io.gatewayd.server.Rejection;
import io.gatewayd.server.Subprotocols;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The connect decision of auth.connect: the origin allow-list first, then none (accept), token
 * (verify a JWT; its claims bind the connection) or webhook (the backend's connect webhook
 * decides). Thread-safe; config changes arrive through {@link #prepare}.
 */
public final class ConnectAuth implements ConnectAuthenticator {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectAuth.class);

    private record State(AuthConfig config, TokenVerifier verifier) {
    }

    private final AtomicReference<State> state = new AtomicReference<>();
    private final Supplier<LimitsConfig> limits;
    private final Function<Request, CompletableFuture<Decision>> webhook;
    private final Clock clock;
    private final LongAdder tokensAccepted = new LongAdder();
    private final LongAdder tokensRefused = new LongAdder();

    /**
     * @param webhook asks the backend (auth.connect: webhook); completes with its decision
     * @throws io.gatewayd.config.ConfigException if the token key cannot be used
     */
    public ConnectAuth(AuthConfig config, Supplier<LimitsConfig> limits,
                       Function<Request, CompletableFuture<Decision>> webhook, Clock clock) {
        this.limits = limits;
        this.webhook = webhook;
        this.clock = clock;
        prepare(config).run();
    }

    /** Checks a new config (reads key files) and returns the step that switches to it. */
    public Runnable prepare(AuthConfig config) {
        TokenVerifier v = config.token().configured() ? TokenVerifier.create(config.token(), clock) : null;
        State next = new State(config, v);
        return () -> state.set(next);
    }

    @Override
    public boolean mayBeSlow() {
        return state.get().config().connect() == ConnectAuthMode.WEBHOOK;
    }

    @Override
    public CompletableFuture<Decision> decide(Request r) {
        State s = state.get();
        AuthConfig config = s.config();
        String origin = r.headers().get(HttpHeaderNames.ORIGIN);
        if (!originAllowed(config.allowedOrigins(), origin)) {
            return done(Decision.reject(Rejection.ORIGIN, origin));
        }
        return switch (config.connect()) {
            case NONE -> done(Decision.accept(ClientActions.NONE));
            case TOKEN -> done(token(s, r));
            case WEBHOOK -> askBackend(r);
        };
    }

    /**
     * The backend's decision, or 503 just before the handshake timeout: the webhook's own timeout
     * and retries can outlast it, and the client would then be told 408 (its fault) when the
     * backend is the one that did not answer.
     */
    private CompletableFuture<Decision> askBackend(Request r) {
        long budget = Math.max(1, limits.get().handshakeTimeout().toMillis() * 9 / 10);
        return webhook.apply(r).copy().completeOnTimeout(Decision.reject(Rejection.BACKEND_UNAVAILABLE,
                "the connect webhook did not answer within " + budget + " ms (nine tenths of limits.handshake-timeout)"),
                budget, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private Decision token(State s, Request r) {
        String token = token(r.uri(), r.headers());
        try {
            TokenVerifier.Claims claims = s.verifier().verify(token);
            int maxGroups = limits.get().maxGroupsPerConnection();
            if (maxGroups > 0 && claims.groups().size() > maxGroups) {
                tokensRefused.increment();
                return Decision.reject(Rejection.TOKEN, "the token lists " + claims.groups().size()
                        + " groups, more than limits.max-groups-per-connection (" + maxGroups + ")");
            }
            tokensAccepted.increment();
            return Decision.accept(new ClientActions(claims.uid(), claims.groups(), claims.session(), null, false));
        } catch (TokenVerifier.InvalidTokenException e) {
            tokensRefused.increment();
            LOG.debug("refused token from {}: {}", r.remote(), e.getMessage());
            return Decision.reject(Rejection.TOKEN, e.getMessage());
        }
    }

    /** The token from ?token=, a JWT-shaped Sec-WebSocket-Protocol entry, or Authorization: Bearer. */
    static String token(String uri, HttpHeaders headers) {
        List<String> q = new QueryStringDecoder(uri, StandardCharsets.UTF_8, true, 64).parameters().get("token");
        if (q != null && !q.isEmpty()) {
            return q.get(0);
        }
        String protocols = headers.get(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL);
        if (protocols != null) {
            for (String p : protocols.split(",")) {
                String t = p.trim();
                if (Subprotocols.isToken(t)) {
                    return t;
                }
            }
        }
        String auth = headers.get(HttpHeaderNames.AUTHORIZATION);
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.substring(7).trim();
        }
        return null;
    }

    /** Exact origins, or https://*.example.com for any subdomain; an absent Origin (non-browser) passes. */
    static boolean originAllowed(List<String> allowed, String origin) {
        if (allowed.isEmpty() || origin == null) {
            return true;
        }
        String o = origin.trim().toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(o)) {
                return true;
            }
            int star = a.indexOf("://*.");
            if (star > 0) {
                String scheme = a.substring(0, star + 3);
                String suffix = a.substring(star + 4); // ".example.com[:port]"
                if (o.startsWith(scheme) && o.endsWith(suffix)) {
                    String host = o.substring(scheme.length(), o.length() - suffix.length());
                    if (!host.isEmpty() && host.matches("[a-z0-9.-]+") && !host.endsWith(".")) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The "auth" section of /api/status. */
    public Map<String, Object> status() {
        Map<String, Object> o = new LinkedHashMap<>();
        AuthConfig c = state.get().config();
        o.put("connect", c.connect().configName());
        o.put("allowed_origins", c.allowedOrigins());
        o.put("tokens_accepted", tokensAccepted.sum());
        o.put("tokens_refused", tokensRefused.sum());
        return o;
    }

    private static CompletableFuture<Decision> done(Decision d) {
        return CompletableFuture.completedFuture(d);
    }
}
