package io.gatewayd.cluster;

import io.lettuce.core.resource.DefaultEventLoopGroupProvider;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;

import java.util.concurrent.TimeUnit;

/**
 * Which event loop Lettuce's Redis connections run on. By default one I/O thread of their own
 * ({@link #dedicated()}). On the gateway's client loops every Redis read and write (delivery
 * reports, replies, probes) waits for the loop's current task; since lanes write broadcasts in
 * slices that is one slice. The 3-node benchmarks measured the same latency either way and a
 * third less CPU per cross-node push when shared (BENCHMARKS.md, Appendix D); the dedicated
 * thread stays the default because a large reply (a query over many nodes' mirrors) is then
 * decoded off the client loops, which matters on large hosts more than a thread does. With
 * {@code cluster.share-event-loops: true} they share the gateway's loops instead ({@link #of}),
 * so cluster mode adds no I/O thread. A channel can only live on a loop of its own kind, and Lettuce
 * picks its transport once per JVM (a system property read when its classes load): it is told to
 * follow the first gateway's (io_uring or not, {@link #followGateway}), and the loops are shared
 * only when the two agree; otherwise (e.g. two gateways on different node.transport in one JVM)
 * Lettuce gets one loop of its own.
 * The gateway owns its loops: release and shutdown leave them running.
 */
final class SharedLoops implements EventLoopGroupProvider {
    private static final String LETTUCE_IO_URING = "io.lettuce.core.iouring";
    private static final String LETTUCE_EPOLL = "io.lettuce.core.epoll";
    private final EventLoopGroup shared;
    private final DefaultEventLoopGroupProvider fallback;

    private SharedLoops(EventLoopGroup shared) {
        this.shared = shared;
        this.fallback = shared == null ? new DefaultEventLoopGroupProvider(1) : null;
    }

    /**
     * Before Lettuce's classes load: lets it use io_uring exactly when the gateway does. Left to
     * itself, with both native transports present Lettuce takes epoll and logs a warning about it
     * on every start. Explicit {@code -Dio.lettuce.core.iouring} or {@code .epoll} win.
     */
    static void followGateway(Class<? extends SocketChannel> gatewayChannel) {
        if (System.getProperty(LETTUCE_IO_URING) == null && System.getProperty(LETTUCE_EPOLL) == null) {
            boolean uring = gatewayChannel == IoUringSocketChannel.class;
            System.setProperty(LETTUCE_IO_URING, String.valueOf(uring));
            System.setProperty(LETTUCE_EPOLL, String.valueOf(!uring));
        }
    }

    /** @param gatewayChannel the socket channel class of the gateway's loops */
    static SharedLoops of(EventLoopGroup gatewayLoops, Class<? extends SocketChannel> gatewayChannel) {
        return new SharedLoops(Transports.socketChannelClass() == gatewayChannel ? gatewayLoops : null);
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
