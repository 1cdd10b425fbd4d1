package io.gatewayd.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The load client's HTTP pool against a plain HTTP server: pipelining, reconnects, timeouts. */
class ApiPoolTest {
    private HttpServer server;
    private BenchTransport transport;
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() {
        release.countDown();
        if (transport != null) {
            transport.close();
        }
        if (server != null) {
            server.stop(0);
        }
    }

    private URI serve(boolean closeAfterEach, boolean hang) throws IOException {
        AtomicInteger n = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(2));
        server.createContext("/api/", (HttpExchange ex) -> {
            try (ex) {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                if (hang) {
                    release.await(20, TimeUnit.SECONDS); // a gateway that never answers (until the test ends)
                }
                byte[] out = ("{\"result\":{\"delivered\":" + n.incrementAndGet() + "},\"echo\":" + body + "}")
                        .getBytes(StandardCharsets.UTF_8);
                if (closeAfterEach) {
                    ex.getResponseHeaders().set("Connection", "close");
                }
                ex.sendResponseHeaders(200, out.length);
                ex.getResponseBody().write(out);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        server.start();
        transport = new BenchTransport(1);
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    record Answer(int status, String body, String failure) {
    }

    private static CompletableFuture<Answer> post(ApiPool pool, int i, String json) {
        CompletableFuture<Answer> f = new CompletableFuture<>();
        ByteBuf body = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        pool.post(i, "/api/sendToAll", body, (status, content, failure) -> f.complete(new Answer(status,
                content == null ? null : content.toString(StandardCharsets.UTF_8), failure)));
        return f;
    }

    @Test
    void pipelinedRequestsOnOneConnectionAreAnsweredInOrder() throws Exception {
        URI base = serve(false, false);
        ApiPool pool = new ApiPool(transport, base, "t0ken", 1, 10_000);
        List<CompletableFuture<Answer>> all = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            all.add(post(pool, 0, "{\"i\":" + i + "}"));
        }
        for (int i = 0; i < 5; i++) {
            Answer a = all.get(i).get(20, TimeUnit.SECONDS);
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.body()).contains("\"echo\":{\"i\":" + i + "}");
            assertThat(Bench.delivered(Unpooled.copiedBuffer(a.body(), StandardCharsets.UTF_8))).isEqualTo(i + 1);
        }
        assertThat(pool.reconnects()).isZero();
        pool.close();
    }

    @Test
    void aConnectionTheServerClosedIsOpenedAgainForTheNextRequest() throws Exception {
        URI base = serve(true, false);
        ApiPool pool = new ApiPool(transport, base, null, 1, 10_000);
        for (int i = 0; i < 3; i++) {
            Answer a = post(pool, 0, "{}").get(20, TimeUnit.SECONDS);
            assertThat(a.status()).as(String.valueOf(a)).isEqualTo(200);
            int done = i;
            // the server closes after each answer; wait until the pool has seen it, then send again
            io.gatewayd.testing.Await.until("the pool saw the close", () -> !pool.activeForTest(0) || done == 2);
        }
        assertThat(pool.reconnects()).isEqualTo(2);
        pool.close();
    }

    @Test
    void aRequestWithoutAnswerFailsAfterTheTimeout() throws Exception {
        URI base = serve(false, true);
        ApiPool pool = new ApiPool(transport, base, null, 1, 300);
        Answer a = post(pool, 0, "{}").get(20, TimeUnit.SECONDS);
        assertThat(a.status()).isZero();
        assertThat(a.failure()).isEqualTo("timeout");
        pool.close();
    }
}
