package io.gatewayd.server;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/** The I/O transport: native epoll when available and wanted, Java NIO otherwise. */
public final class Transport {
    private final boolean epoll;
    private final EventLoopGroup group;

    private Transport(boolean epoll, EventLoopGroup group) {
        this.epoll = epoll;
        this.group = group;
    }

    /** @param threads 0 = one per CPU */
    public static Transport create(boolean preferNative, int threads, String threadPrefix) {
        boolean useEpoll = preferNative && Epoll.isAvailable();
        IoHandlerFactory factory = useEpoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(threadPrefix, true), factory);
        // The control port shares these loops: a push whose target lives on the loop that read
        // the request is written without waking another thread, and API connections spread over
        // all loops. Broadcasts stay cheap because lanes write them in slices and serve
        // I/O between slices (see delivery.Lane), so the next API request is still read while a
        // broadcast is being written.
        return new Transport(useEpoll, group);
    }

    public boolean isEpoll() {
        return epoll;
    }

    public String name() {
        return epoll ? "epoll" : "nio";
    }

    public EventLoopGroup group() {
        return group;
    }

    /** Shuts the loops down, waiting up to {@code timeoutSeconds} for each. */
    public void shutdown(long timeoutSeconds) {
        group.shutdownGracefully(0, timeoutSeconds, java.util.concurrent.TimeUnit.SECONDS)
                .awaitUninterruptibly(timeoutSeconds + 3, java.util.concurrent.TimeUnit.SECONDS);
    }

    public Class<? extends ServerChannel> serverChannelClass() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** Outgoing TCP connections (webhooks) on these event loops. */
    public Class<? extends io.netty.channel.socket.SocketChannel> channelClass() {
        return epoll ? io.netty.channel.epoll.EpollSocketChannel.class : io.netty.channel.socket.nio.NioSocketChannel.class;
    }

    /** UDP (DNS lookups for webhook hosts) on these event loops. */
    public Class<? extends io.netty.channel.socket.DatagramChannel> datagramChannelClass() {
        return epoll ? io.netty.channel.epoll.EpollDatagramChannel.class
                : io.netty.channel.socket.nio.NioDatagramChannel.class;
    }

    /** Why the native transport is not in use, for the startup log; null when it is. */
    public String nativeUnavailableReason() {
        if (epoll) {
            return null;
        }
        Throwable t = Epoll.unavailabilityCause();
        return t == null ? "disabled by node.native-transport: false" : t.getMessage();
    }
}
