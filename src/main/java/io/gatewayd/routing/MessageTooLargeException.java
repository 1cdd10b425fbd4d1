package io.gatewayd.routing;

import io.gatewayd.config.ByteSize;

/**
 * A message no client could take: bigger than outbound.max-pending-bytes, a push would close
 * every recipient as a slow consumer, and closeClient's last message, written past that bound as
 * the client leaves, would be the one way round it. Refused before any recipient is looked at;
 * nothing was sent.
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
    private final boolean lastMessage;

    public MessageTooLargeException(long size, long maxBytes) {
        this(size, maxBytes, null, 0);
    }

    /** The refusal of {@code node}, whose limit is {@code maxBytes}; {@code deliveredElsewhere} connections got it. */
    public MessageTooLargeException(long size, long maxBytes, String node, long deliveredElsewhere) {
        this(size, maxBytes, node, deliveredElsewhere, false);
    }

    private MessageTooLargeException(long size, long maxBytes, String node, long deliveredElsewhere,
                                     boolean lastMessage) {
        super(describe("the message", size, maxBytes, node, deliveredElsewhere, lastMessage), null, false, false);
        this.size = size;
        this.maxBytes = maxBytes;
        this.node = node;
        this.deliveredElsewhere = deliveredElsewhere;
        this.lastMessage = lastMessage;
    }

    /**
     * The refusal of {@code m} when it is larger than {@code maxBytes} (the message released: it
     * goes nowhere), or null when it fits. The one comparison every path that takes a message
     * for clients makes: pushes, closeClient's last message, a connect answer's reply.
     */
    public static MessageTooLargeException check(io.gatewayd.delivery.OutboundMessage m, long maxBytes) {
        if (m.size() <= maxBytes) {
            return null;
        }
        m.release();
        return new MessageTooLargeException(m.size(), maxBytes);
    }

    /**
     * The same refusal of a client's last message (closeClient, a reply with close): one client,
     * which is leaving anyway, so not "every recipient would be closed as a slow consumer".
     */
    public MessageTooLargeException asLastMessage() {
        return lastMessage ? this : new MessageTooLargeException(size, maxBytes, node, deliveredElsewhere, true);
    }

    /** The refusal with its fix; {@code what} names the message as the caller knows it (a request field, say). */
    public String describe(String what) {
        return describe(what, size, maxBytes, node, deliveredElsewhere, lastMessage);
    }

    private static String describe(String what, long size, long maxBytes, String node, long deliveredElsewhere,
                                   boolean lastMessage) {
        if (node == null) {
            return what + " is " + size + " bytes, more than outbound.max-pending-bytes (" + limit(maxBytes)
                    + "), the most a client may have waiting" + (lastMessage
                    ? ", its last message included, so it was not sent"
                    : ": every recipient would be closed as a slow consumer, so nothing was sent")
                    + "; send messages of at most " + maxBytes + " bytes, or raise "
                    + "outbound.max-pending-bytes above the largest message you push";
        }
        return what + " is " + size + " bytes, more than outbound.max-pending-bytes of node " + node + " ("
                + limit(maxBytes) + "), which holds the client" + (lastMessage
                ? ": the most a client may have waiting, its last message included, so that node did not send it"
                : ": its recipients would be closed as slow consumers, so that node sent nothing")
                + (deliveredElsewhere > 0
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
