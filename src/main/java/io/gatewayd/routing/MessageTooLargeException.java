package io.gatewayd.routing;

import io.gatewayd.config.ByteSize;

/**
 * A push no client could take: bigger than outbound.max-pending-bytes, it would close every
 * recipient as a slow consumer. Refused before any recipient is looked at; nothing was sent.
 *
 * <p>In a cluster the node that owns a client may have a smaller limit than the node that took
 * the call: its refusal names it ({@link #node()}), and says how many connections elsewhere had
 * already got the message ({@link #deliveredElsewhere()}), since those deliveries cannot be undone.
 */
public final class MessageTooLargeException extends RuntimeException {
    private final long size;
    private final long maxBytes;
    private final String node;
    private final long deliveredElsewhere;

    public MessageTooLargeException(long size, long maxBytes) {
        this(size, maxBytes, null, 0);
    }

    /** The refusal of {@code node}, whose limit is {@code maxBytes}; {@code deliveredElsewhere} connections got it. */
    public MessageTooLargeException(long size, long maxBytes, String node, long deliveredElsewhere) {
        super(describe("the message", size, maxBytes, node, deliveredElsewhere), null, false, false);
        this.size = size;
        this.maxBytes = maxBytes;
        this.node = node;
        this.deliveredElsewhere = deliveredElsewhere;
    }

    /** The refusal with its fix; {@code what} names the message as the caller knows it (a request field, say). */
    public String describe(String what) {
        return describe(what, size, maxBytes, node, deliveredElsewhere);
    }

    private static String describe(String what, long size, long maxBytes, String node, long deliveredElsewhere) {
        if (node == null) {
            return what + " is " + size + " bytes, more than outbound.max-pending-bytes (" + limit(maxBytes)
                    + "), the most a client may have waiting: every recipient would be closed as a slow consumer, "
                    + "so nothing was sent; send messages of at most " + maxBytes + " bytes, or raise "
                    + "outbound.max-pending-bytes above the largest message you push";
        }
        return what + " is " + size + " bytes, more than outbound.max-pending-bytes of node " + node + " ("
                + limit(maxBytes) + "), which holds the client: its recipients would be closed as slow consumers, "
                + "so that node sent nothing" + (deliveredElsewhere > 0
                ? " (" + deliveredElsewhere + " connection(s) on other nodes got the message)" : "")
                + "; send messages of at most " + maxBytes + " bytes, or give every node the same "
                + "outbound.max-pending-bytes";
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

    /** The node whose limit refused the message, or null when it was the node that took the call. */
    public String node() {
        return node;
    }

    /** Connections on other nodes that got the message before {@link #node()} refused it. */
    public long deliveredElsewhere() {
        return deliveredElsewhere;
    }
}
