package io.gatewayd.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;

/** Mints connect tokens (for `gatewayctl token`, tests, and backends written in Java). */
public final class TokenMinter {
    private final JWSSigner signer;
    private final JWSAlgorithm algorithm;

    private TokenMinter(JWSSigner signer, JWSAlgorithm algorithm) {
        this.signer = signer;
        this.algorithm = algorithm;
    }

    /** HS256 with a shared secret (at least 32 bytes). */
    public static TokenMinter hs256(String secret) {
        try {
            return new TokenMinter(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)), JWSAlgorithm.HS256);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("the secret is too short for HS256: it needs at least 32 bytes");
        }
    }

    /** RS256 for an RSA key, ES256 for an EC P-256 key. */
    public static TokenMinter forPrivateKey(PrivateKey key) {
        try {
            if (key instanceof RSAPrivateKey rsa) {
                return new TokenMinter(new RSASSASigner(rsa), JWSAlgorithm.RS256);
            }
            if (key instanceof ECPrivateKey ec) {
                return new TokenMinter(new ECDSASigner(ec), JWSAlgorithm.ES256);
            }
        } catch (JOSEException e) {
            throw new IllegalArgumentException("unusable key: " + e.getMessage());
        }
        throw new IllegalArgumentException("expected an RSA or EC private key, got " + key.getAlgorithm());
    }

    /**
     * @param uid     the sub claim (null for none)
     * @param groups  the groups claim (empty for none)
     * @param session the session claim (null for none)
     * @param ttl     exp = now + ttl
     */
    public String mint(String uid, List<String> groups, Map<String, Object> session, Duration ttl, String issuer,
                       String audience) {
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(ttl)));
        if (uid != null) {
            claims.subject(uid);
        }
        if (groups != null && !groups.isEmpty()) {
            claims.claim("groups", groups);
        }
        if (session != null) {
            claims.claim("session", session);
        }
        if (issuer != null) {
            claims.issuer(issuer);
        }
        if (audience != null) {
            claims.audience(audience);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).type(JOSEObjectType.JWT).build(), claims.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("signing failed: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }
}
