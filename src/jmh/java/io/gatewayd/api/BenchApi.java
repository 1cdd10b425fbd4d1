package io.gatewayd.api;

import io.gatewayd.config.OutboundConfig;
import io.gatewayd.delivery.Outbound;
import io.gatewayd.metrics.GatewayStats;
import io.gatewayd.registry.Registry;
import io.gatewayd.routing.LocalRouter;
import io.netty.channel.DefaultEventLoopGroup;

import java.util.concurrent.TimeUnit;

/** The API methods over an empty registry and one plain event loop: what the control benchmarks call. */
final class BenchApi implements AutoCloseable {
    final DefaultEventLoopGroup loops = new DefaultEventLoopGroup(1);
    final GatewayStats stats = new GatewayStats();
    final ApiMethods methods;

    BenchApi() {
        Registry registry = new Registry();
        Outbound outbound = new Outbound(loops, registry, stats, OutboundConfig::defaults);
        methods = new ApiMethods(new LocalRouter(registry, outbound), stats);
    }

    @Override
    public void close() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
