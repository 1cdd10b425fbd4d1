package io.gatewayd.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.config.ClientMessagePolicy;
import io.gatewayd.config.Protocol;
import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.delivery.Outbound;
import io.gatewayd.metrics.GatewayStats;
import io.gatewayd.registry.ClientIds;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;
import io.gatewayd.registry.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * The life of a client connection from the gateway's side: it opens (gets an id, its welcome
 * message, a place in the registry and on its event loop's lane), sends messages (which the
 * configured policy answers), and closes (it leaves its uid and groups). Runs on event loops.
 */
public final class ClientSessions {
    /** Debug-level connect/message/close lines, like GatewayWorker's console in debug mode. */
    static final Logger EVENTS = LoggerFactory.getLogger("gatewayd.clients");
    // emoji in an echoed type are written as UTF-8, as the control API writes them, not as escapes
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.json.JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8).build();
    private static final JsonFactory JSON_FACTORY = JSON.getFactory();
    /** A backend can answer every connect with a reply too large: one warning per interval. */
    private final io.gatewayd.logging.LogLimiter tooLargeLog =
            new io.gatewayd.logging.LogLimiter(LoggerFactory.getLogger(ClientSessions.class), 10_000);

    private final Registry registry;
    private final Outbound outbound;
    private final LiveConfig config;
    private final GatewayStats stats;
    private final ClientIds ids;
    private final ClientEventFanout listeners;
    private final ClientSecurity security;

    public ClientSessions(Registry registry, Outbound outbound, LiveConfig config, GatewayStats stats, ClientIds ids,
                          List<ClientEvents> listeners) {
        this(registry, outbound, config, stats, ids, listeners, ClientSecurity.open(config));
    }

    public ClientSessions(Registry registry, Outbound outbound, LiveConfig config, GatewayStats stats, ClientIds ids,
                          List<ClientEvents> listeners, ClientSecurity security) {
        this.registry = registry;
        this.outbound = outbound;
        this.config = config;
        this.stats = stats;
        this.ids = ids;
        this.listeners = new ClientEventFanout(listeners);
        this.security = security;
    }

    public ClientSecurity security() {
        return security;
    }

    /** A candidate client_id, for a connection that is not open yet (shown to the connect webhook). */
    String newClientId() {
        return ids.next();
    }

    public Outbound outbound() {
        return outbound;
    }

    public GatewayStats stats() {
        return stats;
    }

    private static <T> T take(Channel ch, io.netty.util.AttributeKey<T> key) {
        return ch.hasAttr(key) ? ch.attr(key).getAndRemove() : null;
    }

    /** A client is connected (TCP accepted, or WebSocket handshake done). Event loop only. */
    public Connection open(Channel ch, Protocol protocol, WireFormat format, String listener, boolean welcome,
                           ClientEvents.HandshakeInfo handshake) {
        // taken and removed: an attribute left behind (even holding null) costs memory per connection
        InetSocketAddress forwarded = take(ch, ChannelAttrs.REMOTE);
        InetSocketAddress remote = forwarded != null ? forwarded : (InetSocketAddress) ch.remoteAddress();
        String promised = take(ch, ChannelAttrs.CLIENT_ID);
        ClientActions actions = take(ch, ChannelAttrs.ACTIONS);
        Connection c = promised == null ? null : new Connection(promised, ch, protocol, format, listener, remote);
        // the promised id was shown to the backend; only an (astronomically rare) clash replaces it
        while (c == null || !registry.add(c)) {
            c = new Connection(ids.next(), ch, protocol, format, listener, remote);
        }
        stats.connectionsAccepted.increment();
        if (actions != null) {
            // bound before the client learns its id: whatever it or the backend asks next sees the binding
            applyBindings(c, actions);
        }
        LiveConfig.Snapshot snap = config.get();
        if (welcome && snap.welcome() != null) {
            String text = snap.welcome().render(Map.of(
                    "client_id", c.clientId(),
                    "timestamp", Long.toString(System.currentTimeMillis() / 1000),
                    "remote_ip", remote == null ? "" : remote.getAddress().getHostAddress(),
                    "remote_port", remote == null ? "" : Integer.toString(remote.getPort()),
                    "listener", listener));
            writeNow(c, OutboundMessage.text(text));
        }
        if (format != WireFormat.WEBSOCKET_DEFLATE && ch.pipeline().get(io.netty.handler.ssl.SslHandler.class) == null) {
            c.writeContext(ch.pipeline().firstContext()); // nothing between it and the socket changes encoded bytes
        }
        outbound.lane(ch.eventLoop()).attach(c);
        if (EVENTS.isDebugEnabled()) {
            EVENTS.debug("connect {} {} from {}", c.clientId(), protocol.scheme(), remote);
        }
        if (actions != null) {
            applyReplyAndClose(c, actions);
        }
        listeners.connect(c, handshake);
        return c;
    }

    /** The channel closed, for whatever reason. Event loop only. */
    public void closed(Connection c, int closeCode, String reason) {
        Registry.Snapshot last = registry.snapshot(c);
        registry.remove(c);
        outbound.lane(c.channel().eventLoop()).detach(c);
        if (EVENTS.isDebugEnabled()) {
            EVENTS.debug("close {} uid={} code={} after {} ms", c.clientId(), last.uid(), closeCode,
                    System.currentTimeMillis() - c.connectedAtMillis());
        }
        listeners.close(c, last, closeCode, reason);
    }

    /**
     * The client ended its side of the connection (FIN). Answers to its messages still on their
     * way from the backend are waited for, at most {@code webhooks}' budget for one event
     * ({@link io.gatewayd.config.WebhooksConfig#answerWait}); see {@link Outbound#inputEnded}.
     * Event loop only.
     */
    public void inputEnded(Connection c) {
        outbound.inputEnded(c, c.answersAwaited() == 0 ? 0 : config.config().webhooks().answerWait().toMillis());
    }

    /** A complete message from the client. Event loop only. */
    public void message(Connection c, ByteBuf content, boolean binary) {
        int size = content.readableBytes();
        c.markActive();
        c.countIn(size);
        stats.messagesIn.increment();
        stats.bytesIn.add(size);
        if (EVENTS.isDebugEnabled()) {
            EVENTS.debug("message {} {} bytes: {}", c.clientId(), size,
                    binary ? "(binary)" : abbreviate(content.toString(content.readerIndex(), Math.min(size, 200),
                            StandardCharsets.UTF_8)));
        }
        if (c.isClosing()) {
            return;
        }
        ClientMessagePolicy policy = config.config().clientMessages().policy();
        if (policy == ClientMessagePolicy.ECHO_TYPE && !binary) {
            JsonNode type = typeField(content);
            if (type != null) {
                writeNow(c, OutboundMessage.text(echo(type, c.clientId())));
            }
        } else if (policy == ClientMessagePolicy.WEBHOOK) {
            JsonNode type = binary ? null : typeField(content);
            if (isHeartbeat(type)) {
                writeNow(c, OutboundMessage.text(echo(type, c.clientId()))); // heartbeats stay local
            } else {
                java.util.concurrent.CompletionStage<?> answered = security.forwarder().forward(c, content, binary);
                if (answered != null) {
                    outbound.awaitAnswer(c, answered);
                }
            }
        }
        listeners.message(c, content, binary);
    }

    /** A heartbeat under the webhook policy: a "type" string ending in HEARTBEAT (e.g. MANAGE_HEARTBEAT). */
    static boolean isHeartbeat(JsonNode type) {
        return type != null && type.isTextual()
                && type.textValue().toUpperCase(java.util.Locale.ROOT).endsWith("HEARTBEAT");
    }

    private void applyBindings(Connection c, ClientActions a) {
        if (a.bindUid() != null) {
            registry.bindUid(c, a.bindUid());
        }
        for (String g : a.joinGroups()) {
            try {
                registry.joinGroup(c, g);
            } catch (io.gatewayd.registry.LimitExceededException e) {
                security.guard().groupLimitRefused.increment();
                EVENTS.info("{}: not joining {}: {}", c.clientId(), g, e.getMessage());
                break;
            }
        }
        if (a.session() != null) {
            registry.updateSession(c, a.session());
        }
    }

    private void applyReplyAndClose(Connection c, ClientActions a) {
        String text = a.replyText();
        OutboundMessage reply = text == null ? null : fitting(c, OutboundMessage.text(text), a.close());
        if (a.close()) {
            outbound.close(c, io.gatewayd.delivery.CloseCodes.NORMAL, reply);
        } else if (reply != null) {
            writeNow(c, reply);
        }
    }

    /**
     * The reply, or null (dropped, with a warning) when it is larger than outbound.max-pending-bytes:
     * written straight to the socket it would bypass the bound every other path keeps, so it is
     * treated as the connect webhook's answer after the handshake is: the reply dropped, the rest
     * (bindings, the close) applied.
     */
    private OutboundMessage fitting(Connection c, OutboundMessage reply, boolean close) {
        var refused = io.gatewayd.routing.MessageTooLargeException.check(reply, outbound.maxMessageBytes());
        if (refused == null) {
            return reply;
        }
        tooLargeLog.warn("connect answer for {}: {}: {}", c.clientId(),
                close ? "closing the client without its reply" : "not sending its reply",
                (close ? refused.asLastMessage() : refused).describe("the reply"));
        return null;
    }

    /** Writes straight to the client from its own event loop (welcome, echo replies). */
    void writeNow(Connection c, OutboundMessage m) {
        try {
            Channel ch = c.channel();
            ch.writeAndFlush(m.writable(c.wireFormat()), ch.voidPromise());
            c.countOut(m.size());
            stats.messagesOut.increment();
            stats.bytesOut.add(m.size());
        } finally {
            m.release();
        }
    }

    /** The top-level "type" of a JSON object message, or null for anything else. */
    static JsonNode typeField(ByteBuf content) {
        int i = content.readerIndex();
        int end = content.writerIndex();
        while (i < end && Character.isWhitespace(content.getByte(i))) {
            i++;
        }
        if (i == end || content.getByte(i) != '{') {
            return null;
        }
        try (JsonParser p = JSON_FACTORY.createParser((java.io.InputStream) new ByteBufInputStream(content.duplicate()))) {
            p.setCodec(JSON);
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            JsonNode type = null;
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if ("type".equals(name) && type == null) {
                    type = p.readValueAsTree();
                } else {
                    p.skipChildren();
                }
            }
            // a truncated or invalid object is not a message we answer
            return t == JsonToken.END_OBJECT ? type : null;
        } catch (IOException e) {
            return null;
        }
    }

    static String echo(JsonNode type, String clientId) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        try (JsonGenerator g = JSON_FACTORY.createGenerator(out)) {
            g.setCodec(JSON);
            g.writeStartObject();
            g.writeFieldName("type");
            g.writeTree(type);
            g.writeStringField("client_id", clientId);
            g.writeNumberField("timestamp", System.currentTimeMillis() / 1000);
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String abbreviate(String s) {
        return s.replace('\n', ' ');
    }
}
