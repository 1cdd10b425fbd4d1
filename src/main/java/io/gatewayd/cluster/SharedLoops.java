package io.gatewayd.cluster;

import io.lettuce.core.resource.DefaultEventLoopGroupProvider;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

import java.util.concurrent.TimeUnit;

/**
 * Which event loop Lettuce's Redis connections run on. By default one I/O thread of their own
 * ({@link #dedicated()}). On the gateway's client loops every Redis read and write (delivery
 * reports, replies, probes) waits for the loop's current task; since lanes write broadcasts in
 * slices that is one slice, and the 3-node benchmarks measured no difference either way
 * (BENCHMARKS.md, Appendix D); the dedicated thread stays the default because a large reply (a
 * query over many nodes' mirrors) is then decoded off the client loops. With
 * {@code cluster.share-event-loops: true} they share the gateway's loops instead ({@link #of}),
 * so cluster mode adds no I/O thread. Lettuce picks its channel class by itself (epoll when the
 * native library is there, NIO otherwise); a channel can only live on a loop of the same kind, so
 * the gateway's loops are shared only when both sides agree, and otherwise Lettuce gets one loop
 * of its own (e.g. with node.native-transport: false on a machine where epoll is available).
 * The gateway owns its loops: release and shutdown leave them running.
 */
final class SharedLoops implements EventLoopGroupProvider {
    private final EventLoopGroup shared;
    private final DefaultEventLoopGroupProvider fallback;

    private SharedLoops(EventLoopGroup shared) {
        this.shared = shared;
        this.fallback = shared == null ? new DefaultEventLoopGroupProvider(1) : null;
    }

    /** @param gatewayUsesEpoll whether the gateway's loops are epoll loops */
    static SharedLoops of(EventLoopGroup gatewayLoops, boolean gatewayUsesEpoll) {
        boolean lettuceEpoll = Transports.socketChannelClass().getSimpleName().startsWith("Epoll");
        boolean compatible = gatewayUsesEpoll ? lettuceEpoll && Epoll.isAvailable()
                : Transports.socketChannelClass() == io.netty.channel.socket.nio.NioSocketChannel.class;
        return new SharedLoops(compatible ? gatewayLoops : null);
    }

    /** One I/O thread of Lettuce's own. */
    static SharedLoops dedicated() {
        return new SharedLoops(null);
    }

    boolean sharing() {
        return shared != null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T extends EventLoopGroup> T allocate(Class<T> type) {
        return shared != null ? (T) shared : fallback.allocate(type);
    }

    @Override
    public int threadPoolSize() {
        return shared != null ? 0 : fallback.threadPoolSize();
    }

    @Override
    public Future<Boolean> release(EventExecutorGroup group, long quietPeriod, long timeout, TimeUnit unit) {
        if (group == shared) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
        }
        return fallback.release(group, quietPeriod, timeout, unit);
    }

    @Override
    public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit unit) {
        if (shared != null) {
            return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
        }
        return fallback.shutdown(quietPeriod, timeout, unit);
    }
}
