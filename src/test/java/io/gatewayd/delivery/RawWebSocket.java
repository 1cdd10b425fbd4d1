package io.gatewayd.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A hand-rolled WebSocket client over a plain socket, for clients that misbehave on purpose. */
final class RawWebSocket implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    static RawWebSocket open(String host, int port) throws IOException {
        Socket s = new Socket(host, port);
        s.setSoTimeout(20_000);
        s.setReceiveBufferSize(4096);
        RawWebSocket ws = new RawWebSocket(s);
        String key = Base64.getEncoder().encodeToString("0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        ws.out.write(("GET / HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        ws.out.flush();
        String headers = ws.readHeaders();
        if (!headers.startsWith("HTTP/1.1 101")) {
            throw new IOException("handshake refused: " + headers);
        }
        return ws;
    }

    private String readHeaders() throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("closed during handshake: " + sb);
            }
            sb.append((char) b);
        }
        return sb.toString();
    }

    /** Reads one unfragmented server frame's payload. */
    String readTextFrame() throws IOException {
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
        byte[] payload = in.readNBytes((int) len);
        return new String(payload, StandardCharsets.UTF_8);
    }

    String readWelcome() throws IOException {
        return readTextFrame();
    }

    /** From now on nothing is read: the test simply never calls read again. */
    void stopReading() {
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
