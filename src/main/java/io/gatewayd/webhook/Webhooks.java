package io.gatewayd.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.config.ConnectAuthMode;
import io.gatewayd.config.GatewayConfig;
import io.gatewayd.config.WebhookEvent;
import io.gatewayd.config.WebhooksConfig;
import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.logging.LogLimiter;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;
import io.gatewayd.routing.Router;
import io.gatewayd.server.ClientActions;
import io.gatewayd.server.ClientEvents;
import io.gatewayd.server.ClientSecurity;
import io.gatewayd.server.ConnectAuthenticator;
import io.gatewayd.server.Rejection;
import io.gatewayd.server.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.QueryStringDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The gateway → backend side: turns connects, closes and (under client-messages.policy: webhook)
 * client messages into signed webhook calls, asks the connect webhook when auth.connect is
 * webhook, and applies the actions the backend answers with through the {@link Router}.
 */
public final class Webhooks implements ClientEvents, ClientSecurity.MessageForwarder {
    private static final Logger LOG = LoggerFactory.getLogger("gatewayd.webhooks");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Router router;
    private final Supplier<GatewayConfig> config;
    private final Supplier<String> nodeId;
    private final WebhookDispatcher dispatcher;
    private final LogLimiter actionLog = new LogLimiter(LOG, 10_000);

    /**
     * @param nodeId the node part of client ids, put in every event
     */
    public Webhooks(Transport transport, Router router, Supplier<GatewayConfig> config, Supplier<String> nodeId,
                    String version) {
        this.router = router;
        this.config = config;
        this.nodeId = nodeId;
        this.dispatcher = new WebhookDispatcher(transport.group(), new WebhookHttpClient(transport),
                () -> config.get().webhooks(), "gatewayd/" + version);
    }

    // ---- events from clients (on their event loops)

    @Override
    public void onConnect(Connection c, HandshakeInfo handshake) {
        GatewayConfig cfg = config.get();
        if (cfg.auth().connect() == ConnectAuthMode.WEBHOOK) {
            return; // the connect webhook already ran, as the handshake's decision
        }
        String url = cfg.webhooks().urlFor(WebhookEvent.CONNECT, cfg.clientMessages().policy());
        if (url == null) {
            return;
        }
        ObjectNode body = connectBody(cfg.webhooks(), c.clientId(), c.remote(), c.listener(),
                handshake == null ? null : handshake.uri(), handshake == null ? null : handshake::header, false);
        body.put("uid", c.uid());
        body.set("groups", JSON.valueToTree(c.groups()));
        String id = c.clientId();
        submit(c.channel().eventLoop(), WebhookEvent.CONNECT, id, url, body, () -> true)
                .thenAccept(res -> apply(id, res.body()));
    }

    @Override
    public void onClose(Connection c, Registry.Snapshot last, int closeCode, String reason) {
        GatewayConfig cfg = config.get();
        String url = cfg.webhooks().urlFor(WebhookEvent.CLOSE, cfg.clientMessages().policy());
        if (url == null) {
            return;
        }
        ObjectNode body = base(WebhookEvent.CLOSE, c.clientId());
        body.put("uid", last.uid());
        body.set("groups", JSON.valueToTree(last.groups()));
        // {} for a session never set, as getSession answers: the backend reads one shape
        body.set("session", last.session() != null ? last.session() : JSON.createObjectNode());
        body.put("code", closeCode);
        body.put("reason", reason == null ? "" : reason);
        body.put("duration_ms", System.currentTimeMillis() - c.connectedAtMillis());
        body.put("remote_ip", c.remote() == null ? null : c.remote().getAddress().getHostAddress());
        body.put("listener", c.listener());
        submit(c.channel().eventLoop(), WebhookEvent.CLOSE, c.clientId(), url, body, () -> true);
    }

    @Override
    public CompletableFuture<Void> forward(Connection c, ByteBuf content, boolean binary) {
        GatewayConfig cfg = config.get();
        String url = cfg.webhooks().urlFor(WebhookEvent.MESSAGE, cfg.clientMessages().policy());
        if (url == null) {
            return null;
        }
        ObjectNode body = base(WebhookEvent.MESSAGE, c.clientId());
        body.put("uid", c.uid());
        if (binary) {
            body.put("message_base64", Base64.getEncoder().encodeToString(ByteBufUtil.getBytes(content)));
        } else {
            body.put("message", content.toString(StandardCharsets.UTF_8));
        }
        String id = c.clientId();
        return submit(c.channel().eventLoop(), WebhookEvent.MESSAGE, id, url, body, () -> true)
                .thenCompose(res -> apply(id, res.body()));
    }

    // ---- auth.connect: webhook

    /** Asks the connect webhook about a handshake: 2xx accepts (with its actions), another status refuses. */
    public CompletableFuture<ConnectAuthenticator.Decision> decideConnect(ConnectAuthenticator.Request r) {
        WebhooksConfig wc = config.get().webhooks();
        String url = wc.urlOf(WebhookEvent.CONNECT);
        if (url == null) {
            return CompletableFuture.completedFuture(ConnectAuthenticator.Decision.reject(
                    Rejection.BACKEND_UNAVAILABLE, "no connect webhook URL configured"));
        }
        ObjectNode body = connectBody(wc, r.clientId(), r.remote(), r.listener(), r.uri(),
                r.headers() == null ? null : r.headers()::get, true);
        return submit(r.loop(), WebhookEvent.CONNECT, r.clientId(), url, body, r.active()).handle((res, err) -> {
            if (err == null) {
                List<String> problems = new ArrayList<>();
                ClientActions actions = WebhookActions.parse(res.body(), problems);
                report(r.clientId(), problems);
                return ConnectAuthenticator.Decision.accept(actions);
            }
            Throwable t = unwrap(err);
            if (t instanceof WebhookDispatcher.StatusException s && s.status < 500) {
                return ConnectAuthenticator.Decision.reject(Rejection.BACKEND, "HTTP " + s.status);
            }
            return ConnectAuthenticator.Decision.reject(Rejection.BACKEND_UNAVAILABLE, null);
        });
    }

    // ---- actions

    private CompletableFuture<Void> apply(String clientId, byte[] answer) {
        List<String> problems = new ArrayList<>();
        ClientActions a = WebhookActions.parse(answer, problems);
        report(clientId, problems);
        return a.isEmpty() ? CompletableFuture.completedFuture(null) : apply(clientId, a);
    }

    /**
     * Applies actions through the router, one after the other: bind, join, session, then reply
     * and close. One that fails (a group over its limit, a uid over max-connections-per-uid) is
     * logged and the rest still apply: a {@code close: true} (a logout, a ban) must not be
     * skipped because a join before it was refused.
     */
    public CompletableFuture<Void> apply(String clientId, ClientActions a) {
        List<String> failed = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        if (a.bindUid() != null) {
            chain = then(chain, "bind_uid", failed, () -> router.bindUid(clientId, a.bindUid()));
        }
        for (String g : a.joinGroups()) {
            chain = then(chain, "join_groups " + g, failed, () -> router.joinGroup(clientId, g));
        }
        if (a.session() != null) {
            chain = then(chain, "session", failed, () -> router.updateSession(clientId, a.session()));
        }
        String reply = a.replyText();
        if (a.close()) {
            chain = then(chain, "close", failed, () -> router.closeClient(clientId,
                    reply == null ? null : OutboundMessage.text(reply)).exceptionallyCompose(err -> closeWithoutReply(clientId, err)));
        } else if (reply != null) {
            chain = then(chain, "reply", failed, () -> router.sendToClient(clientId, OutboundMessage.text(reply)));
        }
        return chain.thenRun(() -> {
            if (!failed.isEmpty()) {
                actionLog.warn("webhook answer for {}: {} failed; the rest was applied", clientId, String.join("; ", failed));
            }
        });
    }

    /** {@code chain}, then {@code action} whatever became of it; a failure is noted in {@code failed}, not passed on. */
    private static CompletableFuture<Void> then(CompletableFuture<Void> chain, String what, List<String> failed,
                                                Supplier<CompletableFuture<?>> action) {
        return chain.thenCompose(v -> {
            CompletableFuture<?> step;
            try {
                step = action.get();
            } catch (RuntimeException e) {
                step = CompletableFuture.failedFuture(e);
            }
            return step.handle((r, err) -> {
                if (err != null) {
                    failed.add(what + ": " + unwrap(err).getMessage());
                }
                return null;
            });
        });
    }

    /**
     * The router refuses a close whose reply no client could take, keeping the client; but the
     * backend wants it gone (a logout, a ban) and nobody else hears of the refusal: the reply is
     * dropped, as a too-large reply without close is, and the client closed anyway.
     */
    private CompletableFuture<Boolean> closeWithoutReply(String clientId, Throwable err) {
        Throwable t = unwrap(err);
        if (!(t instanceof io.gatewayd.routing.MessageTooLargeException)) {
            return CompletableFuture.failedFuture(err);
        }
        actionLog.warn("webhook answer for {}: closing without the reply: {}", clientId, t.getMessage());
        return router.closeClient(clientId, null);
    }

    /** What failed, out of the CompletionException a future wraps it in. */
    private static Throwable unwrap(Throwable err) {
        return err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
    }

    private void report(String clientId, List<String> problems) {
        if (!problems.isEmpty()) {
            actionLog.warn("webhook answer for {}: ignored {}", clientId, String.join("; ", problems));
        }
    }

    // ---- bodies

    private ObjectNode base(WebhookEvent type, String clientId) {
        ObjectNode o = JSON.createObjectNode();
        o.put("event", type.configName());
        o.put("event_id", newId());
        o.put("time", System.currentTimeMillis());
        o.put("node", nodeId.get());
        o.put("client_id", clientId);
        return o;
    }

    private ObjectNode connectBody(WebhooksConfig wc, String clientId, InetSocketAddress remote, String listener,
                                   String uri, UnaryOperator<String> header, boolean decides) {
        ObjectNode o = base(WebhookEvent.CONNECT, clientId);
        o.put("auth", decides);
        o.put("remote_ip", remote == null ? null : remote.getAddress().getHostAddress());
        o.put("remote_port", remote == null ? 0 : remote.getPort());
        o.put("listener", listener);
        if (uri != null) {
            QueryStringDecoder q = new QueryStringDecoder(uri, StandardCharsets.UTF_8, true, 256);
            o.put("path", q.path());
            ObjectNode query = o.putObject("query");
            q.parameters().forEach((k, v) -> {
                if (!k.equals("token")) { // a credential: verified here, never passed on
                    if (v.size() == 1) {
                        query.put(k, v.get(0));
                    } else {
                        query.set(k, JSON.valueToTree(v));
                    }
                }
            });
        }
        if (header != null) {
            ObjectNode h = o.putObject("headers");
            for (String name : wc.headers()) {
                String v = header.apply(name);
                if (v != null) {
                    h.put(name, v);
                }
            }
        }
        return o;
    }

    private CompletableFuture<WebhookHttpClient.Response> submit(EventLoop loop, WebhookEvent type, String clientId,
                                                                 String url, ObjectNode body,
                                                                 java.util.function.BooleanSupplier wanted) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return CompletableFuture.failedFuture(e);
        }
        WebhookDispatcher.Event e = new WebhookDispatcher.Event(type, clientId, url, bytes, body.get("event_id").asText(),
                wanted);
        if (loop.inEventLoop()) {
            return dispatcher.submit(loop, e);
        }
        loop.execute(() -> dispatcher.submit(loop, e));
        return e.result;
    }

    private static String newId() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }

    /** The "webhooks" section of /api/status. */
    public Map<String, Object> status() {
        WebhooksConfig c = config.get().webhooks();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("url", c.url());
        o.put("events", c.events().stream().map(WebhookEvent::configName).toList());
        o.put("waiting", dispatcher.waiting());
        o.put("in_flight", dispatcher.inFlight());
        o.put("sent", dispatcher.sent.sum());
        o.put("failed", dispatcher.failed.sum());
        o.put("retried", dispatcher.retried.sum());
        o.put("dropped", dispatcher.dropped.sum());
        o.put("last_error", dispatcher.lastError());
        return o;
    }

    /** Counters for tests and metrics: sent, failed, retried, dropped. */
    public long sent() {
        return dispatcher.sent.sum();
    }

    public long failed() {
        return dispatcher.failed.sum();
    }

    public long retried() {
        return dispatcher.retried.sum();
    }

    public long dropped() {
        return dispatcher.dropped.sum();
    }
}
