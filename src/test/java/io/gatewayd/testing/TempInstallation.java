package io.gatewayd.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An installation of the packaged gatewayd in a temporary directory, laid out as a distribution:
 * bin/gatewayctl, lib/ (links to target/gatewayd.jar and target/lib/*.jar), conf/ (the project's,
 * with a test gatewayd.yaml on ephemeral loopback ports). Runs the real bin/gatewayctl and
 * remembers every gateway pid it sees, so {@link #close()} can kill whatever a failed test left.
 */
public final class TempInstallation implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private static final Pattern READY = Pattern.compile("pid (\\d+).*clients on (\\S+?)[,;]? .*control on (\\S+?);");
    /** Generous: other builds share the machine's two cores. */
    public static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(150);

    public static final String CONFIG = """
            listeners:
              - url: websocket://127.0.0.1:0
            control:
              listen: http://127.0.0.1:0
            welcome:
              message: '{"type":"SERVER_INIT","client_id":"${client_id}","v":1}'
            heartbeat:
              ping-interval: 55
            """;

    /** What builder() puts in GATEWAYD_JAVA_OPTS: short-lived JVMs start faster with C1 only. */
    public static final String TEST_JAVA_OPTS = "-XX:TieredStopAtLevel=1 -Xmx256m -Xss512k";

    private final Path home;
    private final Path project;
    private final Set<Long> pids = ConcurrentHashMap.newKeySet();
    private final List<Process> processes = new ArrayList<>();
    private final Map<String, String> env = new ConcurrentHashMap<>();
    private volatile String javaOpts = TEST_JAVA_OPTS;

    private TempInstallation(Path home, Path project) {
        this.home = home.toAbsolutePath();
        this.project = project;
    }

    /** The project's version, as the build names its artifacts (failsafe passes it). */
    public static String version() {
        String v = System.getProperty("gatewayd.version");
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property gatewayd.version is not set: run the integration "
                    + "tests through Maven (mvn verify)");
        }
        return v;
    }

    /** target/gatewayd-VERSION.tar.gz, asserting the build made it. */
    public static Path tarball() {
        Path project = Path.of(System.getProperty("gatewayd.home", ".")).toAbsolutePath().normalize();
        Path tgz = project.resolve("target/gatewayd-" + version() + ".tar.gz");
        if (!Files.isRegularFile(tgz)) {
            throw new IllegalStateException(tgz + " is missing: integration tests run after `mvn package`");
        }
        return tgz;
    }

    /**
     * The distribution as a user gets it: target/gatewayd-VERSION.tar.gz unpacked with tar into
     * {@code dir} (outside the source tree), with a test config on ephemeral loopback ports.
     */
    public static TempInstallation unpackTarball(Path dir) throws IOException {
        Path tgz = tarball();
        Path project = Path.of(System.getProperty("gatewayd.home", ".")).toAbsolutePath().normalize();
        Files.createDirectories(dir);
        Process tar = new ProcessBuilder("tar", "-xzf", tgz.toString(), "-C", dir.toString())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!tar.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || tar.exitValue() != 0) {
                tar.destroyForcibly();
                throw new IOException("tar -xzf " + tgz + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        TempInstallation inst = new TempInstallation(dir.resolve("gatewayd-" + version()), project);
        inst.writeConfig(CONFIG);
        return inst;
    }

    /** An installation that is already laid out at {@code home} (e.g. extracted from the .deb). */
    public static TempInstallation at(Path home) {
        return new TempInstallation(home, Path.of(System.getProperty("gatewayd.home", ".")).toAbsolutePath().normalize());
    }

    /** GATEWAYD_JAVA_OPTS for every command from now on; null runs with conf/jvm.options alone. */
    public TempInstallation javaOpts(String opts) {
        this.javaOpts = opts;
        return this;
    }

    /** An environment variable for every command from now on. */
    public TempInstallation env(String name, String value) {
        env.put(name, value);
        return this;
    }

    public TempInstallation(Path dir) throws IOException {
        this.project = Path.of(System.getProperty("gatewayd.home", ".")).toAbsolutePath().normalize();
        this.home = dir.toAbsolutePath();
        Path jar = project.resolve("target/gatewayd.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: integration tests run after `mvn package`");
        }
        Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve("lib"));
        Files.createDirectories(home.resolve("conf"));
        Path ctl = home.resolve("bin/gatewayctl");
        Files.copy(project.resolve("bin/gatewayctl"), ctl, StandardCopyOption.REPLACE_EXISTING);
        ctl.toFile().setExecutable(true);
        Files.createSymbolicLink(home.resolve("lib/gatewayd.jar"), jar);
        try (var libs = Files.list(project.resolve("target/lib"))) {
            for (Path lib : (Iterable<Path>) libs::iterator) {
                Files.createSymbolicLink(home.resolve("lib").resolve(lib.getFileName()), lib);
            }
        }
        try (var confs = Files.list(project.resolve("conf"))) {
            for (Path c : (Iterable<Path>) confs::iterator) {
                Files.copy(c, home.resolve("conf").resolve(c.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        writeConfig(CONFIG);
    }

    public Path home() {
        return home;
    }

    public Path project() {
        return project;
    }

    public Path pidFile() {
        String runDir = env.get("GATEWAYD_RUN_DIR");
        return (runDir == null ? home.resolve("run") : Path.of(runDir)).resolve("gatewayd.pid");
    }

    public void writeConfig(String yaml) throws IOException {
        Path tmp = home.resolve("conf/.gatewayd.yaml.tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, home.resolve("conf/gatewayd.yaml"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }

    /** What a command did. */
    public record Result(int exit, String out, String err) {
        public String all() {
            return out + err;
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    /** A daemon's ready line, parsed. */
    public record Ready(long pid, URI ws, URI control) {
    }

    public ProcessBuilder builder(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(home.resolve("bin/gatewayctl").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(home.toFile());
        Map<String, String> env = pb.environment();
        env.put("GATEWAYD_HOME", home.toString());
        env.remove("GATEWAYD_CONF");
        env.remove("GATEWAYD_CONTROL_TOKEN");
        env.remove("GATEWAYD_LOG_DIR");
        env.remove("GATEWAYD_RUN_DIR");
        // short-lived CLI JVMs start faster with C1 only; the daemon inherits it, which is fine for tests
        if (javaOpts == null) {
            env.remove("GATEWAYD_JAVA_OPTS");
        } else {
            env.put("GATEWAYD_JAVA_OPTS", javaOpts);
        }
        env.putAll(this.env);
        return pb;
    }

    /** Runs bin/gatewayctl with {@code args}, no stdin, and waits for it. */
    public Result run(String... args) {
        return runWithInput(null, args);
    }

    /** Runs bin/gatewayctl in {@code cwd} instead of the installation directory. */
    public Result runIn(Path cwd, String... args) {
        return exec(builder(args).directory(cwd.toFile()), null, args);
    }

    /** Runs bin/gatewayctl with {@code stdin} as its standard input. */
    public Result runWithInput(String stdin, String... args) {
        return exec(builder(args), stdin, args);
    }

    /** Runs any command (e.g. an init script) in this installation's environment. */
    public Result exec(List<String> command, Map<String, String> extraEnv) {
        ProcessBuilder pb = builder().command(command);
        pb.environment().putAll(extraEnv);
        return exec(pb, null, command.toArray(String[]::new));
    }

    private Result exec(ProcessBuilder pb, String stdin, String... args) {
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        try {
            Path out = Files.createTempFile(home, "out", ".txt");
            Path err = Files.createTempFile(home, "err", ".txt");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            if (stdin != null) {
                try (var in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!p.waitFor(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError("gatewayctl " + String.join(" ", args) + " did not finish within "
                        + COMMAND_TIMEOUT.toSeconds() + " s; output so far:\n" + Files.readString(out) + Files.readString(err));
            }
            Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            Matcher m = Pattern.compile("pid (\\d+)").matcher(r.out());
            while (m.find()) {
                pids.add(Long.parseLong(m.group(1)));
            }
            return r;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Starts bin/gatewayctl without waiting (e.g. `stop -g`, which returns when clients are gone). */
    public Process spawn(Path out, String... args) throws IOException {
        Process p = builder(args).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        synchronized (processes) {
            processes.add(p);
        }
        return p;
    }

    /** Starts bin/gatewayctl in {@code cwd} without waiting (e.g. a foreground start from elsewhere). */
    public Process spawnIn(Path cwd, Path out, String... args) throws IOException {
        Process p = builder(args).directory(cwd.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        synchronized (processes) {
            processes.add(p);
        }
        pids.add(p.pid());
        return p;
    }

    /** Starts any command (e.g. a unit's ExecStart) in this installation's environment, without waiting. */
    public Process spawn(Path out, List<String> command, Map<String, String> extraEnv) throws IOException {
        ProcessBuilder pb = builder().command(command);
        pb.environment().putAll(extraEnv);
        Process p = pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        synchronized (processes) {
            processes.add(p);
        }
        pids.add(p.pid());
        return p;
    }

    /** `start -d`, asserting it worked, with the pid and real ports from its one line. */
    public Ready startDaemon(String... extra) {
        return startDaemonUnder(List.of(), extra);
    }

    /**
     * `start -d` run by {@code wrapper}, which ends by exec'ing the command after it, e.g.
     * {@code bash -c 'ulimit -n 256; exec "$0" "$@"'} for a gateway with a lower open-file limit.
     */
    public Ready startDaemonUnder(List<String> wrapper, String... extra) {
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of(home.resolve("bin/gatewayctl").toString(), "start", "-d"));
        command.addAll(List.of(extra));
        Result r = exec(builder().command(command), null, command.toArray(String[]::new));
        if (r.exit() != 0) {
            throw new AssertionError("start -d failed: " + r + "\n--- gatewayd.out\n" + read("logs/gatewayd.out")
                    + "\n--- gatewayd.log\n" + read("logs/gatewayd.log"));
        }
        Matcher m = READY.matcher(r.out());
        if (!m.find()) {
            throw new AssertionError("unexpected ready line: " + r);
        }
        long pid = Long.parseLong(m.group(1));
        pids.add(pid);
        String ws = m.group(2).replaceFirst("^websocket://", "ws://");
        return new Ready(pid, URI.create(ws + "/"), URI.create(m.group(3)));
    }

    public void track(long pid) {
        pids.add(pid);
    }

    public String read(String relative) {
        try {
            Path p = home.resolve(relative);
            return Files.exists(p) ? Files.readString(p) : "(no " + relative + ")";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** GET a control path and parse its "result" (or whole body). */
    public static JsonNode get(URI control, String path) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(control.resolve(path))
                    .timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(r.body());
            return body.has("result") ? body.get("result") : body;
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** POST a control API method. */
    public static JsonNode post(URI control, String method, Object params) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(control.resolve("/api/" + method))
                            .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(params))).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode body = JSON.readTree(r.body());
            if (r.statusCode() != 200) {
                throw new AssertionError(method + ": HTTP " + r.statusCode() + " " + r.body());
            }
            return body.get("result");
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * Skips a test that needs the gateways it starts to handle SIGHUP when this JVM ignores it
     * (the build was started under nohup): a child inherits an ignored signal, and the gateway
     * then rightly keeps it ignored and warns, so the test would time out on a misleading message.
     */
    public static void assumeSighupNotIgnored() {
        long ignored = 0;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) {
                    ignored = Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16);
                }
            }
        } catch (IOException e) {
            return; // no /proc: nothing to tell
        }
        org.junit.jupiter.api.Assumptions.assumeTrue((ignored & 1) == 0, "this JVM ignores SIGHUP (mvn run under "
                + "nohup?) and every gateway it starts inherits that: run the build without nohup to run this test");
    }

    /** Alive and not a zombie (an exited daemon stays a zombie until init reaps it). */
    public static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(io.gatewayd.os.Processes::running).orElse(false);
    }

    /** Kills every gateway and command this installation started that is still alive. */
    @Override
    public void close() {
        synchronized (processes) {
            for (Process p : processes) {
                if (p.isAlive()) {
                    p.destroyForcibly();
                }
            }
        }
        Path runDir = pidFile().getParent();
        for (Path f : List.of(runDir.resolve("gatewayd.pid"), runDir.resolve("gatewayd.pid.lock"),
                home.resolve("run/jsvc.pid"))) {
            try {
                String s = Files.readString(f).trim();
                if (!s.isEmpty()) {
                    pids.add(Long.parseLong(s));
                }
            } catch (IOException | NumberFormatException e) {
                // not there
            }
        }
        for (long pid : List.copyOf(pids)) {
            // jsvc's controller process is the parent of the JVM it runs
            ProcessHandle.of(pid).flatMap(ProcessHandle::parent).ifPresent(parent -> {
                if (parent.info().commandLine().map(c -> c.contains(home.toString())).orElse(false)) {
                    pids.add(parent.pid());
                }
            });
        }
        for (long pid : pids) {
            ProcessHandle.of(pid).ifPresent(h -> {
                if (h.isAlive() && h.info().commandLine().map(c -> c.contains(home.toString())).orElse(true)) {
                    h.destroyForcibly();
                    h.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(t -> null).join();
                }
            });
        }
    }
}
