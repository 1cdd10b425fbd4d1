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
    private final EventLoopGroup controlGroup;

    private Transport(boolean epoll, EventLoopGroup group, EventLoopGroup controlGroup) {
        this.epoll = epoll;
        this.group = group;
        this.controlGroup = controlGroup;
    }

    /** @param threads 0 = one per CPU */
    public static Transport create(boolean preferNative, int threads, String threadPrefix) {
        boolean useEpoll = preferNative && Epoll.isAvailable();
        IoHandlerFactory factory = useEpoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory(threadPrefix, true), factory);
        // The control port gets its own loop: while client loops are busy writing a broadcast, the
        // next API request is still read and queued, so consecutive messages reach each client in
        // one write() instead of one per message.
        // As many as the client loops: many concurrent API connections (unicast pushes) spread
        // over them, while one busy broadcast connection still has a loop of its own.
        EventLoopGroup control = new MultiThreadIoEventLoopGroup(n,
                new DefaultThreadFactory(threadPrefix + "-control", true), factory);
        return new Transport(useEpoll, group, control);
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

    /** The event loop of the control port (HTTP API). */
    public EventLoopGroup controlGroup() {
        return controlGroup;
    }

    /** Shuts both groups down, waiting up to {@code timeoutSeconds} for each. */
    public void shutdown(long timeoutSeconds) {
        var a = group.shutdownGracefully(0, timeoutSeconds, java.util.concurrent.TimeUnit.SECONDS);
        var b = controlGroup.shutdownGracefully(0, timeoutSeconds, java.util.concurrent.TimeUnit.SECONDS);
        a.awaitUninterruptibly(timeoutSeconds + 3, java.util.concurrent.TimeUnit.SECONDS);
        b.awaitUninterruptibly(timeoutSeconds + 3, java.util.concurrent.TimeUnit.SECONDS);
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
