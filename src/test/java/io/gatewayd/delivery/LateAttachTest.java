package io.gatewayd.delivery;

import io.gatewayd.config.OutboundConfig;
import io.gatewayd.config.Protocol;
import io.gatewayd.metrics.GatewayStats;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;
import io.gatewayd.registry.WireFormat;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A broadcast is for the clients connected when it was sent. One queued a moment before a client
 * attaches, and not yet run by the loop, must not reach that client: on io_uring the loop can
 * accept and upgrade a connection before it runs the broadcast an API request queued, and a
 * client that connected after the backend was answered got a message it was never counted in.
 * The broadcast and the attach happen in one task on the loop, so the broadcast is certainly
 * still queued when the second client attaches.
 */
class LateAttachTest {
    @Test
    void aBroadcastQueuedBeforeAClientAttachesGoesOnlyToTheClientsBeforeIt() throws Exception {
        DefaultEventLoopGroup group = new DefaultEventLoopGroup(1);
        try {
            EventLoop loop = group.next();
            Registry registry = new Registry();
            Outbound outbound = new Outbound(group, registry, new GatewayStats(),
                    () -> new OutboundConfig(null, null, null, null, null));
            Lane lane = outbound.lane(loop);
            EmbeddedChannel early = new EmbeddedChannel();
            EmbeddedChannel late = new EmbeddedChannel();
            OutboundMessage before = OutboundMessage.text("before");
            OutboundMessage after = OutboundMessage.text("after");
            loop.submit(() -> {
                lane.attach(connection(registry, early, 1));
                outbound.sendToAll(before, Set.of());
                lane.attach(connection(registry, late, 2));
                outbound.sendToAll(after, Set.of());
            }).get(10, TimeUnit.SECONDS);
            loop.submit(() -> { }).get(10, TimeUnit.SECONDS); // the lane's queued turn has run

            assertThat(texts(early)).containsExactly("before", "after");
            assertThat(texts(late)).as("connected after the first broadcast was sent").containsExactly("after");
            early.finishAndReleaseAll();
            late.finishAndReleaseAll();
        } finally {
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).sync();
        }
    }

    private static Connection connection(Registry registry, EmbeddedChannel ch, int n) {
        Connection c = new Connection(String.format("7f0000011f90%08x", n), ch, Protocol.TEXT, WireFormat.TEXT_LINE,
                "test", null);
        registry.add(c);
        return c;
    }

    private static java.util.List<String> texts(EmbeddedChannel ch) {
        java.util.List<String> out = new java.util.ArrayList<>();
        Object m;
        while ((m = ch.readOutbound()) != null) {
            if (m instanceof io.netty.buffer.ByteBuf b) {
                out.add(b.toString(java.nio.charset.StandardCharsets.UTF_8).strip());
                b.release();
            } else {
                out.add(String.valueOf(m));
                io.netty.util.ReferenceCountUtil.release(m);
            }
        }
        return out;
    }
}
