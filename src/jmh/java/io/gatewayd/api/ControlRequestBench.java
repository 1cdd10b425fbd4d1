package io.gatewayd.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A control request's body to its API method's answer, without HTTP: parse the JSON
 * ({@link RequestParams#body}), wrap it in {@link Params}, call the method from the
 * {@link ApiMethods} table. sendToUid goes to a uid nobody is bound to, so the registry lookup
 * is in and the socket writes are not; /api/batch of 100 such pushes is the same, 100 times
 * over one parse.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@State(Scope.Thread)
public class ControlRequestBench {
    @Param({"200"})
    public int size;

    private BenchApi api;
    private ApiMethods methods;
    private ApiMethods.Method sendToUid;
    private ByteBuf single;
    private ByteBuf batch;

    @Setup(Level.Trial)
    public void setUp() {
        api = new BenchApi();
        methods = api.methods;
        sendToUid = methods.get("sendToUid");
        String message = "BENCH:12345:987654321:42:" + "x".repeat(Math.max(0, size - 25));
        String one = "{\"uid\":\"u42\",\"message\":\"" + message + "\"}";
        single = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(one.getBytes(StandardCharsets.UTF_8)));
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < 100; i++) {
            sb.append(i == 0 ? "" : ",").append("{\"method\":\"sendToUid\",\"params\":").append(one).append('}');
        }
        batch = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(sb.append(']').toString()
                .getBytes(StandardCharsets.UTF_8)));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        api.close();
    }

    @Benchmark
    public JsonNode parse() {
        return RequestParams.body(single);
    }

    @Benchmark
    public Object parseAndDispatch() {
        JsonNode params = RequestParams.body(single);
        return sendToUid.handler().apply(new Params((ObjectNode) params)).join();
    }

    /** One /api/batch body of 100 sendToUid calls: parse once, look each method up, call it. */
    @Benchmark
    public int parseAndDispatchBatchOf100() {
        JsonNode items = RequestParams.body(batch);
        int ok = 0;
        for (JsonNode item : items) {
            ApiMethods.Method m = methods.get(item.get("method").textValue());
            if (m.handler().apply(new Params((ObjectNode) item.get("params"))).join() != null) {
                ok++;
            }
        }
        return ok;
    }
}
