package io.gatewayd.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback port that refuses every connection for as long as it is open: the port is bound but
 * not listening, so a connect gets a reset at once, and no other socket can bind it meanwhile (the
 * holder does not set SO_REUSEADDR; ephemeral ports skip bound ones). A port taken from a
 * {@code ServerSocket(0)} that is closed again is only free at that moment: the next bind to port 0
 * (a gateway the test starts, another process) can get it, and then it answers.
 */
public final class RefusedPort implements AutoCloseable {
    private final Socket holder = new Socket();

    public RefusedPort() {
        try {
            holder.setReuseAddress(false);
            holder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return holder.getLocalPort();
    }

    /** http://127.0.0.1:port */
    public String httpUrl() {
        return "http://127.0.0.1:" + port();
    }

    @Override
    public void close() {
        try {
            holder.close();
        } catch (IOException ignored) {
            // nothing to release
        }
    }
}
