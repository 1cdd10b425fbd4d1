package io.gatewayd.api;

import io.gatewayd.config.ControlConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * One keep-alive control request from its bytes to the response's bytes, through the control
 * port's own pipeline ({@link ControlServer#initPipeline}: HTTP codec, guard, body aggregator,
 * handler) on an {@link EmbeddedChannel}. The same sendToUid as {@link ControlRequestBench}
 * (a uid nobody is bound to: no socket write), so the difference between the two is what HTTP
 * and the pipeline add per request in user space; the system calls are not in either.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@State(Scope.Thread)
public class ControlPipelineBench {
    private BenchApi api;
    private EmbeddedChannel channel;
    private ByteBuf request;

    @Setup(Level.Trial)
    public void setUp() {
        api = new BenchApi();
        ControlServer server = new ControlServer(ControlConfig.defaults(), api.methods, api.stats, Json::object,
                () -> "ok");
        channel = new EmbeddedChannel() {
            @Override
            protected SocketAddress remoteAddress0() {
                return new InetSocketAddress("127.0.0.1", 40000); // the guard limits per address
            }
        };
        server.initPipeline(channel);
        // what the Node load client sends for one push (200-byte message)
        String body = "{\"uid\":\"u42\",\"message\":\"BENCH:12345:987654321:42:" + "x".repeat(175) + "\"}";
        String head = "POST /api/sendToUid HTTP/1.1\r\nHost: 127.0.0.1:8283\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: keep-alive\r\n\r\n";
        request = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer((head + body).getBytes(StandardCharsets.UTF_8)));
        if (request() == 0) {
            throw new IllegalStateException("the control pipeline did not answer");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        channel.finishAndReleaseAll();
        api.close();
    }

    /** Bytes of the response, read and released as a socket write would. */
    @Benchmark
    public int request() {
        channel.writeInbound(request.duplicate());
        int bytes = 0;
        Object out;
        while ((out = channel.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) out;
            bytes += b.readableBytes();
            b.release();
        }
        return bytes;
    }
}
