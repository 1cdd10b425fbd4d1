package io.gatewayd.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The welcome message is written to a client straight away, outside the pushes' size check: one
 * larger than outbound.max-pending-bytes would sit queued past that bound and get the client
 * closed as a slow consumer at its first push. Checked at load (and so at reload) against the
 * longest rendering the template can have, rather than when a client connects: the operator
 * learns it from the config check, not from clients being dropped, and the margin the estimate
 * leaves (a few dozen bytes at most) is small beside the 1KiB the bound is at least.
 */
final class WelcomeCheck {
    /** 20 hex characters, always. */
    static final int CLIENT_ID = 20;
    /** Unix seconds from a long of milliseconds: Long.MAX_VALUE / 1000 has 16 digits. */
    static final int TIMESTAMP = Long.toString(Long.MAX_VALUE / 1000).length();
    /** An IPv6 address in full (39) with a zone: '%' and an interface name (at most 15 on Linux). */
    static final int REMOTE_IP = 39 + 1 + 15;
    static final int REMOTE_PORT = 5;

    private WelcomeCheck() {
    }

    /** Called from GatewayConfig's constructor, before its fields are assigned: takes the values. */
    static void check(WelcomeConfig welcome, List<ListenerConfig> listeners, OutboundConfig outbound) {
        int listenerUrl = 0;
        for (ListenerConfig l : listeners) {
            if (l.welcome()) {
                // a port 0 listener shows the port it was given, of up to 5 digits
                listenerUrl = Math.max(listenerUrl, l.urlWithPort(l.port() == 0 ? 65535 : l.port()).length());
            }
        }
        if (!welcome.enabled() || listenerUrl == 0) {
            return; // no client gets one
        }
        MessageTemplate template = welcome.template();
        int longestListener = listenerUrl;
        long max = template.maxBytes(name -> longest(name, longestListener));
        long limit = outbound.maxPendingBytes().bytes();
        if (max <= limit) {
            return;
        }
        List<String> parts = new ArrayList<>();
        for (String name : template.placeholders()) {
            parts.add("${" + name + "} up to " + longest(name, longestListener));
        }
        long literal = template.maxBytes(name -> 0);
        throw new ConfigProblem("welcome.message", "can be " + max + " bytes once its placeholders are filled in ("
                + literal + " bytes of text" + (parts.isEmpty() ? "" : ", " + String.join(", ", parts))
                + "), more than outbound.max-pending-bytes (" + limit(outbound.maxPendingBytes())
                + "), the most a client may have waiting: it would be queued past that bound and the client "
                + "closed as a slow consumer at its first push. Shorten its text to at most "
                + (literal - (max - limit)) + " bytes, raise outbound.max-pending-bytes to at least " + max
                + " bytes, or turn the welcome off with welcome.enabled: false");
    }

    private static long longest(String placeholder, int listenerUrl) {
        return switch (placeholder) {
            case "client_id" -> CLIENT_ID;
            case "timestamp" -> TIMESTAMP;
            case "remote_ip" -> REMOTE_IP;
            case "remote_port" -> REMOTE_PORT;
            case "listener" -> listenerUrl;
            // WelcomeConfig accepts only the names above: a new one must say how long it can be
            default -> throw new IllegalStateException("no longest value for ${" + placeholder + "}");
        };
    }

    private static String limit(ByteSize size) {
        String unit = size.toString();
        return unit.equals(Long.toString(size.bytes())) ? size.bytes() + " bytes" : unit + " = " + size.bytes() + " bytes";
    }
}
