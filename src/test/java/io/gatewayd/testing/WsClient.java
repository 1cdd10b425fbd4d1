package io.gatewayd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A real WebSocket client (the JDK's) that records what it receives. Text messages arrive as
 * strings; binary ones as "binary:" + base64.
 */
public final class WsClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient SHARED = HttpClient.newHttpClient();

    private final LinkedBlockingQueue<String> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();
    private final List<String> closeReasons = new ArrayList<>();
    private final WebSocket ws;
    private volatile String clientId;

    private WsClient(WebSocket.Builder builder, URI uri) {
        this.ws = builder.buildAsync(uri, new Listener()).orTimeout(20, TimeUnit.SECONDS).join();
    }

    public static WsClient connect(URI uri) {
        return new WsClient(SHARED.newWebSocketBuilder(), uri);
    }

    public static WsClient connect(HttpClient client, URI uri) {
        return new WsClient(client.newWebSocketBuilder(), uri);
    }

    /** Connects with a prepared builder (extra headers, subprotocols). */
    public static WsClient connect(WebSocket.Builder builder, URI uri) {
        return new WsClient(builder, uri);
    }

    /** Connects and reads the SERVER_INIT welcome message, remembering the client_id. */
    public static WsClient connectAndInit(URI uri) {
        WsClient c = connect(uri);
        c.init();
        return c;
    }

    public static WsClient connectAndInit(HttpClient client, URI uri) {
        WsClient c = connect(client, uri);
        c.init();
        return c;
    }

    public JsonNode init() {
        JsonNode init = json(next());
        if (!"SERVER_INIT".equals(init.path("type").asText())) {
            throw new AssertionError("expected SERVER_INIT first, got " + init);
        }
        clientId = init.get("client_id").asText();
        return init;
    }

    public String clientId() {
        return clientId;
    }

    public WebSocket socket() {
        return ws;
    }

    public void send(String text) {
        ws.sendText(text, true).orTimeout(10, TimeUnit.SECONDS).join();
    }

    public void sendPing() {
        ws.sendPing(ByteBuffer.allocate(0)).orTimeout(10, TimeUnit.SECONDS).join();
    }

    /** The next message, waiting up to 20 s. */
    public String next() {
        return next(Await.DEFAULT);
    }

    public String next(Duration timeout) {
        try {
            String m = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (m == null) {
                throw new AssertionError("no message within " + timeout.toMillis() + " ms (closed: "
                        + closed.getNow(null) + ")");
            }
            return m;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public JsonNode nextJson() {
        return json(next());
    }

    /** The next message if one is already queued (no waiting), else null. */
    public String poll() {
        return messages.poll();
    }

    public int pending() {
        return messages.size();
    }

    /** Waits for the server to close the connection and returns the close code. */
    public int awaitClose(Duration timeout) {
        return closed.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join();
    }

    public CompletableFuture<Integer> closeFuture() {
        return closed;
    }

    public boolean isClosed() {
        return closed.isDone();
    }

    public synchronized String closeReason() {
        return closeReasons.isEmpty() ? null : closeReasons.get(0);
    }

    public static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + s, e);
        }
    }

    @Override
    public void close() {
        if (!closed.isDone()) {
            try {
                ws.sendClose(1000, "bye").orTimeout(5, TimeUnit.SECONDS).join();
            } catch (Exception ignored) {
                // already closing
            }
            ws.abort();
        }
    }

    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();
        private final java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();

        @Override
        public void onOpen(WebSocket webSocket) {
            webSocket.request(Long.MAX_VALUE);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                messages.add(text.toString());
                text.setLength(0);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.writeBytes(b);
            if (last) {
                messages.add("binary:" + java.util.Base64.getEncoder().encodeToString(binary.toByteArray()));
                binary.reset();
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            synchronized (WsClient.this) {
                closeReasons.add(reason);
            }
            closed.complete(statusCode);
            return null;
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            closed.complete(1006);
        }
    }
}
