package io.gatewayd.clients;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback TCP server that reads one whole HTTP request per connection and then does what a test
 * says instead of answering properly: what a gateway that dies mid-call, a proxy that cuts the
 * connection or a stalled peer look like to a client.
 */
final class RawServer implements AutoCloseable {
    /** What to do once the request is in: write to out (or not) and return; the connection is then closed. */
    interface Behaviour {
        void answer(OutputStream out) throws IOException, InterruptedException;
    }

    /**
     * For a connection kept alive: answers the index-th request on its connection (from 0), whose head
     * (request line and headers) is given, and says whether to read another request on the connection.
     */
    interface Conversation {
        boolean answer(int index, String head, OutputStream out) throws IOException, InterruptedException;
    }

    private static final Pattern CONTENT_LENGTH = Pattern.compile("(?im)^Content-Length:\\s*(\\d+)");

    private final ServerSocket server;
    private final Conversation conversation;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> requestLines = java.util.Collections.synchronizedList(new ArrayList<>());
    private final List<Thread> threads = new ArrayList<>();
    private final Thread acceptor;

    RawServer(Behaviour behaviour) throws IOException {
        this((index, head, out) -> {
            behaviour.answer(out);
            return false;
        });
    }

    RawServer(Conversation conversation) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.conversation = conversation;
        acceptor = new Thread(this::accept, "raw-server-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** How many whole requests came in. */
    int requests() {
        return requests.get();
    }

    /** How many connections were accepted. */
    int connections() {
        return connections.get();
    }

    /** The request line ("POST /api/x HTTP/1.1") of every whole request that came in, in order. */
    List<String> requestLines() {
        synchronized (requestLines) {
            return List.copyOf(requestLines);
        }
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            connections.incrementAndGet();
            Thread t = new Thread(() -> serve(s), "raw-server-connection");
            t.setDaemon(true);
            synchronized (threads) {
                threads.add(t);
            }
            t.start();
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setSoTimeout(20_000);
            for (int index = 0; ; index++) {
                String head = readRequest(s.getInputStream());
                if (head == null) {
                    return;
                }
                requestLines.add(head.substring(0, head.indexOf('\r')));
                requests.incrementAndGet();
                if (!conversation.answer(index, head, s.getOutputStream())) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client gave up: the point of most of these servers
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads the head and as many body bytes as Content-Length says; the head, null if the connection ended first. */
    private static String readRequest(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                return null;
            }
            head.write(b);
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        String text = head.toString(StandardCharsets.ISO_8859_1);
        Matcher m = CONTENT_LENGTH.matcher(text);
        long body = m.find() ? Long.parseLong(m.group(1)) : 0;
        return in.readNBytes((int) body).length == body ? text : null;
    }

    /**
     * Stops taking connections; once this returns, connecting is refused. Closing the listening socket
     * alone is not enough: while the acceptor thread is still inside accept() the kernel keeps the socket
     * listening, and a client that connects in that window is accepted (seen on a loaded CI box).
     */
    @Override
    public void close() throws IOException {
        server.close();
        try {
            acceptor.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (acceptor.isAlive()) {
            throw new IllegalStateException("the acceptor of " + url() + " did not stop within 10 s");
        }
        synchronized (threads) {
            threads.forEach(Thread::interrupt);
        }
    }

    /** An HTTP answer whose body is the gateway's answer to a push that reached one connection. */
    static byte[] pushAnswer() {
        return answer("{\"result\":{\"delivered\":1}}", "");
    }

    /** A 200 answer with this JSON body and these extra header lines (each ending in CRLF). */
    static byte[] answer(String json, String headerLines) {
        return ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + headerLines + "Content-Length: "
                + json.length() + "\r\n\r\n" + json).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * A listening port that takes no more connections: its accept queue is full and nobody accepts,
     * so the system drops new connection attempts and a client's connect waits until its timeout,
     * as with a host behind a firewall that drops packets.
     */
    static final class Unaccepting implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        private final List<Socket> queued = new ArrayList<>();

        Unaccepting() throws IOException {
            for (int i = 0; i < 20; i++) {
                Socket s = new Socket();
                try {
                    s.connect(server.getLocalSocketAddress(), 300);
                    queued.add(s);
                } catch (java.net.SocketTimeoutException full) {
                    s.close();
                    return;
                }
            }
            close();
            throw new IllegalStateException("the accept queue of a port with a backlog of 1 took 20 connections");
        }

        String url() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            for (Socket s : queued) {
                s.close();
            }
            server.close();
        }
    }
}
