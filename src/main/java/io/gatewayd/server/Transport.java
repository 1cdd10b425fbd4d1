package io.gatewayd.server;

import io.gatewayd.GatewayStartException;
import io.gatewayd.config.IoTransport;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The event loops and the I/O transport they use ({@code node.transport}). {@code auto} takes
 * io_uring where the kernel allows it: a loop turn's writes to many sockets are submitted in one
 * system call instead of one each, which on the 2-core benchmark box (one loop) cut the gateway's
 * CPU per push by ~30 % and per broadcast delivery by ~32 % (BENCHMARKS.md, "Transports"). Where io_uring
 * is missing or forbidden (old kernels, container seccomp profiles, kernel.io_uring_disabled) it
 * takes epoll, and Java NIO where neither native library loads.
 */
public final class Transport {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Transport.class);
    private final IoTransport kind;
    private final EventLoopGroup group;
    private final String fallbackReason;

    private Transport(IoTransport kind, EventLoopGroup group, String fallbackReason) {
        this.kind = kind;
        this.group = group;
        this.fallbackReason = fallbackReason;
    }

    /**
     * @param wanted  auto, or the one transport to use (an error if this machine lacks it)
     * @param threads how many event loops
     */
    public static Transport create(IoTransport wanted, int threads, String threadPrefix) {
        singleShotAccept();
        String fallback = null;
        IoTransport kind = wanted;
        if (wanted == IoTransport.AUTO) {
            if (IoUring.isAvailable()) {
                kind = IoTransport.IO_URING;
            } else if (Epoll.isAvailable()) {
                kind = IoTransport.EPOLL;
                fallback = "io_uring unavailable: " + reason(IoUring.unavailabilityCause());
            } else {
                kind = IoTransport.NIO;
                fallback = "io_uring unavailable: " + reason(IoUring.unavailabilityCause())
                        + "; epoll unavailable: " + reason(Epoll.unavailabilityCause());
            }
        } else if (wanted == IoTransport.IO_URING && !IoUring.isAvailable()) {
            throw unavailable(wanted, IoUring.unavailabilityCause());
        } else if (wanted == IoTransport.EPOLL && !Epoll.isAvailable()) {
            throw unavailable(wanted, Epoll.unavailabilityCause());
        }
        if (kind == IoTransport.IO_URING && IoUring.isAcceptMultishotEnabled()) {
            LOG.warn("io_uring accepts with multishot ({}=true, or Netty's io_uring was loaded before the gateway): "
                    + "a listener out of file descriptors will spin an event loop at full CPU until one frees; "
                    + "leave {} unset", ACCEPT_MULTISHOT, ACCEPT_MULTISHOT);
        }
        IoHandlerFactory factory = switch (kind) {
            case IO_URING -> IoUringIoHandler.newFactory();
            case EPOLL -> EpollIoHandler.newFactory();
            default -> NioIoHandler.newFactory();
        };
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(threadPrefix, true),
                factory);
        // The control port shares these loops: a push whose target lives on the loop that read
        // the request is written without waking another thread, and API connections spread over
        // all loops. Broadcasts stay cheap because lanes write them in slices and serve
        // I/O between slices (see delivery.Lane), so the next API request is still read while a
        // broadcast is being written.
        return new Transport(kind, group, fallback);
    }

    /**
     * Before Netty's io_uring classes load: accept one connection per submission. A multishot
     * accept that ends in error (EMFILE: out of file descriptors) is re-armed by Netty 4.2 at once,
     * whatever autoRead says, so {@link AcceptFailures} could not pause it and a listener out of
     * descriptors spun an event loop at 100 % CPU (~285,000 failed accepts a second under
     * {@code ulimit -n 256}). A single-shot accept is re-armed only while the channel reads, like
     * epoll's and NIO's. It costs one submission per accepted connection, which a push gateway,
     * whose clients stay connected, does not notice. An explicit
     * {@code -Dio.netty.iouring.acceptMultiShotEnabled} wins.
     */
    static void singleShotAccept() {
        if (System.getProperty(ACCEPT_MULTISHOT) == null) {
            System.setProperty(ACCEPT_MULTISHOT, "false");
        }
    }

    private static final String ACCEPT_MULTISHOT = "io.netty.iouring.acceptMultiShotEnabled";

    private static GatewayStartException unavailable(IoTransport wanted, Throwable cause) {
        return new GatewayStartException("node.transport: " + wanted.configName() + " is not available on this "
                + "machine (" + reason(cause) + "); set node.transport to auto to use the best one available");
    }

    private static String reason(Throwable t) {
        return t == null ? "unknown reason" : t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** The transport in use: io_uring, epoll or nio (never auto). */
    public IoTransport kind() {
        return kind;
    }

    public String name() {
        return kind.configName();
    }

    /** Why auto did not get io_uring (and perhaps not epoll either), for the startup log; null when it did. */
    public String fallbackReason() {
        return fallbackReason;
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
        return switch (kind) {
            case IO_URING -> IoUringServerSocketChannel.class;
            case EPOLL -> EpollServerSocketChannel.class;
            default -> NioServerSocketChannel.class;
        };
    }

    /** Outgoing TCP connections (webhooks, Redis when it shares the loops) on these event loops. */
    public Class<? extends SocketChannel> channelClass() {
        return switch (kind) {
            case IO_URING -> IoUringSocketChannel.class;
            case EPOLL -> EpollSocketChannel.class;
            default -> NioSocketChannel.class;
        };
    }

    /** UDP (DNS lookups for webhook hosts) on these event loops. */
    public Class<? extends DatagramChannel> datagramChannelClass() {
        return switch (kind) {
            case IO_URING -> IoUringDatagramChannel.class;
            case EPOLL -> EpollDatagramChannel.class;
            default -> NioDatagramChannel.class;
        };
    }

    /** SO_REUSEPORT for a listening socket; null on NIO, which cannot set it. */
    public ChannelOption<Boolean> reusePortOption() {
        return switch (kind) {
            case IO_URING -> IoUringChannelOption.SO_REUSEPORT;
            case EPOLL -> EpollChannelOption.SO_REUSEPORT;
            default -> null;
        };
    }
}
