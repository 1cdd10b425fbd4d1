package io.gatewayd.registry;

import java.net.Inet4Address;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Locale;

/**
 * GatewayWorker's 20-hex client_id layout: 8 hex of the node's IPv4 address, 4 hex of the node's
 * port, 8 hex of a connection id. PHP GatewayClient insists on exactly 20 characters, so the
 * layout stays; unlike GatewayWorker the connection part is random, not a counter, so live ids
 * cannot be enumerated. The node prefix is what lets a cluster route an id to its owner.
 */
public final class ClientIds {
    public static final int LENGTH = 20;

    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(SecureRandom::new);
    private static final HexFormat HEX = HexFormat.of();

    private final String nodePrefix;

    public ClientIds(Inet4Address lanIp, int nodePort) {
        this.nodePrefix = nodePrefix(lanIp, nodePort);
    }

    public static String nodePrefix(Inet4Address lanIp, int nodePort) {
        if (nodePort < 0 || nodePort > 0xffff) {
            throw new IllegalArgumentException("port out of range: " + nodePort);
        }
        return HEX.formatHex(lanIp.getAddress()) + String.format(Locale.ROOT, "%04x", nodePort);
    }

    /** The 12-hex node part shared by every id this node hands out. */
    public String nodePrefix() {
        return nodePrefix;
    }

    /** A fresh candidate id; the registry retries on the (rare) clash with a live id. */
    public String next() {
        int r = RANDOM.get().nextInt();
        return nodePrefix + HEX.toHexDigits(r);
    }

    /** True for exactly 20 lowercase (or uppercase) hex characters. */
    public static boolean isWellFormed(String id) {
        if (id == null || id.length() != LENGTH) {
            return false;
        }
        for (int i = 0; i < LENGTH; i++) {
            if (Character.digit(id.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /** The node part (first 12 hex) of an id. */
    public static String nodeOf(String clientId) {
        return clientId.substring(0, 12);
    }
}
