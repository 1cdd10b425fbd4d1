package io.gatewayd.delivery;

import io.gatewayd.config.IoTransport;
import io.gatewayd.server.Transport;
import io.gatewayd.testing.Await;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link HalfClose#cutWhenStalled} on its own, with bounds short enough to watch: a connection
 * ending with a backlog is cut once its client has taken nothing for the idle bound, however long
 * it took before; and a client that keeps taking a little is cut at the cap all the same, with a
 * reset (part of the backlog is unsent). A real server on each transport, a real client socket.
 */
class HalfCloseGraceTest {
    private static final long IDLE_MILLIS = 1000;
    /** Far more than the client takes in the cap: the backlog never runs out here. */
    private static final int BACKLOG_BYTES = 32 * 1024 * 1024;
    /**
     * The client's pace: 32 KiB every 100 ms. The server's send buffer is set small, so each read
     * makes room the server fills at once: progress it sees many times per idle bound.
     */
    private static final int CHUNK = 32 * 1024;
    private static final long TICK_MILLIS = 100;

    /** A server on {@code kind} that, at each connection, writes the backlog and ends it as Outbound does. */
    private record Server(Transport transport, Channel listener, CompletableFuture<Channel> accepted)
            implements AutoCloseable {
        static Server start(IoTransport kind, long capMillis) {
            Assumptions.assumeTrue(kind != IoTransport.IO_URING || IoUring.isAvailable(),
                    () -> "io_uring unavailable here: " + IoUring.unavailabilityCause());
            Transport transport = Transport.create(kind, 1, "grace-test");
            CompletableFuture<Channel> accepted = new CompletableFuture<>();
            Channel listener = new ServerBootstrap().group(transport.group())
                    .channel(transport.serverChannelClass())
                    .childOption(ChannelOption.SO_SNDBUF, 64 * 1024)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            Channel ch = ctx.channel();
                            ChannelFuture flushed = ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[BACKLOG_BYTES]))
                                    .addListener(f -> {
                                        if (f.isSuccess()) {
                                            HalfClose.afterFlush(ch);
                                        } else {
                                            ch.close();
                                        }
                                    });
                            HalfClose.cutWhenStalled(ch, flushed, IDLE_MILLIS, capMillis);
                            accepted.complete(ch);
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
            return new Server(transport, listener, accepted);
        }

        int port() {
            return ((InetSocketAddress) listener.localAddress()).getPort();
        }

        @Override
        public void close() {
            listener.close().syncUninterruptibly();
            transport.shutdown(5);
        }
    }

    /**
     * Reads {@link #CHUNK} per {@link #TICK_MILLIS}, {@code chunks} times, then no more, its
     * socket left open; completes with how the stream ended. {@code stoppedAt} gets the
     * {@link System#nanoTime} of its last read.
     */
    private static CompletableFuture<String> readSlowly(Socket s, int chunks, AtomicLong stoppedAt) {
        CompletableFuture<String> ended = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            byte[] chunk = new byte[CHUNK];
            try {
                InputStream in = s.getInputStream();
                for (int i = 0; i < chunks; i++) {
                    for (int got = 0; got < CHUNK; ) {
                        int n = in.read(chunk, got, CHUNK - got);
                        if (n < 0) {
                            ended.complete("end of stream");
                            return;
                        }
                        got += n;
                    }
                    stoppedAt.set(System.nanoTime());
                    Thread.sleep(TICK_MILLIS); // the pace of a slow link, not a wait for the server
                }
                ended.complete("stopped reading");
            } catch (SocketException reset) {
                ended.complete("reset");
            } catch (IOException | InterruptedException e) {
                ended.complete(e.toString());
            }
        }, "slow-reader");
        t.setDaemon(true);
        t.start();
        return ended;
    }

    /** How the stream ends for a client that reads on now: what reached it, then a reset. */
    private static String readToTheEnd(Socket s) {
        try {
            s.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            return "end of stream";
        } catch (SocketException reset) {
            return "reset";
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static Socket connect(Server server) throws IOException {
        Socket s = new Socket();
        s.setReceiveBufferSize(16 * 1024); // before connect: a small window
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 10_000);
        s.setSoTimeout(20_000);
        return s;
    }

    @ParameterizedTest
    @EnumSource(value = IoTransport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void aClientThatKeepsTakingALittleIsCutAtTheCapWithAReset(IoTransport kind) throws Exception {
        long capMillis = 3 * IDLE_MILLIS;
        try (Server server = Server.start(kind, capMillis); Socket s = connect(server)) {
            CompletableFuture<String> ended = readSlowly(s, Integer.MAX_VALUE, new AtomicLong());
            Channel ch = server.accepted().get(10, TimeUnit.SECONDS);
            long startAt = System.nanoTime();
            AtomicLong closedAt = new AtomicLong();
            ch.closeFuture().addListener(f -> closedAt.set(System.nanoTime()));
            Await.until("the server cuts the client at the cap", Duration.ofMillis(capMillis + 10_000),
                    () -> closedAt.get() != 0);
            assertThat(TimeUnit.NANOSECONDS.toMillis(closedAt.get() - startAt))
                    .as("ms to the cut: the client kept taking, so not at the idle bound")
                    .isGreaterThanOrEqualTo(capMillis - 100);
            assertThat(ended.get(20, TimeUnit.SECONDS)).as("how the client's stream ended").isEqualTo("reset");
        }
    }

    @ParameterizedTest
    @EnumSource(value = IoTransport.class, names = {"IO_URING", "EPOLL", "NIO"})
    void aClientIsCutOnceItStopsTakingNotOnceTheEndBegan(IoTransport kind) throws Exception {
        long capMillis = 30 * IDLE_MILLIS;
        int chunks = (int) (3 * IDLE_MILLIS / TICK_MILLIS); // reads for some three idle bounds, then stops
        try (Server server = Server.start(kind, capMillis); Socket s = connect(server)) {
            AtomicLong stoppedAt = new AtomicLong();
            CompletableFuture<String> reading = readSlowly(s, chunks, stoppedAt);
            Channel ch = server.accepted().get(10, TimeUnit.SECONDS);
            AtomicLong closedAt = new AtomicLong();
            ch.closeFuture().addListener(f -> closedAt.set(System.nanoTime()));
            assertThat(reading.get(20, TimeUnit.SECONDS)).as("how the client's reading went")
                    .isEqualTo("stopped reading");
            Await.until("the server cuts the client that stopped", Duration.ofMillis(capMillis),
                    () -> closedAt.get() != 0);
            assertThat(TimeUnit.NANOSECONDS.toMillis(closedAt.get() - stoppedAt.get()))
                    .as("ms from the client's last read to the cut")
                    .isGreaterThanOrEqualTo(IDLE_MILLIS - 100)
                    .isLessThan(capMillis / 3);
            assertThat(readToTheEnd(s)).as("how the client's stream ended").isEqualTo("reset");
        }
    }
}
