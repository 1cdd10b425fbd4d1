package io.gatewayd.lifecycle;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * `gatewayctl start -d`. Java cannot fork, so the CLI starts the same JVM again (same java
 * binary, class path and JVM options) as a detached child: in its own session through
 * {@code setsid} when present, stdin from /dev/null, stdout and stderr appended to
 * {@code <log-dir>/gatewayd.out}, the application log in {@code <log-dir>/gatewayd.log} through
 * conf/logback-daemon.xml. It then waits until the child is ready (pid file published and
 * /health answering) and reports one line; or, if the child dies or does not get ready in
 * time, the reason and the last log lines.
 */
public final class DaemonLauncher {
    static final String MAIN_CLASS = "io.gatewayd.cli.GatewayCtl";
    static final String OUT_FILE = "gatewayd.out";
    public static final String LOG_FILE = "gatewayd.log";
    private static final int TAIL_LINES = 15;

    /**
     * @param home       installation directory (GATEWAYD_HOME of the child)
     * @param logDir     where gatewayd.out and gatewayd.log go
     * @param pidFile    the pid file the child will publish
     * @param childArgs  gatewayctl arguments for the child, e.g. start --daemon-child --config F
     * @param readyTimeout how long to wait for readiness
     * @param health     how to ask the child's control URL whether it is ready: the caller's, so
     *                   that an https:// control port is checked with the trust the CLI uses for
     *                   every other command; null for a plain HTTP client with the JDK's trust
     */
    public record Launch(Path home, Path logDir, PidFile pidFile, List<String> childArgs, Duration readyTimeout,
                         HealthCheck health) {
        public Launch(Path home, Path logDir, PidFile pidFile, List<String> childArgs, Duration readyTimeout) {
            this(home, logDir, pidFile, childArgs, readyTimeout, null);
        }
    }

    /** Whether the gateway at a control URL is ready. */
    @FunctionalInterface
    public interface HealthCheck {
        /**
         * @return true once GET /health answers 200, false while it does not (yet)
         * @throws UnverifiableException when it answers but cannot be checked (TLS: a certificate
         *                               the caller does not trust); waiting longer would not help
         */
        boolean healthy(String controlUrl);
    }

    /** The control port answers, but the caller cannot tell whether it is ready; the message says why. */
    public static final class UnverifiableException extends RuntimeException {
        public UnverifiableException(String message) {
            super(message, null, false, false);
        }
    }

    /** The child is up. */
    public record Ready(long pid, RuntimeInfo info, Duration took) {
    }

    /** The child died or did not get ready; the message says why and shows the logs. */
    public static final class LaunchFailedException extends RuntimeException {
        private final int exitCode;

        LaunchFailedException(int exitCode, String message) {
            super(message, null, false, false);
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }

    private DaemonLauncher() {
    }

    public static Ready launch(Launch l) {
        try {
            Files.createDirectories(l.logDir());
        } catch (IOException e) {
            throw new LaunchFailedException(1, "cannot create the log directory " + l.logDir() + ": " + e.getMessage()
                    + "; create it writable for this user, or set paths.log-dir in the config");
        }
        Path out = l.logDir().resolve(OUT_FILE);
        Path log = l.logDir().resolve(LOG_FILE);
        long outStart = size(out);
        long logStart = size(log);
        List<String> cmd = command(l);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(l.home().toFile())
                .redirectInput(new File("/dev/null"))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()))
                .redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("GATEWAYD_HOME", l.home().toString());
        long started = System.nanoTime();
        Process child;
        try {
            child = pb.start();
        } catch (IOException e) {
            throw new LaunchFailedException(1, "cannot start " + cmd.get(0) + ": " + e.getMessage());
        }
        HealthCheck health = l.health();
        if (health == null) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            health = url -> healthy(http, url);
        }
        long deadline = started + l.readyTimeout().toNanos();
        while (true) {
            if (!child.isAlive()) {
                int code = exitCode(child);
                throw new LaunchFailedException(code == 2 ? 2 : 1, failure("gatewayd exited with status " + code
                        + " while starting", out, outStart, log, logStart));
            }
            RuntimeInfo info = l.pidFile().readRuntime();
            boolean published = info != null && info.pid() == child.pid()
                    && PidFile.readPid(l.pidFile().path()) == child.pid();
            boolean ready;
            try {
                ready = published && health.healthy(info.controlUrl());
            } catch (UnverifiableException e) {
                if (!child.isAlive()) {
                    continue; // reported above
                }
                // it is up (bound, pid file published, TLS answering): do not kill a healthy gateway
                throw new LaunchFailedException(1, "gatewayd (pid " + child.pid() + ") started, but gatewayctl "
                        + "cannot check that it is ready: " + e.getMessage() + "; it was left running");
            }
            if (ready) {
                if (child.isAlive()) {
                    return new Ready(child.pid(), info, Duration.ofNanos(System.nanoTime() - started));
                }
                continue; // died right after: reported above
            }
            if (System.nanoTime() > deadline) {
                String stopped = stop(child);
                throw new LaunchFailedException(1, failure("gatewayd (pid " + child.pid() + ") was not ready within "
                        + l.readyTimeout().toSeconds() + " s; " + stopped, out, outStart, log, logStart));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // poll interval, bounded by the deadline
        }
    }

    static List<String> command(Launch l) {
        List<String> cmd = new ArrayList<>();
        for (String setsid : List.of("/usr/bin/setsid", "/bin/setsid")) {
            if (Files.isExecutable(Path.of(setsid))) {
                cmd.add(setsid); // own session: no controlling terminal, not in the shell's job control
                break;
            }
        }
        cmd.add(ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("-Dlogback.configurationFile=") || arg.startsWith("-Dgatewayd.log.dir=")
                    || arg.startsWith("-agentlib:jdwp") || arg.startsWith("-Dgatewayd.home=")) {
                continue; // replaced below; a debugger port cannot be shared
            }
            cmd.add(arg);
        }
        cmd.add("-Dgatewayd.home=" + l.home());
        cmd.add("-Dgatewayd.log.dir=" + l.logDir());
        cmd.add("-Dlogback.configurationFile=" + daemonLogConfig(l.home()));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(MAIN_CLASS);
        cmd.addAll(l.childArgs());
        return cmd;
    }

    /** conf/logback-daemon.xml of the installation, else the copy built into the jar. */
    static String daemonLogConfig(Path home) {
        Path conf = home.resolve("conf").resolve("logback-daemon.xml");
        return Files.isRegularFile(conf) ? conf.toString() : "gatewayd/logback-daemon.xml";
    }

    private static boolean healthy(HttpClient http, String controlUrl) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(controlUrl).resolve("/health"))
                    .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int exitCode(Process p) {
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String stop(Process child) {
        child.destroy();
        try {
            if (child.waitFor(15, TimeUnit.SECONDS)) {
                return "it was stopped";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        child.destroyForcibly();
        return "it was killed";
    }

    private static String failure(String what, Path out, long outStart, Path log, long logStart) {
        List<String> outLines = tail(out, outStart);
        List<String> logLines = tail(log, logStart);
        StringBuilder sb = new StringBuilder();
        String reason = outLines.stream().filter(s -> s.startsWith("gatewayctl: ")).reduce((a, b) -> b)
                .map(s -> s.substring("gatewayctl: ".length())).orElse(null);
        sb.append(what).append(reason == null ? "" : ": " + reason);
        if (reason != null) {
            outLines.remove("gatewayctl: " + reason); // already said
        }
        if (!outLines.isEmpty()) {
            sb.append("\n  last lines of ").append(out).append(':');
            outLines.forEach(s -> sb.append("\n    ").append(s));
        }
        if (!logLines.isEmpty()) {
            sb.append("\n  last lines of ").append(log).append(':');
            logLines.forEach(s -> sb.append("\n    ").append(s));
        }
        return sb.toString();
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    /** The last lines written since {@code from} (the whole file if it was rotated meanwhile). */
    static List<String> tail(Path file, long from) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long len = f.length();
            long start = len < from ? 0 : from;
            start = Math.max(start, len - 64 * 1024);
            byte[] buf = new byte[(int) (len - start)];
            f.seek(start);
            f.readFully(buf);
            Deque<String> last = new ArrayDeque<>();
            for (String line : new String(buf, StandardCharsets.UTF_8).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                last.addLast(line.stripTrailing());
                if (last.size() > TAIL_LINES) {
                    last.removeFirst();
                }
            }
            return new ArrayList<>(last);
        } catch (IOException e) {
            return List.of();
        }
    }
}
