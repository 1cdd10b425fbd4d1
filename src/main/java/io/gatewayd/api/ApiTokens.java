package io.gatewayd.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * The accepted control tokens, compared in constant time: both sides are hashed first, so neither
 * the content nor the length of a token leaks through response timing.
 */
final class ApiTokens {
    private final List<byte[]> digests;

    ApiTokens(List<String> tokens) {
        this.digests = tokens.stream().map(ApiTokens::sha256).toList();
    }

    boolean required() {
        return !digests.isEmpty();
    }

    boolean accepts(String presented) {
        if (presented == null) {
            return false;
        }
        byte[] d = sha256(presented);
        boolean ok = false;
        for (byte[] known : digests) {
            ok |= MessageDigest.isEqual(known, d); // no early exit
        }
        return ok;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
