package io.gatewayd.delivery;

import io.gatewayd.registry.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The bytes of one broadcast to {@value #RECIPIENTS} WebSocket clients, per recipient:
 * {@link OutboundMessage} encodes the frame once and hands every recipient a retained duplicate;
 * the alternative is a {@link TextWebSocketFrame} per recipient that Netty's encoder turns into
 * a header buffer plus the payload for each. Both go through the same encoder stage of a
 * pipeline (an encoded ByteBuf passes it untouched), so the difference is the encoding alone.
 * Socket writes are not included: see the load tool for those.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@State(Scope.Thread)
public class BroadcastEncodeBench {
    static final int RECIPIENTS = 1000;

    @Param({"200", "4096"})
    public int size;

    private byte[] payload;
    private EmbeddedChannel pipeline;

    @Setup(Level.Trial)
    public void setUp() {
        payload = new byte[size];
        Arrays.fill(payload, (byte) 'x');
        byte[] head = "BENCH:1:2:3:".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, payload, 0, Math.min(head.length, size));
        pipeline = new EmbeddedChannel(new WebSocket13FrameEncoder(false));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pipeline.finishAndReleaseAll();
    }

    /** What the gateway does: one frame encoded once, a retained duplicate per recipient. */
    @Benchmark
    @OperationsPerInvocation(RECIPIENTS)
    public long encodeOnceShared() {
        OutboundMessage m = OutboundMessage.text(payload.clone());
        long bytes = 0;
        for (int i = 0; i < RECIPIENTS; i++) {
            bytes += pass(m.writable(WireFormat.WEBSOCKET));
        }
        m.release();
        return bytes;
    }

    /** The naive way: a TextWebSocketFrame per recipient, encoded per recipient. */
    @Benchmark
    @OperationsPerInvocation(RECIPIENTS)
    public long framePerRecipient() {
        byte[] p = payload.clone();
        long bytes = 0;
        for (int i = 0; i < RECIPIENTS; i++) {
            bytes += pass(new TextWebSocketFrame(Unpooled.wrappedBuffer(p)));
        }
        return bytes;
    }

    /** Through the encoder stage and out; released as a flushed write would be. */
    private long pass(Object msg) {
        pipeline.writeOutbound(msg);
        long n = 0;
        Object out;
        while ((out = pipeline.readOutbound()) != null) {
            if (out instanceof ByteBuf b) {
                n += b.readableBytes();
            }
            ReferenceCountUtil.release(out);
        }
        return n;
    }
}
