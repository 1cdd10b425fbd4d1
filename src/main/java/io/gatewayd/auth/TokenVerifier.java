package io.gatewayd.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.gatewayd.config.ConfigException;
import io.gatewayd.config.TokenConfig;
import io.gatewayd.registry.Keys;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Verifies connect tokens: JWS-signed JWTs with HS256/384/512 (shared secret), RS256/384/512 or
 * PS256/384/512 (RSA public key) or ES256/384/512 (EC public key). The accepted algorithms
 * follow from the configured key, never from the token, so "alg: none" and algorithm
 * confusion (an HMAC token "signed" with a public key) are refused. Thread-safe.
 */
public final class TokenVerifier {
    /** Longest token looked at; real ones are a few hundred bytes. */
    static final int MAX_TOKEN_LENGTH = 8192;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TokenConfig config;
    private final JWSVerifier verifier;
    private final Set<JWSAlgorithm> algorithms;
    private final Clock clock;

    /** Claims that bind a connection. */
    public record Claims(String uid, List<String> groups, ObjectNode session, Instant expires) {
    }

    /** A token that is refused, with the reason (for the log and the 401 body). */
    public static final class InvalidTokenException extends Exception {
        InvalidTokenException(String message) {
            super(message, null, false, false);
        }
    }

    private TokenVerifier(TokenConfig config, JWSVerifier verifier, Set<JWSAlgorithm> algorithms, Clock clock) {
        this.config = config;
        this.verifier = verifier;
        this.algorithms = algorithms;
        this.clock = clock;
    }

    /** Builds a verifier (reading the public key file); {@link ConfigException} if the key is unusable. */
    public static TokenVerifier create(TokenConfig config, Clock clock) {
        try {
            if (config.secret() != null) {
                return new TokenVerifier(config, new MACVerifier(config.secret().getBytes(StandardCharsets.UTF_8)),
                        Set.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512), clock);
            }
            if (config.publicKeyFile() == null) {
                throw new ConfigException("auth.token", "auth.token: set secret (HS256) or public-key-file (RS256/ES256)");
            }
            PublicKey key = Pem.publicKey(config.publicKeyFile(), "auth.token.public-key-file");
            if (key instanceof RSAPublicKey rsa) {
                return new TokenVerifier(config, new RSASSAVerifier(rsa), Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384,
                        JWSAlgorithm.RS512, JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512), clock);
            }
            if (key instanceof ECPublicKey ec) {
                ECDSAVerifier v = new ECDSAVerifier(ec);
                return new TokenVerifier(config, v, v.supportedJWSAlgorithms(), clock);
            }
            throw new ConfigException("auth.token.public-key-file", "auth.token.public-key-file: "
                    + config.publicKeyFile() + " holds a " + key.getAlgorithm() + " key; use an RSA or EC (P-256) key");
        } catch (JOSEException e) {
            throw new ConfigException("auth.token", "auth.token: unusable key: " + e.getMessage());
        }
    }

    public TokenConfig config() {
        return config;
    }

    public Claims verify(String token) throws InvalidTokenException {
        if (token == null || token.isEmpty()) {
            throw new InvalidTokenException("no token: pass ?token=<jwt>, Sec-WebSocket-Protocol: gatewayd, <jwt>, "
                    + "or Authorization: Bearer <jwt>");
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            throw new InvalidTokenException("token longer than " + MAX_TOKEN_LENGTH + " characters");
        }
        SignedJWT jwt;
        JWTClaimsSet claims;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException | RuntimeException e) {
            throw new InvalidTokenException("not a signed JWT");
        }
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (!algorithms.contains(alg)) {
            throw new InvalidTokenException("algorithm " + alg + " not accepted for the configured key");
        }
        try {
            if (!jwt.verify(verifier)) {
                throw new InvalidTokenException("bad signature");
            }
            claims = jwt.getJWTClaimsSet();
        } catch (JOSEException | ParseException | RuntimeException e) {
            throw new InvalidTokenException("bad signature or claims");
        }
        Instant now = clock.instant();
        long skew = config.clockSkew().toMillis();
        Date exp = claims.getExpirationTime();
        if (exp == null && config.requireExpiry()) {
            throw new InvalidTokenException("token has no exp claim");
        }
        if (exp != null && exp.getTime() + skew < now.toEpochMilli()) {
            throw new InvalidTokenException("token expired at " + exp.toInstant());
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && nbf.getTime() - skew > now.toEpochMilli()) {
            throw new InvalidTokenException("token not valid before " + nbf.toInstant());
        }
        if (config.issuer() != null && !config.issuer().equals(claims.getIssuer())) {
            throw new InvalidTokenException("wrong issuer");
        }
        if (config.audience() != null && (claims.getAudience() == null || !claims.getAudience().contains(config.audience()))) {
            throw new InvalidTokenException("wrong audience");
        }
        String uid = key(claims.getClaim("sub"), "sub");
        List<String> groups = new ArrayList<>();
        Object g = claims.getClaim("groups");
        if (g instanceof List<?> list) {
            for (Object item : list) {
                groups.add(key(item, "groups"));
            }
        } else if (g != null) {
            throw new InvalidTokenException("groups claim must be a list");
        }
        ObjectNode session = null;
        Object s = claims.getClaim("session");
        if (s instanceof Map<?, ?> map) {
            session = JSON.valueToTree(map);
        } else if (s != null) {
            throw new InvalidTokenException("session claim must be an object");
        }
        return new Claims(uid, List.copyOf(groups), session, exp == null ? null : exp.toInstant());
    }

    /** A uid or group key from a claim: a non-empty string or an integer; null stays null. */
    private static String key(Object v, String claim) throws InvalidTokenException {
        if (v == null) {
            return null;
        }
        String s;
        if (v instanceof String str) {
            try {
                s = Keys.text(str); // the control API's rule for keys
            } catch (Keys.InvalidKeyException e) {
                throw new InvalidTokenException(claim + " " + e.getMessage());
            }
        } else if (v instanceof Long || v instanceof Integer) {
            s = v.toString();
        } else {
            throw new InvalidTokenException(claim + " must hold strings or integers");
        }
        if (s.length() > 256) {
            throw new InvalidTokenException(claim + " values must be 1 to 256 characters");
        }
        return s;
    }
}
