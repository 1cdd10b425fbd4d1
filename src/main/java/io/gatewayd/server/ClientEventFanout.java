package io.gatewayd.server;

import io.gatewayd.logging.LogLimiter;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Hands each client event to every {@link ClientEvents} listener. Listeners include embedding
 * code, so one that throws must neither hide the event from the rest (the webhooks listener
 * comes last: a throwing listener would lose the close webhook) nor fail the client's
 * connection; and one that blocks stalls every connection of its event loop, which only the log
 * can tell its author.
 */
final class ClientEventFanout {
    private static final Logger LOG = LoggerFactory.getLogger(ClientEvents.class);
    /** Long enough that GC pauses do not trip it, short enough that clients would notice. */
    static final long SLOW_NANOS = 100_000_000L;

    private final List<ClientEvents> listeners;
    /** Those that override onMessage: with none (the built-in webhooks), a message costs no view. */
    private final List<ClientEvents> messageListeners;
    private final LogLimiter failures = new LogLimiter(LOG, 10_000);
    private final LogLimiter slow = new LogLimiter(LOG, 10_000);

    ClientEventFanout(List<ClientEvents> listeners) {
        this.listeners = List.copyOf(listeners);
        this.messageListeners = listeners.stream().filter(ClientEventFanout::overridesOnMessage).toList();
    }

    private static boolean overridesOnMessage(ClientEvents l) {
        try {
            return l.getClass().getMethod("onMessage", Connection.class, ClientEvents.Message.class)
                    .getDeclaringClass() != ClientEvents.class;
        } catch (NoSuchMethodException e) {
            throw new AssertionError("ClientEvents.onMessage is public", e);
        }
    }

    void connect(Connection c, ClientEvents.HandshakeInfo handshake) {
        for (ClientEvents l : listeners) {
            long start = System.nanoTime();
            try {
                l.onConnect(c, handshake);
            } catch (RuntimeException e) {
                failed(l, "onConnect", e);
            }
            checkTime(l, "onConnect", start);
        }
    }

    void message(Connection c, ByteBuf content, boolean binary) {
        if (messageListeners.isEmpty()) {
            return;
        }
        // the view never moves the buffer's indexes, so each listener sees the whole message
        ClientEvents.Message message = new ClientEvents.Message(content, binary);
        for (ClientEvents l : messageListeners) {
            long start = System.nanoTime();
            try {
                l.onMessage(c, message);
            } catch (RuntimeException e) {
                failed(l, "onMessage", e);
            }
            checkTime(l, "onMessage", start);
        }
    }

    void close(Connection c, Registry.Snapshot last, int closeCode, String reason) {
        for (ClientEvents l : listeners) {
            long start = System.nanoTime();
            try {
                l.onClose(c, last, closeCode, reason);
            } catch (RuntimeException e) {
                failed(l, "onClose", e);
            }
            checkTime(l, "onClose", start);
        }
    }

    private void failed(ClientEvents l, String event, RuntimeException e) {
        failures.warn("{}.{} threw; the other listeners still got the event and the connection stays open",
                l.getClass().getName(), event, e);
    }

    private void checkTime(ClientEvents l, String event, long start) {
        long took = System.nanoTime() - start;
        if (took > SLOW_NANOS) {
            slow.warn("{}.{} took {} ms on event loop {}: every connection of that loop waited meanwhile. "
                    + "ClientEvents run on event loops; hand slow or blocking work to an executor of your own",
                    l.getClass().getName(), event, took / 1_000_000, Thread.currentThread().getName());
        }
    }
}
