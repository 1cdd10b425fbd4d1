package io.gatewayd.testing;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.cert.X509Certificate;

/**
 * A TLS client over a plain socket through an {@link SSLEngine}: unlike SSLSocket it can end its
 * side with a FIN and no close_notify ({@link Socket#shutdownOutput} on the raw socket), send
 * close_notify and keep reading, or stop in the middle of the handshake. Trusts any certificate.
 */
public final class EngineSocket {
    private final Socket socket;
    private final SSLEngine engine;
    private final InputStream rawIn;
    private final OutputStream rawOut;
    private ByteBuffer netIn;
    private ByteBuffer appIn;
    private boolean closeNotifyReceived;

    public EngineSocket(Socket socket) throws Exception {
        this.socket = socket;
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        engine = ctx.createSSLEngine("127.0.0.1", socket.getPort());
        engine.setUseClientMode(true);
        rawIn = socket.getInputStream();
        rawOut = socket.getOutputStream();
        netIn = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        netIn.flip();
        appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
        appIn.flip();
    }

    public Socket socket() {
        return socket;
    }

    /** Sends the ClientHello only: a client that stops in the middle of the handshake. */
    public void sendClientHello() throws IOException {
        engine.beginHandshake();
        wrap(ByteBuffer.allocate(0));
    }

    public void handshake() throws IOException {
        engine.beginHandshake();
        while (true) {
            switch (engine.getHandshakeStatus()) {
                case NEED_WRAP -> wrap(ByteBuffer.allocate(0));
                case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
                    if (!unwrapOnce()) {
                        throw new EOFException("the server ended the connection during the handshake");
                    }
                }
                case NEED_TASK -> runTasks();
                default -> {
                    return;
                }
            }
        }
    }

    /** close_notify, and nothing more; the socket stays open both ways. */
    public void sendCloseNotify() throws IOException {
        engine.closeOutbound();
        while (!engine.isOutboundDone()) {
            wrap(ByteBuffer.allocate(0));
        }
    }

    /** The TLS version negotiated, e.g. TLSv1.3. */
    public String protocol() {
        return engine.getSession().getProtocol();
    }

    /** True once the server's close_notify was read. */
    public boolean closeNotifyReceived() {
        return closeNotifyReceived;
    }

    public InputStream in() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                while (!appIn.hasRemaining()) {
                    if (closeNotifyReceived || !unwrapOnce()) {
                        return -1;
                    }
                }
                int n = Math.min(len, appIn.remaining());
                appIn.get(b, off, n);
                return n;
            }
        };
    }

    public OutputStream out() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer src = ByteBuffer.wrap(b, off, len);
                while (src.hasRemaining()) {
                    wrap(src);
                }
            }
        };
    }

    private void wrap(ByteBuffer src) throws IOException {
        ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
        SSLEngineResult r = engine.wrap(src, out);
        if (r.getStatus() != SSLEngineResult.Status.OK && r.getStatus() != SSLEngineResult.Status.CLOSED) {
            throw new SSLException("wrap: " + r);
        }
        runTasks();
        rawOut.write(out.array(), 0, out.position());
        rawOut.flush();
    }

    /** Unwraps one record into appIn (reading from the socket as needed); false at the end of stream. */
    private boolean unwrapOnce() throws IOException {
        while (true) {
            if (netIn.hasRemaining()) {
                appIn.compact();
                SSLEngineResult r;
                try {
                    r = engine.unwrap(netIn, appIn);
                } finally {
                    appIn.flip();
                }
                runTasks();
                switch (r.getStatus()) {
                    case OK -> {
                        return true;
                    }
                    case CLOSED -> {
                        closeNotifyReceived = true;
                        return true;
                    }
                    case BUFFER_OVERFLOW -> throw new SSLException("application buffer too small: " + r);
                    case BUFFER_UNDERFLOW -> {
                        // read more below
                    }
                }
            }
            netIn.compact();
            if (!netIn.hasRemaining()) {
                ByteBuffer bigger = ByteBuffer.allocate(netIn.capacity() * 2);
                netIn.flip();
                bigger.put(netIn);
                netIn = bigger;
            }
            int n = rawIn.read(netIn.array(), netIn.arrayOffset() + netIn.position(), netIn.remaining());
            if (n > 0) {
                netIn.position(netIn.position() + n);
            }
            netIn.flip();
            if (n < 0) {
                return false;
            }
        }
    }

    private void runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }
}
