package io.gatewayd.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback TCP proxy for fault injection. {@link #freezeSubscribers()} makes every connection
 * that has sent SUBSCRIBE so far silently dead: it stays open, but nothing more reaches the
 * client (what the server sends is dropped), like a half-broken NAT or proxy. New connections
 * work normally. {@link #holdSubscribers(boolean)} keeps what the server answers on subscriber
 * connections (SUBSCRIBE confirmations, messages) until released, as a slow or loaded link would:
 * delayed, never lost. {@link #holdCommandsWith(String)} likewise holds what a client sends that
 * contains a given text, to stop a client at a chosen command.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int targetPort;
    private final List<Link> links = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private final Object holdLock = new Object();
    private boolean holding; // guarded by holdLock
    private String heldText; // guarded by holdLock
    private int heldCommands; // guarded by holdLock

    private static final class Link {
        final Socket client;
        final Socket upstream;
        volatile boolean subscriber;
        volatile boolean frozen;

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }
    }

    private final Thread acceptor;

    public TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "tcp-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Freezes the subscriber connections open now; returns how many. */
    public int freezeSubscribers() {
        int n = 0;
        for (Link l : links) {
            if (l.subscriber && !l.frozen) {
                l.frozen = true;
                n++;
            }
        }
        return n;
    }

    /** Starts (true) or ends (false) holding back what the server sends on subscriber connections. */
    public void holdSubscribers(boolean hold) {
        synchronized (holdLock) {
            holding = hold;
            holdLock.notifyAll();
        }
    }

    /**
     * Holds every chunk a client sends that contains {@code text} (case-insensitive), until called
     * again with null or with a text the chunk does not contain (so a client can be moved from one
     * stop to the next); what that connection sends after it waits behind it.
     */
    public void holdCommandsWith(String text) {
        synchronized (holdLock) {
            heldText = text == null ? null : text.toUpperCase(Locale.ROOT);
            holdLock.notifyAll();
        }
    }

    /** How many chunks {@link #holdCommandsWith} has caught so far. */
    public int heldCommands() {
        synchronized (holdLock) {
            return heldCommands;
        }
    }

    private void holdIfMatching(String chunk) throws IOException {
        synchronized (holdLock) {
            if (heldText == null || !chunk.toUpperCase(Locale.ROOT).contains(heldText)) {
                return;
            }
            heldCommands++;
            while (heldText != null && chunk.toUpperCase(Locale.ROOT).contains(heldText) && !closed) {
                try {
                    holdLock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
        }
    }

    private void awaitRelease() throws IOException {
        synchronized (holdLock) {
            while (holding && !closed) {
                try {
                    holdLock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket c = server.accept();
                Socket u = new Socket();
                u.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2000);
                Link l = new Link(c, u);
                links.add(l);
                pump(l, c.getInputStream(), u.getOutputStream(), true);
                pump(l, u.getInputStream(), c.getOutputStream(), false);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Link l, InputStream in, OutputStream out, boolean fromClient) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16384];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (fromClient && !l.subscriber
                            && new String(buf, 0, n, StandardCharsets.ISO_8859_1).toUpperCase(Locale.ROOT).contains("SUBSCRIBE")) {
                        l.subscriber = true;
                    }
                    if (fromClient) {
                        holdIfMatching(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                    }
                    if (!fromClient && l.frozen) {
                        continue; // dropped: the client never hears of it
                    }
                    if (!fromClient && l.subscriber) {
                        awaitRelease();
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException ignored) {
                // connection over
            } finally {
                closeQuietly(l.client);
                closeQuietly(l.upstream);
            }
        }, "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
            // a socket closed while a thread is blocked in accept() listens until that accept returns,
            // and a link it accepted meanwhile would miss the loop below (RawServer had that race)
            acceptor.join(10_000);
        } catch (IOException ignored) {
            // closing anyway
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Link l : links) {
            closeQuietly(l.client);
            closeQuietly(l.upstream);
        }
    }
}
