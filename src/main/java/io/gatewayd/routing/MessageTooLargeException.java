package io.gatewayd.routing;

import io.gatewayd.config.ByteSize;

/**
 * A push no client could take: bigger than outbound.max-pending-bytes, it would close every
 * recipient as a slow consumer. Refused before any recipient is looked at; nothing was sent.
 */
public final class MessageTooLargeException extends RuntimeException {
    private final long size;
    private final long maxBytes;

    public MessageTooLargeException(long size, long maxBytes) {
        super(describe("the message", size, maxBytes), null, false, false);
        this.size = size;
        this.maxBytes = maxBytes;
    }

    /** The refusal with its fix; {@code what} names the message as the caller knows it (a request field, say). */
    public String describe(String what) {
        return describe(what, size, maxBytes);
    }

    private static String describe(String what, long size, long maxBytes) {
        return what + " is " + size + " bytes, more than outbound.max-pending-bytes (" + limit(maxBytes)
                + "), the most a client may have waiting: every recipient would be closed as a slow consumer, "
                + "so nothing was sent; send messages of at most " + maxBytes + " bytes, or raise "
                + "outbound.max-pending-bytes above the largest message you push";
    }

    /** {@code 64KiB = 65536 bytes}, or {@code 1000 bytes} when there is no shorter unit. */
    private static String limit(long maxBytes) {
        String unit = ByteSize.ofBytes(maxBytes).toString();
        return unit.equals(Long.toString(maxBytes)) ? maxBytes + " bytes" : unit + " = " + maxBytes + " bytes";
    }

    public long size() {
        return size;
    }

    public long maxBytes() {
        return maxBytes;
    }
}
