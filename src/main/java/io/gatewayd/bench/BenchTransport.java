package io.gatewayd.bench;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.TimeUnit;

/**
 * The load client's event loops: native epoll when available (as the gateway picks it), else NIO.
 * The API connections get a loop of their own (as the Node client has a pusher process of its
 * own): on the receivers' loops, each answer would wait behind thousands of readable sockets,
 * and a broadcast with one call in flight would measure that wait instead of the gateway.
 */
final class BenchTransport implements AutoCloseable {
    private final boolean epoll;
    private final EventLoopGroup group;
    private final EventLoopGroup apiGroup;

    BenchTransport(int threads) {
        this.epoll = Epoll.isAvailable();
        this.group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("bench-io", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        this.apiGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("bench-api", true),
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    }

    /** The loop of the control API connections. */
    EventLoopGroup apiGroup() {
        return apiGroup;
    }

    boolean isEpoll() {
        return epoll;
    }

    String name() {
        return epoll ? "epoll" : "nio";
    }

    EventLoopGroup group() {
        return group;
    }

    Class<? extends SocketChannel> channelClass() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    @Override
    public void close() {
        var api = apiGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        api.awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
