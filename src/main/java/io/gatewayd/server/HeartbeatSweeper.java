package io.gatewayd.server;

import io.gatewayd.config.HeartbeatConfig;
import io.gatewayd.delivery.CloseCodes;
import io.gatewayd.delivery.Lane;
import io.gatewayd.delivery.Outbound;
import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.metrics.GatewayStats;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.WireFormat;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * GatewayWorker's heartbeat with its exact arithmetic, as one periodic sweep per event loop over
 * the connections that loop owns (no timer or idle handler per connection).
 *
 * <p>Each tick, per connection: if a drop limit is set and the counter reached 2·limit, close it;
 * otherwise count up, and if ping data is set, send it unless the client was active since the
 * last tick (counter 0) or, with a limit, on odd counters.
 */
public final class HeartbeatSweeper {
    private final Outbound outbound;
    private final GatewayStats stats;
    private final List<ScheduledFuture<?>> tasks = new ArrayList<>();
    private HeartbeatConfig running;

    public HeartbeatSweeper(Outbound outbound, GatewayStats stats) {
        this.outbound = outbound;
        this.stats = stats;
    }

    /** Starts, restarts or stops the sweeps to match {@code hb}; a no-op if nothing changed. */
    public synchronized void apply(HeartbeatConfig hb) {
        if (hb.equals(running)) {
            return;
        }
        stop();
        running = hb;
        if (!hb.enabled()) {
            return;
        }
        long periodNanos = hb.tickPeriod().toNanos();
        for (Lane lane : outbound.lanes()) {
            tasks.add(lane.loop().scheduleAtFixedRate(() -> sweep(lane, hb), periodNanos, periodNanos,
                    TimeUnit.NANOSECONDS));
        }
    }

    public synchronized void stop() {
        for (ScheduledFuture<?> t : tasks) {
            t.cancel(false);
        }
        tasks.clear();
        running = null;
    }

    private void sweep(Lane lane, HeartbeatConfig hb) {
        int limit = hb.pingNotResponseLimit();
        boolean sendsPings = !hb.pingData().isEmpty() || hb.pingFrames();
        List<Connection> drop = new ArrayList<>();
        List<Connection> ping = new ArrayList<>();
        lane.forEachConnection(c -> {
            if (c.isClosing()) {
                return;
            }
            if (limit > 0 && c.heartbeatCounter() >= limit * 2) {
                drop.add(c);
                return;
            }
            int n = c.incrementHeartbeatCounter();
            if (sendsPings && n != 0 && !(limit > 0 && n % 2 == 1)) {
                ping.add(c);
            }
        });
        if (!ping.isEmpty()) {
            OutboundMessage data = hb.pingData().isEmpty() ? null : OutboundMessage.text(hb.pingData());
            try {
                for (Connection c : ping) {
                    Channel ch = c.channel();
                    boolean ws = c.wireFormat() == WireFormat.WEBSOCKET || c.wireFormat() == WireFormat.WEBSOCKET_DEFLATE;
                    if (data != null) {
                        ch.write(data.writable(c.wireFormat()), ch.voidPromise());
                        c.countOut(data.size());
                    }
                    if (ws && hb.pingFrames()) {
                        ch.write(new PingWebSocketFrame(), ch.voidPromise());
                    }
                    ch.flush();
                }
                if (data != null) {
                    stats.messagesOut.add(ping.size());
                    stats.bytesOut.add((long) ping.size() * data.size());
                }
            } finally {
                if (data != null) {
                    data.release();
                }
            }
        }
        for (Connection c : drop) {
            stats.heartbeatDropped.increment();
            ClientSessions.EVENTS.debug("heartbeat timeout {}", c.clientId());
            outbound.close(c, CloseCodes.HEARTBEAT_TIMEOUT);
        }
    }
}
