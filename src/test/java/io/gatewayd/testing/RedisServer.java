package io.gatewayd.testing;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real redis-server for a test class, on a free loopback port, without persistence. Register with
 * {@code @RegisterExtension static final RedisServer REDIS = new RedisServer();}. When no
 * redis-server is installed the class is skipped with a message saying how to get one. The
 * server is stopped after the class (and on JVM exit), never left behind.
 */
public final class RedisServer implements BeforeAllCallback, AfterAllCallback {
    private static final List<String> CANDIDATES = List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server",
            "/usr/sbin/redis-server");

    private Process process;
    private int port;
    private Path dir;
    private String executable;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        executable = CANDIDATES.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);
        Assumptions.assumeTrue(executable != null, "redis-server is not installed (apt-get install redis-server; "
                + ".ci/run does it in CI): skipping the cluster tests");
        dir = Files.createTempDirectory("gatewayd-redis");
        // redis-server cannot be told to pick a port itself: a port found free can be taken before
        // it binds it (by any bind to port 0 on the machine), so try another one then
        for (int attempt = 1; ; attempt++) {
            port = freePort();
            try {
                start();
                return;
            } catch (PortTakenException e) {
                if (attempt == 5) {
                    throw new AssertionError("redis-server found 5 free ports taken before it could bind them: "
                            + e.getMessage());
                }
            }
        }
    }

    /** redis-server exited because its port was taken meanwhile. */
    private static final class PortTakenException extends AssertionError {
        PortTakenException(String message) {
            super(message);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        stop();
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    public String url() {
        return "redis://127.0.0.1:" + port + "/0";
    }

    /** Starts (again) on the same port and waits until it answers PING. */
    public synchronized void start() throws Exception {
        if (process != null && process.isAlive()) {
            return;
        }
        ProcessBuilder pb = new ProcessBuilder(executable, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
                "--dir", dir.toString(), "--loglevel", "warning");
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve("redis.log").toFile());
        process = pb.start();
        Process p = process;
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
        Await.until("redis-server answers on port " + port, Duration.ofSeconds(30), () -> {
            if (!p.isAlive()) {
                String log = log();
                if (log.contains("Address already in use")) {
                    throw new PortTakenException("redis-server could not bind port " + port + ": " + log);
                }
                throw new AssertionError("redis-server exited: " + log);
            }
            try {
                return "PONG".equals(command("PING"));
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Stops the server (SIGKILL, like a crash) and waits for it to exit. */
    public synchronized void stop() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            process = null;
        }
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("redis.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Runs one command; returns a simple or bulk string reply, an integer as text, or an array joined by "\n". */
    public String command(String... args) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            StringBuilder sb = new StringBuilder("*").append(args.length).append("\r\n");
            for (String a : args) {
                byte[] b = a.getBytes(StandardCharsets.UTF_8);
                sb.append('$').append(b.length).append("\r\n").append(a).append("\r\n");
            }
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            return read(new BufferedInputStream(s.getInputStream()));
        }
    }

    private static String read(InputStream in) throws IOException {
        String line = line(in);
        char t = line.charAt(0);
        String rest = line.substring(1);
        switch (t) {
            case '+', ':' -> {
                return rest;
            }
            case '-' -> throw new IOException("redis error: " + rest);
            case '$' -> {
                int n = Integer.parseInt(rest);
                if (n < 0) {
                    return null;
                }
                byte[] b = in.readNBytes(n + 2);
                return new String(b, 0, n, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int n = Integer.parseInt(rest);
                List<String> items = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    items.add(read(in));
                }
                return String.join("\n", items);
            }
            default -> throw new IOException("unexpected reply " + line);
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\r') {
                in.read();
                return sb.toString();
            }
            sb.append((char) c);
        }
        throw new IOException("connection closed");
    }

    /** Keys matching a pattern (KEYS; fine for a test server). */
    public List<String> keys(String pattern) throws IOException {
        String r = command("KEYS", pattern);
        return r == null || r.isEmpty() ? List.of() : List.of(r.split("\n"));
    }
}
