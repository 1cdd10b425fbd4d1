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

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An event loop that stops in the middle of a sweep never runs the rest of it: the broadcast in
 * the lane's window keeps its reference (and its encoded buffer) unless the lane gives it back
 * once the loop has terminated. With a slice of one connection and a thousand connections, the
 * loop is stopped after the sweep's first slice: a graceful shutdown cancels the scheduled next
 * slice, deterministically.
 */
class LaneShutdownTest {
    @Test
    void broadcastsHeldByAnUnfinishedSweepAreReleasedOnceTheLoopHasStopped() throws Exception {
        DefaultEventLoopGroup group = new DefaultEventLoopGroup(1);
        EventLoop loop = group.next();
        Registry registry = new Registry();
        OutboundConfig oneAtATime = new OutboundConfig(null, null, null, null, 1);
        Outbound outbound = new Outbound(group, registry, new GatewayStats(), () -> oneAtATime);
        Lane lane = outbound.lane(loop);
        List<EmbeddedChannel> channels = new ArrayList<>();
        loop.submit(() -> {
            for (int i = 0; i < 1000; i++) {
                EmbeddedChannel ch = new EmbeddedChannel();
                channels.add(ch);
                Connection c = new Connection(String.format("7f0000011f90%08x", i), ch, Protocol.WEBSOCKET,
                        WireFormat.WEBSOCKET, "test", null);
                registry.add(c);
                lane.attach(c);
            }
        }).sync();

        CountDownLatch hold = new CountDownLatch(1);
        loop.execute(() -> {
            try {
                hold.await(); // the broadcast queues behind this, and the shutdown is asked for meanwhile
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        OutboundMessage message = OutboundMessage.text("to everyone").retain(); // the test's own look
        assertThat(outbound.sendToAll(message, Set.of()).count()).isEqualTo(1000);
        assertThat(outbound.releaseAll()).as("nothing is released while the loop runs").isFalse();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS);
        hold.countDown();
        assertThat(group.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

        int written = 0;
        for (EmbeddedChannel ch : channels) {
            written += ch.outboundMessages().size();
        }
        assertThat(written).as("the sweep stopped part-way").isBetween(1, 999);
        assertThat(message.refCnt()).as("the unfinished sweep still holds the broadcast").isEqualTo(2);

        assertThat(outbound.releaseAll()).isTrue();
        assertThat(message.refCnt()).as("only the test's reference is left").isEqualTo(1);
        message.release();
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }
}
