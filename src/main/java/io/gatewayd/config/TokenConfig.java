package io.gatewayd.config;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * How connect tokens (JWTs) are verified.
 *
 * @param secret        HS256/HS384/HS512 shared secret (at least 32 bytes)
 * @param publicKeyFile PEM public key (or certificate) for RS256/ES256 tokens; instead of secret
 * @param issuer        if set, the token's "iss" must equal it
 * @param audience      if set, the token's "aud" must contain it
 * @param clockSkew     tolerance for exp/nbf
 * @param requireExpiry refuse tokens without "exp"
 */
public record TokenConfig(String secret, String publicKeyFile, String issuer, String audience, Duration clockSkew,
                          Boolean requireExpiry) {
    public static final int MIN_SECRET_BYTES = 32;

    public TokenConfig {
        if (secret != null && secret.isEmpty()) {
            secret = null;
        }
        if (publicKeyFile != null && publicKeyFile.isBlank()) {
            publicKeyFile = null;
        }
        issuer = issuer == null || issuer.isBlank() ? null : issuer;
        audience = audience == null || audience.isBlank() ? null : audience;
        ConfigProblem.require(secret == null || publicKeyFile == null, "secret",
                "and public-key-file are both set; use secret for HS256 tokens or public-key-file for RS256/ES256");
        ConfigProblem.require(secret == null || secret.getBytes(StandardCharsets.UTF_8).length >= MIN_SECRET_BYTES,
                "secret", "is shorter than " + MIN_SECRET_BYTES + " bytes, too short for HS256; generate one with "
                        + "`openssl rand -base64 48`");
        if (clockSkew == null) {
            clockSkew = Duration.ofSeconds(30);
        }
        ConfigProblem.require(!clockSkew.isNegative() && clockSkew.toMinutes() <= 10, "clock-skew",
                "must be between 0 and 10m, got " + Durations.format(clockSkew));
        if (requireExpiry == null) {
            requireExpiry = true;
        }
    }

    public static TokenConfig defaults() {
        return new TokenConfig(null, null, null, null, null, null);
    }

    public boolean configured() {
        return secret != null || publicKeyFile != null;
    }

    public TokenConfig withSecret(String s) {
        return new TokenConfig(s, null, issuer, audience, clockSkew, requireExpiry);
    }

    @Override
    public String toString() {
        return "TokenConfig[secret=" + (secret == null ? "none" : "***") + ", publicKeyFile=" + publicKeyFile
                + ", issuer=" + issuer + ", audience=" + audience + "]";
    }
}
