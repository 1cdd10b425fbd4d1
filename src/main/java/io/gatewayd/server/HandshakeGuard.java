package io.gatewayd.server;

import io.gatewayd.delivery.HalfClose;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;

/**
 * Inspects the WebSocket handshake request before Netty's protocol handler sees it: refuses
 * malformed handshakes, applies the per-address limits to the real client behind a trusted
 * proxy, and asks the {@link ConnectAuthenticator}. Only an accepted request goes on to the
 * upgrade; a refused one gets its HTTP status and nothing is allocated for it. While a slow
 * decision (connect webhook) runs, the socket is not read.
 */
final class HandshakeGuard extends ChannelInboundHandlerAdapter {
    private final ClientSessions sessions;
    private final ClientSecurity security;
    private final String listener;
    private boolean deciding;

    HandshakeGuard(ClientSessions sessions, ClientSecurity security, String listener) {
        this.sessions = sessions;
        this.security = security;
        this.listener = listener;
    }

    /** True while a slow decision (connect webhook) on a complete handshake request runs. */
    boolean deciding() {
        return deciding;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        Channel ch = ctx.channel();
        if (!(msg instanceof FullHttpRequest req) || deciding || HalfClose.closing(ch)) {
            // nothing may follow the handshake request before the answer, nor after a refusal
            ReferenceCountUtil.release(msg);
            return;
        }
        ConnectionGuard guard = security.guard();
        Rejection early = ch.hasAttr(ChannelAttrs.REJECTED) ? ch.attr(ChannelAttrs.REJECTED).get() : null;
        if (early != null) {
            req.release();
            HttpRejects.send(ch, early, null);
            return;
        }
        String bad = malformed(req);
        if (bad == null) {
            bad = normalize(req);
        }
        if (bad != null) {
            guard.count(Rejection.BAD_HANDSHAKE);
            int status = bad.startsWith("unsupported WebSocket version") ? 426
                    : req.decoderResult().cause() instanceof TooLongFrameException ? 431
                    : bad.startsWith("not a WebSocket") ? 426 : 400;
            req.release();
            HttpRejects.send(ch, status, Rejection.BAD_HANDSHAKE.message() + ": " + bad);
            return;
        }
        InetSocketAddress peer = (InetSocketAddress) ch.remoteAddress();
        InetSocketAddress remote = peer;
        if (guard.isTrustedProxy(peer.getAddress())) {
            InetAddress real = guard.forwardedClient(req.headers().get("X-Forwarded-For"));
            if (real != null) {
                remote = new InetSocketAddress(real, 0);
                ch.attr(ChannelAttrs.REMOTE).set(remote);
            }
            Rejection r = guard.addressOpened(remote.getAddress());
            if (r != null) {
                guard.count(r);
                req.release();
                HttpRejects.send(ch, r, null);
                return;
            }
            InetAddress counted = remote.getAddress();
            ch.closeFuture().addListener(f -> guard.addressReleased(counted));
        }
        String clientId = sessions.newClientId();
        ConnectAuthenticator.Request request = new ConnectAuthenticator.Request(clientId, remote, listener, req.uri(),
                req.headers(), ch.eventLoop(), ch::isActive);
        CompletableFuture<ConnectAuthenticator.Decision> decision = decide(request);
        if (decision.isDone()) {
            decided(ctx, req, clientId, decision);
            return;
        }
        deciding = true;
        ch.config().setAutoRead(false);
        decision.whenComplete((d, err) -> {
            if (ctx.executor().inEventLoop()) {
                decided(ctx, req, clientId, decision);
            } else {
                ctx.executor().execute(() -> decided(ctx, req, clientId, decision));
            }
        });
    }

    private CompletableFuture<ConnectAuthenticator.Decision> decide(ConnectAuthenticator.Request request) {
        try {
            return security.authenticator().decide(request);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void decided(ChannelHandlerContext ctx, FullHttpRequest req, String clientId,
                         CompletableFuture<ConnectAuthenticator.Decision> future) {
        deciding = false;
        Channel ch = ctx.channel();
        if (!ch.isActive()) {
            ReferenceCountUtil.release(req);
            return;
        }
        ch.config().setAutoRead(true);
        ConnectAuthenticator.Decision d;
        try {
            d = future.join();
        } catch (RuntimeException e) {
            ClientSessions.EVENTS.warn("connect decision for {} failed: {}", ch.remoteAddress(), e.toString());
            d = ConnectAuthenticator.Decision.reject(Rejection.BACKEND_UNAVAILABLE, null);
        }
        if (!d.accepted()) {
            security.guard().count(d.rejection());
            ClientSessions.EVENTS.debug("refused handshake from {}: {} {}", ch.remoteAddress(), d.rejection().message(),
                    d.detail() == null ? "" : d.detail());
            ReferenceCountUtil.release(req);
            HttpRejects.send(ch, d.rejection(), d.detail());
            return;
        }
        ch.attr(ChannelAttrs.CLIENT_ID).set(clientId);
        if (d.actions() != null && !d.actions().isEmpty()) {
            ch.attr(ChannelAttrs.ACTIONS).set(d.actions());
        }
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(req);
    }

    /**
     * Puts a valid handshake in the form Netty's handshaker expects, or says why it cannot: Netty
     * only upgrades a request whose target is a path, and reads Upgrade as a single value.
     */
    static String normalize(FullHttpRequest req) {
        String target = req.uri();
        if (!target.startsWith("/")) {
            // absolute-form (GET http://host/path), which HTTP/1.1 servers must accept: Netty
            // passed it by as not a WebSocket path, and the client waited for the 408
            URI uri;
            try {
                uri = new URI(target);
            } catch (URISyntaxException e) {
                uri = null;
            }
            if (uri == null || uri.getScheme() == null || uri.getRawAuthority() == null) {
                return "the request target must be a path such as / (got \"" + abbreviate(target) + "\")";
            }
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            req.setUri(uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery());
        }
        // "Upgrade: h2c, websocket" is a valid list, which Netty refused with a garbled message
        req.headers().set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
        return null;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /** Why this is not a WebSocket handshake we accept, or null if it is one. */
    static String malformed(FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            Throwable cause = req.decoderResult().cause();
            return "malformed HTTP request" + (cause instanceof TooLongFrameException ? " (request line or headers too long)" : "");
        }
        HttpHeaders h = req.headers();
        if (!HttpMethod.GET.equals(req.method())) {
            return "method must be GET";
        }
        if (req.protocolVersion().compareTo(HttpVersion.HTTP_1_1) < 0) {
            return "HTTP/1.1 or later is required, not " + req.protocolVersion(); // RFC 6455 §4.1
        }
        if (!h.containsValue(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)) {
            return "not a WebSocket upgrade (no Upgrade: websocket header)";
        }
        if (!h.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)) {
            return "Connection header must include Upgrade";
        }
        String version = h.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        if (!"13".equals(version == null ? null : version.trim())) {
            return "unsupported WebSocket version " + version + "; only 13 is supported";
        }
        String key = h.get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (key == null) {
            return "Sec-WebSocket-Key is missing";
        }
        try {
            if (Base64.getDecoder().decode(key.trim()).length != 16) {
                return "Sec-WebSocket-Key must be 16 bytes in base64";
            }
        } catch (IllegalArgumentException e) {
            return "Sec-WebSocket-Key is not base64";
        }
        if (req.content().isReadable()) {
            return "a handshake request has no body";
        }
        return Subprotocols.tokenWithoutGatewayd(h);
    }
}
