package io.gatewayd.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * How webhook requests are signed: {@code X-Gatewayd-Timestamp: <unix seconds>} and
 * {@code X-Gatewayd-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>}.
 * A backend recomputes the HMAC over the raw body, compares in constant time, and refuses
 * timestamps more than a few minutes old (replays).
 */
public final class WebhookSignature {
    public static final String TIMESTAMP_HEADER = "X-Gatewayd-Timestamp";
    public static final String SIGNATURE_HEADER = "X-Gatewayd-Signature";
    public static final String EVENT_HEADER = "X-Gatewayd-Event";
    public static final String DELIVERY_HEADER = "X-Gatewayd-Delivery";

    private WebhookSignature() {
    }

    /** "sha256=" + lowercase hex of HMAC-SHA256(secret, timestamp + "." + body). */
    public static String sign(String secret, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update(Long.toString(timestampSeconds).getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) '.');
            mac.update(body);
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Checks a signature as a backend would (constant time; timestamp within {@code maxAgeSeconds}). */
    public static boolean verify(String secret, String timestampHeader, String signatureHeader, byte[] body,
                                 long nowSeconds, long maxAgeSeconds) {
        if (timestampHeader == null || signatureHeader == null) {
            return false;
        }
        long ts;
        try {
            ts = Long.parseLong(timestampHeader.trim());
        } catch (NumberFormatException e) {
            return false;
        }
        if (Math.abs(nowSeconds - ts) > maxAgeSeconds) {
            return false;
        }
        byte[] expected = sign(secret, ts, body).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(expected, signatureHeader.trim().getBytes(StandardCharsets.US_ASCII));
    }
}
