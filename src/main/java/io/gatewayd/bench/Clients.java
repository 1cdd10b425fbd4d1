package io.gatewayd.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.ReferenceCountUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The load client's WebSocket connections: opened with at most {@code ramp} handshakes in flight,
 * each ready once the gateway's welcome message (with its client_id) arrived; then counting the
 * bench messages they receive. Every connection lives on one event loop and records into that
 * loop's {@link Recorder}, so the receive path takes no lock and shares no counter (except one
 * {@link LongAdder} for progress).
 */
final class Clients implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ByteBuf MARK = Unpooled.unreleasableBuffer(
            Unpooled.wrappedBuffer("BENCH:".getBytes(StandardCharsets.US_ASCII)));

    static final int CONNECTING = 0;
    static final int READY = 1;
    static final int FAILED = 3;

    enum Mode { BROADCAST, UNICAST }

    private final BenchTransport transport;
    private final Bootstrap bootstrap;
    private final URI uri;
    private final InetSocketAddress remote;
    private final int n;
    private final int ramp;
    private final InetAddress[] sources;
    private final long handshakeTimeoutMillis;

    private final AtomicIntegerArray states;
    private final String[] ids;
    private final AtomicReferenceArray<Channel> channels;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger ready = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicInteger closedAfterReady = new AtomicInteger();
    private final AtomicLong firstAttempt = new AtomicLong();
    private final AtomicLong lastReady = new AtomicLong();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final Map<EventLoop, Recorder> recorders = new ConcurrentHashMap<>();
    private final LongAdder uniqueProgress = new LongAdder();
    private final MemoryShortage memory;
    private volatile boolean stopConnecting;
    private volatile boolean stopping;

    // set by arm(), read by the event loops after the arm task ran on them
    private volatile Mode mode = Mode.BROADCAST;
    private volatile AtomicLongArray unicastSeen;


    /**
     * @param sources source addresses to spread connections over (connection i uses
     *                sources[i % length]); empty = let the kernel choose
     */
    Clients(BenchTransport transport, URI uri, int n, int ramp, InetAddress[] sources, long handshakeTimeoutMillis,
            MemoryShortage memory) {
        this.memory = memory;
        this.transport = transport;
        this.uri = uri;
        this.n = n;
        this.ramp = Math.max(1, ramp);
        this.sources = sources;
        int port = uri.getPort() > 0 ? uri.getPort() : 80;
        this.remote = new InetSocketAddress(uri.getHost(), port);
        this.states = new AtomicIntegerArray(n);
        this.ids = new String[n];
        this.channels = new AtomicReferenceArray<>(n);
        this.bootstrap = new Bootstrap()
                .group(transport.group())
                .channel(transport.channelClass())
                .option(ChannelOption.TCP_NODELAY, true)
                // RST on close: no TIME_WAIT left on the client's ports between runs
                .option(ChannelOption.SO_LINGER, 0)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(handshakeTimeoutMillis, 30_000));
        if (transport.isEpoll() && sources.length > 0) {
            // bind(addr, 0) picks the port at connect() time, per destination: no quadratic bind()
            // search, and each source address gets the whole ephemeral range
            bootstrap.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
        }
        this.handshakeTimeoutMillis = handshakeTimeoutMillis;
    }

    // ------------------------------------------------------------------ connecting

    /** Starts connecting: {@code ramp} attempts now, one more each time one succeeds or fails. */
    void start() {
        firstAttempt.compareAndSet(0, System.nanoTime());
        for (int i = 0; i < Math.min(ramp, n); i++) {
            launchNext();
        }
    }

    private void launchNext() {
        if (stopConnecting) {
            return;
        }
        int i = next.getAndIncrement();
        if (i < n) {
            open(i);
        }
    }

    private void open(int i) {
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .version(WebSocketVersion.V13)
                .customHeaders(EmptyHttpHeaders.INSTANCE)
                .maxFramePayloadLength(64 << 20)
                .handshakeTimeoutMillis(handshakeTimeoutMillis)
                .dropPongFrames(true)
                .withUTF8Validator(false)
                .generateOriginHeader(false)
                .build();
        Bootstrap b = bootstrap.clone().handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                        new WebSocketClientProtocolHandler(config), new Client(i));
            }
        });
        ChannelFuture f = sources.length == 0 ? b.connect(remote)
                : b.connect(remote, new InetSocketAddress(sources[i % sources.length], 0));
        channels.set(i, f.channel());
        f.addListener(done -> {
            if (!done.isSuccess()) {
                fail(i, Bench.errorKind(done.cause()));
            }
        });
    }

    private void fail(int i, String kind) {
        if (states.compareAndSet(i, CONNECTING, FAILED)) {
            failed.incrementAndGet();
            errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
            Channel ch = channels.get(i);
            if (ch != null) {
                ch.close();
            }
            launchNext();
        }
    }

    private void markReady(int i, String clientId) {
        ids[i] = clientId;
        if (states.compareAndSet(i, CONNECTING, READY)) {
            ready.incrementAndGet();
            lastReady.set(System.nanoTime());
            launchNext();
        }
    }

    int ready() {
        return ready.get();
    }

    int failed() {
        return failed.get();
    }

    int opened() {
        return opened.get();
    }

    int settled() {
        return ready.get() + failed.get();
    }

    int closedAfterReady() {
        return closedAfterReady.get();
    }


    /** Seconds from the first attempt to the last connection that became ready. */
    double connectSeconds() {
        long last = lastReady.get();
        return last == 0 ? 0 : (last - firstAttempt.get()) / 1e9;
    }

    Map<String, Long> errors() {
        Map<String, Long> out = new TreeMap<>();
        errors.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** Gives up on every connection not ready yet: they count as failed (connect_timeout). */
    void stopConnecting() {
        stopConnecting = true;
        for (int i = 0; i < n; i++) {
            if (states.get(i) == CONNECTING) {
                fail(i, "connect_timeout");
            }
        }
    }

    boolean isReady(int i) {
        return states.get(i) == READY;
    }

    String clientId(int i) {
        return states.get(i) == READY ? ids[i] : null;
    }

    /** Indexes of the ready connections, ascending. */
    int[] readyIndexes() {
        int[] out = new int[n];
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (states.get(i) == READY) {
                out[k++] = i;
            }
        }
        return java.util.Arrays.copyOf(out, k);
    }

    /** Sends a WebSocket ping on every ready connection (a heartbeat the gateway counts as activity). */
    void pingAll() {
        for (int i = 0; i < n; i++) {
            Channel ch = channels.get(i);
            if (ch != null && states.get(i) == READY && ch.isActive()) {
                ch.writeAndFlush(new PingWebSocketFrame(), ch.voidPromise());
            }
        }
    }

    // ------------------------------------------------------------------ receiving

    /**
     * Starts counting bench messages with sequence numbers below {@code limit}: a broadcast of
     * that many messages, or that many unicast pushes. Frames that arrived before are not
     * counted; those numbered at or above the limit (a late warm-up message) count as unexpected.
     * Returns once every event loop took the new mode.
     */
    void arm(Mode mode, int limit) {
        this.mode = mode;
        this.unicastSeen = mode == Mode.UNICAST ? new AtomicLongArray((limit + 63) >>> 6) : null;
        uniqueProgress.reset();
        for (EventLoop loop : loops()) {
            Recorder r = recorder(loop);
            loop.submit(() -> r.arm(mode, limit)).syncUninterruptibly();
        }
    }

    /** Distinct bench messages received so far (for progress and for "all arrived"). */
    long uniqueSoFar() {
        return uniqueProgress.sum();
    }

    /** Every event loop's counters, merged; taken on the loops themselves. */
    Recorder snapshot() {
        Recorder total = new Recorder(null);
        for (Recorder r : new ArrayList<>(recorders.values())) {
            Recorder copy = r.loop.submit(r::copy).syncUninterruptibly().getNow();
            total.add(copy);
        }
        return total;
    }

    private List<EventLoop> loops() {
        List<EventLoop> out = new ArrayList<>();
        transport.group().forEach(e -> out.add((EventLoop) e));
        return out;
    }

    private Recorder recorder(EventLoop loop) {
        return recorders.computeIfAbsent(loop, Recorder::new);
    }

    /** Closes every connection (TCP RST) and waits up to {@code timeoutMillis} for them to go. */
    void closeAll(long timeoutMillis) {
        stopConnecting = true;
        stopping = true;
        List<ChannelFuture> closing = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Channel ch = channels.get(i);
            if (ch != null) {
                closing.add(ch.close());
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        for (ChannelFuture f : closing) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !f.awaitUninterruptibly(TimeUnit.NANOSECONDS.toMillis(left) + 1)) {
                break;
            }
        }
    }

    @Override
    public void close() {
        closeAll(10_000);
    }

    /** Per event loop receive counters; confined to {@link #loop} (copies are read elsewhere). */
    static final class Recorder {
        final EventLoop loop;
        final LatencyHistogram latency = new LatencyHistogram();
        boolean armed;
        Mode mode = Mode.BROADCAST;
        int limit;
        int epoch;
        long received;
        long unique;
        long dup;
        long other;
        long misrouted;
        long firstReceiptNanos;
        long lastReceiptNanos;

        Recorder(EventLoop loop) {
            this.loop = loop;
        }

        void arm(Mode mode, int limit) {
            this.mode = mode;
            this.limit = limit;
            epoch++;
            latency.reset();
            received = unique = dup = other = misrouted = 0;
            firstReceiptNanos = lastReceiptNanos = 0;
            armed = true;
        }

        Recorder copy() {
            Recorder c = new Recorder(null);
            c.add(this);
            return c;
        }

        void add(Recorder o) {
            latency.merge(o.latency);
            received += o.received;
            unique += o.unique;
            dup += o.dup;
            other += o.other;
            misrouted += o.misrouted;
            if (o.firstReceiptNanos != 0 && (firstReceiptNanos == 0 || o.firstReceiptNanos - firstReceiptNanos < 0)) {
                firstReceiptNanos = o.firstReceiptNanos;
            }
            if (o.lastReceiptNanos != 0 && (lastReceiptNanos == 0 || o.lastReceiptNanos - lastReceiptNanos > 0)) {
                lastReceiptNanos = o.lastReceiptNanos;
            }
        }
    }

    /** One connection's handler: waits for the welcome message, then parses bench messages. */
    private final class Client extends ChannelInboundHandlerAdapter {
        private final int index;
        private Recorder recorder;
        private long[] seen; // broadcast: which of the messages arrived here
        private int seenEpoch;
        private boolean ready;
        private boolean handshaken;

        Client(int index) {
            this.index = index;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            recorder = recorder(ctx.channel().eventLoop());
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                handshaken = true;
                opened.incrementAndGet();
                // a gateway with its welcome message switched off would leave the client waiting
                // until --connect-timeout; a no-op once the client is ready
                ctx.executor().schedule(() -> fail(index, "no_welcome_message"), handshakeTimeoutMillis,
                        TimeUnit.MILLISECONDS);
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                fail(index, "handshake_timeout");
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof TextWebSocketFrame || msg instanceof BinaryWebSocketFrame) {
                    frame(((WebSocketFrame) msg).content());
                } else if (recorder.armed) {
                    recorder.other++;
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        private void frame(ByteBuf content) {
            int start = content.readerIndex();
            int p;
            if (content.readableBytes() >= 6 && content.getByte(start) == 'B' && content.getByte(start + 1) == 'E'
                    && content.getByte(start + 2) == 'N' && content.getByte(start + 5) == ':') {
                p = start;
            } else {
                p = ByteBufUtil.indexOf(MARK, content);
            }
            if (p < 0) {
                if (!ready) {
                    welcome(content);
                } else if (recorder.armed) {
                    recorder.other++;
                }
                return;
            }
            long now = System.nanoTime();
            Recorder r = recorder;
            if (!r.armed) {
                return;
            }
            int end = content.writerIndex();
            p += 6;
            long seq = 0;
            long ts = 0;
            long dst = 0;
            byte c;
            while (p < end && (c = content.getByte(p++)) >= '0' && c <= '9') {
                seq = seq * 10 + (c - '0');
            }
            while (p < end && (c = content.getByte(p++)) >= '0' && c <= '9') {
                ts = ts * 10 + (c - '0');
            }
            while (p < end && (c = content.getByte(p++)) >= '0' && c <= '9') {
                dst = dst * 10 + (c - '0');
            }
            if (seq >= r.limit) { // a late warm-up message
                r.other++;
                return;
            }
            r.received++;
            if (r.firstReceiptNanos == 0) {
                r.firstReceiptNanos = now;
            }
            r.lastReceiptNanos = now;
            r.latency.record(now / 1000 - ts);
            if (r.mode == Mode.BROADCAST) {
                if (seen == null || seenEpoch != r.epoch) {
                    seen = new long[(r.limit + 63) >>> 6];
                    seenEpoch = r.epoch;
                }
                int s = (int) seq;
                long bit = 1L << (s & 63);
                if ((seen[s >>> 6] & bit) != 0) {
                    r.dup++;
                } else {
                    seen[s >>> 6] |= bit;
                    r.unique++;
                    uniqueProgress.increment();
                }
            } else {
                if (dst != index) {
                    r.misrouted++;
                }
                AtomicLongArray bits = unicastSeen;
                if (bits == null) {
                    r.other++;
                    return;
                }
                int s = (int) seq;
                long bit = 1L << (s & 63);
                long before = bits.getAndAccumulate(s >>> 6, bit, (a, b) -> a | b);
                if ((before & bit) != 0) {
                    r.dup++;
                } else {
                    r.unique++;
                    uniqueProgress.increment();
                }
            }
        }

        /** The first frame that is not a bench message: the welcome message with the client_id. */
        private void welcome(ByteBuf content) {
            String id = null;
            try {
                JsonNode init = JSON.readTree(content.toString(StandardCharsets.UTF_8));
                if (init != null && init.hasNonNull("client_id")) {
                    id = init.get("client_id").asText();
                }
            } catch (java.io.IOException | RuntimeException e) {
                id = null;
            }
            if (id == null) {
                fail(index, "no_client_id_in_welcome");
                return;
            }
            ready = true;
            markReady(index, id);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (ready) {
                if (!stopping) {
                    closedAfterReady.incrementAndGet();
                }
            } else {
                fail(index, handshaken ? "closed_before_welcome" : "closed");
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            memory.record(cause);
            if (!ready) {
                fail(index, Bench.errorKind(cause));
            }
            ctx.close();
        }
    }
}
