package io.gatewayd.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A plain socket that speaks just enough HTTP and WebSocket framing to misbehave on purpose:
 * unmasked frames, reserved bits, lying lengths, half frames, raw bytes.
 */
public final class RawClient implements AutoCloseable {
    public static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    public RawClient(int port) throws IOException {
        this(port, 20_000);
    }

    public RawClient(int port, int readTimeoutMillis) throws IOException {
        this(new Socket("127.0.0.1", port), readTimeoutMillis);
    }

    /** Over a socket already connected, e.g. an SSLSocket to a wss:// listener. */
    public RawClient(Socket connected, int readTimeoutMillis) throws IOException {
        socket = connected;
        socket.setSoTimeout(readTimeoutMillis);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    public Socket socket() {
        return socket;
    }

    public static String handshake(String pathAndQuery, String... extraHeaderLines) {
        StringBuilder sb = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + KEY + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n");
        for (String h : extraHeaderLines) {
            sb.append(h).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    public RawClient write(String ascii) throws IOException {
        return write(ascii.getBytes(StandardCharsets.UTF_8));
    }

    public RawClient write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** Sends a valid handshake and returns the response head ("HTTP/1.1 101 ..." and headers). */
    public String upgrade() throws IOException {
        write(handshake("/"));
        return readHead();
    }

    /** Reads an HTTP response head up to the blank line. */
    public String readHead() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("closed after: " + b.toString(StandardCharsets.ISO_8859_1));
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** Reads the body that follows {@code head}, as long as its Content-Length says. */
    public String readBody(String head) throws IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(head);
        if (!m.find()) {
            throw new IOException("no Content-Length in: " + head);
        }
        return new String(in.readNBytes(Integer.parseInt(m.group(1))), StandardCharsets.UTF_8);
    }

    /** The status code of an HTTP response head. */
    public static int status(String head) {
        return Integer.parseInt(head.substring(9, 12));
    }

    /** A client frame; {@code masked} false breaks the protocol on purpose. */
    public static byte[] frame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write((fin ? 0x80 : 0) | (rsv & 0x7) << 4 | (opcode & 0xf));
        int n = payload.length;
        int m = masked ? 0x80 : 0;
        if (n <= 125) {
            b.write(m | n);
        } else if (n <= 0xffff) {
            b.write(m | 126);
            b.write(n >> 8);
            b.write(n);
        } else {
            b.write(m | 127);
            for (int i = 7; i >= 0; i--) {
                b.write((int) ((long) n >> (8 * i)));
            }
        }
        byte[] mask = new byte[4];
        if (masked) {
            ThreadLocalRandom.current().nextBytes(mask);
            b.write(mask, 0, 4);
        }
        for (int i = 0; i < n; i++) {
            b.write(payload[i] ^ (masked ? mask[i % 4] : 0));
        }
        return b.toByteArray();
    }

    /** A permessage-deflate payload (RFC 7692): raw deflate, flushed, without the 00 00 ff ff tail. */
    public static byte[] deflated(byte[] data) {
        java.util.zip.Deflater d = new java.util.zip.Deflater(java.util.zip.Deflater.BEST_COMPRESSION, true);
        d.setInput(data);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int n;
        while ((n = d.deflate(buf, 0, buf.length, java.util.zip.Deflater.SYNC_FLUSH)) > 0) {
            b.write(buf, 0, n);
        }
        d.end();
        byte[] out = b.toByteArray();
        return java.util.Arrays.copyOf(out, out.length - 4);
    }

    public static byte[] text(String s) {
        return frame(true, 0, 1, true, s.getBytes(StandardCharsets.UTF_8));
    }

    /** A server frame: opcode and payload. */
    public record Frame(int opcode, byte[] payload, int rsv) {
        public Frame(int opcode, byte[] payload) {
            this(opcode, payload, 0);
        }

        /** RSV1: the payload is compressed (permessage-deflate). */
        public boolean compressed() {
            return (rsv & 0x4) != 0;
        }

        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The close code of a close frame, 1005 if it has none. */
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : 1005;
        }
    }

    public Frame readFrame() throws IOException {
        int b0 = in.read();
        int b1 = in.read();
        if (b0 < 0 || b1 < 0) {
            throw new IOException("closed");
        }
        long len = b1 & 0x7f;
        if (len == 126) {
            len = (in.read() << 8) | in.read();
        } else if (len == 127) {
            len = 0;
            for (int i = 0; i < 8; i++) {
                len = (len << 8) | in.read();
            }
        }
        return new Frame(b0 & 0x0f, in.readNBytes((int) len), (b0 >> 4) & 0x7);
    }

    /**
     * Reads frames until a close frame (returns its code) or the end of the stream (returns -1).
     * Fails if neither comes within the read timeout.
     */
    public int awaitClose() throws IOException {
        try {
            while (true) {
                Frame f = readFrame();
                if (f.opcode() == 8) {
                    return f.closeCode();
                }
            }
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Every frame until the server ends the stream, as text, a close frame as "close frame CODE".
     * Fails on a reset or if the end does not come within the read timeout.
     */
    public List<String> framesUntilEnd() throws IOException {
        List<String> received = new ArrayList<>();
        try {
            while (true) {
                Frame f = readFrame();
                received.add(f.opcode() == 8 ? "close frame " + f.closeCode() : f.text());
            }
        } catch (IOException end) {
            if (!"closed".equals(end.getMessage())) {
                throw end;
            }
        }
        return received;
    }

    /** True once the server closed the connection (EOF or reset), draining whatever comes first. */
    public boolean closedByServer() {
        byte[] buf = new byte[8192];
        try {
            while (in.read(buf) >= 0) {
                // drain
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
