package io.gatewayd.config;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * One client listener, e.g. {@code websocket://0.0.0.0:8282}.
 *
 * @param url                  protocol://host:port (websocket|ws, text, frame)
 * @param maxFrameSize         largest WebSocket frame / message, text line or frame payload accepted
 * @param permessageDeflate    offer WebSocket permessage-deflate compression
 * @param reusePort            SO_REUSEPORT, so several processes can share the port (native transport only)
 * @param lengthIncludesHeader frame:// only: whether the length prefix counts its own 4 bytes (Workerman does)
 * @param tls                  TLS with the certificate of the tls section (implied by wss://)
 * @param maxMessageSize       WebSocket: largest message assembled from fragments (default: max-frame-size)
 * @param unauthenticated      text:// and frame:// only: accept this listener's clients although
 *                             auth.connect is token or webhook, which only WebSocket handshakes carry
 */
public record ListenerConfig(String url, ByteSize maxFrameSize, Boolean permessageDeflate, Boolean reusePort,
                             Boolean lengthIncludesHeader, Boolean tls, ByteSize maxMessageSize,
                             Boolean unauthenticated, Boolean welcome) {

    public static final ByteSize DEFAULT_MAX_FRAME = ByteSize.ofKiB(64);

    public ListenerConfig {
        ConfigProblem.require(url != null && !url.isBlank(), "url",
                "missing; expected protocol://host:port such as websocket://0.0.0.0:8282");
        address(url); // validates
        if (maxFrameSize == null) {
            maxFrameSize = DEFAULT_MAX_FRAME;
        }
        ConfigProblem.require(maxFrameSize.bytes() >= 16 && maxFrameSize.bytes() <= 64L * 1024 * 1024,
                "max-frame-size", "must be between 16 bytes and 64MiB, got " + maxFrameSize);
        if (permessageDeflate == null) {
            permessageDeflate = false;
        }
        if (reusePort == null) {
            reusePort = false;
        }
        if (lengthIncludesHeader == null) {
            lengthIncludesHeader = true;
        }
        boolean wss = url.trim().toLowerCase(java.util.Locale.ROOT).startsWith("wss:");
        ConfigProblem.require(!(wss && Boolean.FALSE.equals(tls)), "tls", "is false but the url is wss://; "
                + "use websocket:// for plain WebSocket");
        if (tls == null) {
            tls = wss;
        }
        if (maxMessageSize == null) {
            maxMessageSize = maxFrameSize;
        }
        if (unauthenticated == null) {
            unauthenticated = false;
        }
        if (welcome == null) {
            welcome = true;
        }
        ConfigProblem.require(!unauthenticated || address(url).protocol() != Protocol.WEBSOCKET, "unauthenticated",
                "applies to text:// and frame:// listeners only; WebSocket clients always go through auth.connect");
        ConfigProblem.require(maxMessageSize.bytes() >= maxFrameSize.bytes() && maxMessageSize.bytes() <= 256L * 1024 * 1024,
                "max-message-size", "must be between max-frame-size (" + maxFrameSize + ") and 256MiB, got "
                        + maxMessageSize);
    }

    public static ListenerConfig of(String url) {
        return new ListenerConfig(url, null, null, null, null, null, null, null, null);
    }

    public Protocol protocol() {
        return address(url).protocol();
    }

    /**
     * True when {@code other} listens on the same socket the same way (protocol, address, port,
     * TLS, reuse-port): the rest only shapes new connections' pipelines, so a reload can apply it
     * to this listener without binding again.
     */
    public boolean sameSocket(ListenerConfig other) {
        return sameAddress(other) && tls.equals(other.tls) && reusePort.equals(other.reusePort);
    }

    /** True when {@code other} names the same protocol, host and port. */
    public boolean sameAddress(ListenerConfig other) {
        return address(url).equals(address(other.url));
    }

    public String host() {
        return address(url).host();
    }

    public int port() {
        return address(url).port();
    }

    public ListenerConfig withPort(int port) {
        Address a = address(url);
        return new ListenerConfig(scheme(a) + "://" + hostForUrl(a.host()) + ":" + port,
                maxFrameSize, permessageDeflate, reusePort, lengthIncludesHeader, tls, maxMessageSize, unauthenticated,
                welcome);
    }

    /** The URL as it is actually bound (real port in place of 0). */
    public String urlWithPort(int boundPort) {
        Address a = address(url);
        return scheme(a) + "://" + hostForUrl(a.host()) + ":" + boundPort;
    }

    private String scheme(Address a) {
        return tls && a.protocol() == Protocol.WEBSOCKET ? "wss" : a.protocol().scheme();
    }

    private static String hostForUrl(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }

    record Address(Protocol protocol, String host, int port) {
    }

    static Address address(String url) {
        String expected = "expected protocol://host:port with protocol websocket (or wss), text or frame, "
                + "such as websocket://0.0.0.0:8282";
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            throw new ConfigProblem("url", "\"" + url + "\" is not a URL; " + expected);
        }
        if (uri.getScheme() == null) {
            throw new ConfigProblem("url", "\"" + url + "\" has no protocol; " + expected);
        }
        Protocol protocol = "wss".equalsIgnoreCase(uri.getScheme()) ? Protocol.WEBSOCKET : Protocol.ofScheme(uri.getScheme());
        if (protocol == null) {
            throw new ConfigProblem("url", "unknown protocol \"" + uri.getScheme() + "\" in \"" + url + "\"; " + expected);
        }
        if (uri.getHost() == null || uri.getPort() < 0) {
            throw new ConfigProblem("url", "\"" + url + "\" needs a host and a port; " + expected);
        }
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (uri.getPort() > 65535) {
            throw new ConfigProblem("url", "port " + uri.getPort() + " in \"" + url + "\" is out of range 0-65535");
        }
        return new Address(protocol, host, uri.getPort());
    }
}
