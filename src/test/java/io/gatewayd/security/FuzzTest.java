package io.gatewayd.security;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Throws mutated inputs at every listener and at the control API for a bounded time, then checks
 * that a normal client is still served and every count is back at its baseline. Seeded: the seed
 * is printed, and {@code -Dgatewayd.fuzz.seed=N} replays a run.
 */
class FuzzTest {
    static final String TOKEN = "fuzz-control-token";
    static final long BUDGET_MILLIS_PER_TARGET = Long.getLong("gatewayd.fuzz.millis", 5000);
    static final int MAX_INPUTS_PER_TARGET = 1500;

    @Test
    void mutatedInputsLeaveTheGatewayServingAndLeakFree() throws Exception {
        long seed = Long.getLong("gatewayd.fuzz.seed", System.nanoTime());
        System.out.println("FuzzTest seed: " + seed + " (replay with -Dgatewayd.fuzz.seed=" + seed + ")");
        Random random = new Random(seed);
        try (TestGateway gw = TestGateway.start("""
                listeners:
                  - url: websocket://127.0.0.1:0
                    max-frame-size: 4KiB
                  - url: text://127.0.0.1:0
                    max-frame-size: 1KiB
                  - url: frame://127.0.0.1:0
                    max-frame-size: 1KiB
                control:
                  listen: http://127.0.0.1:0
                  tokens: [%s]
                  max-body-size: 8KiB
                limits:
                  handshake-timeout: 2s
                """.formatted(TOKEN)).withToken(TOKEN)) {
            gw.call("getAllClientIdCount", Map.of());
            int baselineControl = gw.gateway().controlConnections();
            long baselineDirect = PlatformDependent.usedDirectMemory();
            String where = " (seed " + seed + ")";

            int total = 0;
            total += fuzz(random, gw.gateway().port("websocket"), wsCorpus());
            total += fuzz(random, gw.gateway().port("text"), textCorpus());
            total += fuzz(random, gw.gateway().port("frame"), frameCorpus());
            total += fuzz(random, gw.gateway().controlPort(), controlCorpus());
            System.out.println("FuzzTest sent " + total + " inputs" + where);

            Await.until("registry, sockets and addresses back to baseline" + where, Duration.ofSeconds(60),
                    () -> gw.gateway().registry().size() == 0 && gw.gateway().guard().openSockets() == 0
                            && gw.gateway().guard().trackedAddresses() == 0);
            Await.until("control connections back to baseline" + where, Duration.ofSeconds(60),
                    () -> gw.gateway().controlConnections() <= baselineControl + 1);
            try (WsClient c = gw.client()) {
                c.send("{\"type\":\"AFTER_FUZZ\"}");
                assertThat(c.nextJson().get("type").asText()).as("a normal client is served" + where)
                        .isEqualTo("AFTER_FUZZ");
                gw.call("sendToClient", Map.of("client_id", c.clientId(), "message", "pushed"));
                assertThat(c.next()).as("pushes work" + where).isEqualTo("pushed");
            }
            long direct = PlatformDependent.usedDirectMemory();
            if (baselineDirect >= 0 && direct >= 0) {
                assertThat(direct - baselineDirect).as("direct memory held after the fuzz" + where)
                        .isLessThan(64L * 1024 * 1024);
            }
        }
    }

    /** Sends mutated inputs to one port until the budget runs out; returns how many. */
    static int fuzz(Random random, int port, List<byte[]> corpus) {
        long deadline = System.nanoTime() + BUDGET_MILLIS_PER_TARGET * 1_000_000L;
        int n = 0;
        byte[] buf = new byte[8192];
        while (n < MAX_INPUTS_PER_TARGET && System.nanoTime() < deadline) {
            byte[] input = mutate(random, corpus.get(random.nextInt(corpus.size())), corpus);
            boolean read = random.nextInt(4) == 0;
            boolean abort = random.nextBoolean();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                s.setSoTimeout(20);
                s.getOutputStream().write(input);
                s.getOutputStream().flush();
                if (read) {
                    InputStream in = s.getInputStream();
                    try {
                        in.read(buf);
                    } catch (IOException timeoutOrReset) {
                        // whatever the gateway answers (or not) is fine
                    }
                }
                if (abort) {
                    s.setSoLinger(true, 0); // close with RST
                }
            } catch (IOException e) {
                // the gateway hung up on us: a fine answer to garbage
            }
            n++;
        }
        return n;
    }

    static byte[] mutate(Random r, byte[] seed, List<byte[]> corpus) {
        byte[] b = seed.clone();
        int rounds = 1 + r.nextInt(4);
        for (int i = 0; i < rounds; i++) {
            switch (r.nextInt(8)) {
                case 0 -> { // flip bits
                    if (b.length > 0) {
                        int p = r.nextInt(b.length);
                        b[p] ^= (byte) (1 << r.nextInt(8));
                    }
                }
                case 1 -> { // random byte
                    if (b.length > 0) {
                        b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                    }
                }
                case 2 -> b = insert(b, r.nextInt(b.length + 1), randomBytes(r, 1 + r.nextInt(64)));
                case 3 -> { // delete a range
                    if (b.length > 1) {
                        int from = r.nextInt(b.length);
                        int to = Math.min(b.length, from + 1 + r.nextInt(16));
                        b = concat(java.util.Arrays.copyOfRange(b, 0, from), java.util.Arrays.copyOfRange(b, to, b.length));
                    }
                }
                case 4 -> { // truncate
                    if (b.length > 0) {
                        b = java.util.Arrays.copyOf(b, r.nextInt(b.length));
                    }
                }
                case 5 -> { // duplicate a range, sometimes many times
                    if (b.length > 0) {
                        int from = r.nextInt(b.length);
                        int len = Math.min(b.length - from, 1 + r.nextInt(32));
                        byte[] part = java.util.Arrays.copyOfRange(b, from, from + len);
                        int times = r.nextInt(10) == 0 ? 200 : 1 + r.nextInt(4);
                        for (int t = 0; t < times; t++) {
                            b = insert(b, from, part);
                        }
                    }
                }
                case 6 -> { // extreme values where lengths live
                    if (b.length > 4) {
                        int p = r.nextInt(b.length - 4);
                        int v = switch (r.nextInt(4)) {
                            case 0 -> Integer.MAX_VALUE;
                            case 1 -> Integer.MIN_VALUE;
                            case 2 -> -1;
                            default -> 0;
                        };
                        b[p] = (byte) (v >>> 24);
                        b[p + 1] = (byte) (v >>> 16);
                        b[p + 2] = (byte) (v >>> 8);
                        b[p + 3] = (byte) v;
                    }
                }
                default -> b = concat(b, corpus.get(r.nextInt(corpus.size()))); // splice another input on
            }
        }
        return b.length > 256 * 1024 ? java.util.Arrays.copyOf(b, 256 * 1024) : b;
    }

    static byte[] randomBytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    static byte[] insert(byte[] b, int at, byte[] part) {
        byte[] out = new byte[b.length + part.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(part, 0, out, at, part.length);
        System.arraycopy(b, at, out, at + part.length, b.length - at);
        return out;
    }

    static byte[] concat(byte[] a, byte[] b) {
        return insert(a, a.length, b);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static List<byte[]> wsCorpus() {
        byte[] hs = ascii(RawClient.handshake("/chat?room=1"));
        ByteArrayOutputStream session = new ByteArrayOutputStream();
        session.writeBytes(hs);
        session.writeBytes(RawClient.text("{\"type\":\"MANAGE_HEARTBEAT\"}"));
        session.writeBytes(RawClient.frame(true, 0, 9, true, ascii("ping")));
        session.writeBytes(RawClient.frame(false, 0, 1, true, ascii("{\"part\":")));
        session.writeBytes(RawClient.frame(true, 0, 0, true, ascii("1}")));
        session.writeBytes(RawClient.frame(true, 0, 2, true, new byte[300]));
        session.writeBytes(RawClient.frame(true, 0, 8, true, new byte[] {0x03, (byte) 0xe8}));
        return List.of(hs, session.toByteArray(), concat(hs, RawClient.text("x".repeat(200))),
                ascii("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    }

    static List<byte[]> textCorpus() {
        return List.of(ascii("{\"type\":\"DEVICE_HEARTBEAT\"}\n"), ascii("hello\nworld\n"), ascii("x".repeat(900) + "\n"));
    }

    static List<byte[]> frameCorpus() {
        byte[] payload = ascii("{\"type\":\"DEVICE_HEARTBEAT\"}");
        byte[] f = new byte[payload.length + 4];
        int len = payload.length + 4;
        f[0] = (byte) (len >>> 24);
        f[1] = (byte) (len >>> 16);
        f[2] = (byte) (len >>> 8);
        f[3] = (byte) len;
        System.arraycopy(payload, 0, f, 4, payload.length);
        return List.of(f, concat(f, f), new byte[] {0, 0, 0, 4});
    }

    static List<byte[]> controlCorpus() {
        String body = "{\"message\":{\"type\":\"X\",\"n\":[1,2,{\"a\":null}]},\"exclude_client_ids\":[]}";
        String post = "POST /api/sendToAll HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN + "\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        String batch = "[{\"method\":\"getAllClientIdCount\"},{\"method\":\"bindUid\",\"params\":{\"client_id\":\"00000000000000000000\",\"uid\":1}}]";
        String postBatch = "POST /api/batch HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + TOKEN + "\r\nContent-Length: "
                + batch.length() + "\r\n\r\n" + batch;
        String form = "uids[]=1&uids[]=2&message=hi";
        String postForm = "POST /api/sendToUid HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + TOKEN + "\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + form.length() + "\r\n\r\n" + form;
        return List.of(ascii(post), ascii(postBatch), ascii(postForm),
                ascii("GET /api/status HTTP/1.1\r\nHost: x\r\nX-Api-Key: " + TOKEN + "\r\n\r\n"),
                ascii("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"),
                ascii("POST /api/sendToAll HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nX-Api-Key: " + TOKEN
                        + "\r\n\r\n5\r\n{\"mes\r\n0\r\n\r\n"));
    }
}
