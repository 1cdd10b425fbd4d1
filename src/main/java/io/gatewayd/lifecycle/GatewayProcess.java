package io.gatewayd.lifecycle;

import ch.qos.logback.classic.LoggerContext;
import io.gatewayd.Gateway;
import io.gatewayd.GatewayStartException;
import io.gatewayd.Version;
import io.gatewayd.api.ApiException;
import io.gatewayd.config.ConfigException;
import io.gatewayd.config.ConfigLoader;
import io.gatewayd.config.GatewayConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

/**
 * The gateway as an operating-system process: the one thing `gatewayctl start` (foreground or
 * daemon) and {@link JsvcDaemon} run. It owns the pid file and its lock, the admin endpoints
 * (stop, reload, connections), the signal handlers (TERM/INT stop, a second one forces; HUP
 * reloads) and the final cleanup.
 */
public final class GatewayProcess implements AdminApi.Control, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GatewayProcess.class);

    /**
     * @param home         installation directory; relative paths of the config resolve against it
     * @param env          environment for ${VAR} substitution and the control token variable
     * @param configFile   the config file; re-read on reload
     * @param overrides    command-line overrides (ports), re-applied to every reloaded config
     * @param mode         "debug", "daemon" or "jsvc"
     * @param stopTimeout  how long clients get to close on a stop
     * @param serveLater   bind now, accept clients only after {@link #serve()} (jsvc)
     * @param logFile      the application log file, for status; null when logging to the console
     * @param logOverrides re-applies log settings made in code after the log config is re-read
     */
    public record Options(Path home, Map<String, String> env, Path configFile, UnaryOperator<GatewayConfig> overrides,
                          String mode, Duration stopTimeout, boolean serveLater, Path logFile, Runnable logOverrides) {
        public Options {
            overrides = overrides == null ? UnaryOperator.identity() : overrides;
            logOverrides = logOverrides == null ? () -> { } : logOverrides;
            configFile = configFile.toAbsolutePath().normalize();
        }
    }

    /** Installs a handler for a signal; false if it cannot be handled. A seam for tests: see {@link Signals#handle}. */
    @FunctionalInterface
    interface SignalInstaller {
        boolean handle(String name, Runnable action);
    }

    private final Options options;
    private final PidFile.Lock lock;
    /** Null when logging to the console. */
    private final LogDirLock logDir;
    private final Gateway gateway;
    private final ThreadPoolExecutor admin;
    private final AtomicBoolean stopRequested = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private GatewayProcess(Options options, PidFile.Lock lock, LogDirLock logDir, Gateway gateway) {
        this.options = options;
        this.lock = lock;
        this.logDir = logDir;
        this.gateway = gateway;
        // one reload at a time, a few queued; more are refused as busy (bounded)
        this.admin = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(4), r -> {
            Thread t = new Thread(r, "gatewayd-admin");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Loads the config, takes the pid-file lock, binds everything, publishes the pid file. Installs
     * no signal handler: for a gateway embedded in someone else's JVM, tests and jsvc (which
     * handles the signals itself).
     *
     * @throws ConfigException                 the config is invalid
     * @throws PidFile.AlreadyRunningException another gatewayd holds the lock
     * @throws LogDirLock.InUseException       another gatewayd writes its logs where this one would
     * @throws GatewayStartException           a port cannot be bound (the message names it and its holder)
     */
    public static GatewayProcess start(Options options) {
        return start(options, null);
    }

    /**
     * As {@link #start(Options)}, for the process that owns its JVM (`gatewayctl start`): the
     * signal handlers are in place before the pid file is published. The pid file means "ready",
     * and a SIGHUP that beat the handler would get the JVM's default, which exits: `start -d`
     * followed at once by `kill -HUP` (or `gatewayctl reload` falling back to it) killed the gateway.
     */
    public static GatewayProcess startHandlingSignals(Options options) {
        return start(options, Signals::handle);
    }

    /** @param signals installs a signal handler (see {@link Signals#handle}); null installs none */
    static GatewayProcess start(Options options, SignalInstaller signals) {
        GatewayConfig config = load(options);
        PidFile pidFile = PidFile.of(config, options.home());
        PidFile.Lock lock = pidFile.acquire(LOG::warn);
        LogDirLock logDir;
        try {
            logDir = options.logFile() == null ? null : LogDirLock.acquire(options.logFile().getParent(), pidFile.path());
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        Runnable release = () -> {
            if (logDir != null) {
                logDir.close();
            }
            lock.close();
        };
        Gateway gateway;
        try {
            Gateway.Builder b = Gateway.builder(config).mode(options.mode());
            if (options.serveLater()) {
                b.serveLater();
            }
            gateway = b.start();
        } catch (GatewayStartException e) {
            release.run();
            throw PortHolder.explain(e);
        } catch (ConfigException e) { // a file the config names (tls.cert-file, ...) cannot be used
            release.run();
            throw e.in(options.configFile());
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        GatewayProcess process = new GatewayProcess(options, lock, logDir, gateway);
        try {
            AdminApi.install(gateway, process);
            gateway.addStatusSection("process", process::processStatus);
            if (signals != null) {
                process.installSignalHandlers(signals);
            }
            lock.publish(process.runtimeInfo());
        } catch (RuntimeException e) {
            gateway.stop(Duration.ofSeconds(5));
            release.run();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // only does something when the JVM exits some other way than our own stop
            if (gateway.state() != Gateway.State.STOPPED) {
                gateway.stop(options.stopTimeout());
            }
            process.close();
        }, "gatewayd-shutdown"));
        LOG.info("pid {} written to {}", ProcessHandle.current().pid(), pidFile.path());
        return process;
    }

    private static GatewayConfig load(Options o) {
        return o.overrides().apply(io.gatewayd.config.InstallationPaths.resolve(o.home(),
                new ConfigLoader(o.env()).load(o.configFile())));
    }

    public Gateway gateway() {
        return gateway;
    }

    public PidFile pidFile() {
        return lock.pidFile();
    }

    /** Starts accepting clients (after {@link Options#serveLater()}). */
    public void serve() {
        gateway.serve();
    }

    RuntimeInfo runtimeInfo() {
        return new RuntimeInfo(ProcessHandle.current().pid(), options.mode(), Version.get(),
                Instant.ofEpochMilli(gateway.stats().startedAtMillis()).toString(), gateway.controlUrl().toString(),
                gateway.listenerUrls(), options.configFile().toString(),
                options.logFile() == null ? null : options.logFile().toString(),
                "https".equals(gateway.controlUrl().getScheme()) && gateway.tls() != null
                        ? gateway.tls().certificateSha256() : null);
    }

    private Map<String, Object> processStatus() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid_file", lock.pidFile().path().toString());
        m.put("config_file", options.configFile().toString());
        m.put("log_file", options.logFile() == null ? null : options.logFile().toString());
        m.put("stop_timeout_s", options.stopTimeout().toMillis() / 1000.0);
        return m;
    }

    /**
     * SIGTERM and SIGINT stop (a second one while stopping forces an immediate exit), SIGHUP
     * reloads. Under nohup SIGHUP is ignored and stays so: use `gatewayctl reload`.
     */
    private void installSignalHandlers(SignalInstaller signals) {
        signals.handle("TERM", () -> onStopSignal("TERM"));
        signals.handle("INT", () -> onStopSignal("INT")); // ignored in background jobs: stays so
        if (!signals.handle("HUP", this::onHangup)) {
            LOG.warn("SIGHUP is ignored by this process (started under nohup?), so it cannot reload on SIGHUP; "
                    + "use `gatewayctl reload`");
        }
    }

    private void onStopSignal(String name) {
        if (stopRequested.get() && gateway.state() != Gateway.State.STOPPED) {
            LOG.warn("second SIG{} while stopping: forcing the stop now", name);
            forceExit();
            return;
        }
        LOG.info("SIG{} received: stopping (clients get close code 1001; send it again to force)", name);
        stop(false, null);
    }

    /** The reload has logged its outcome, refusals included: nothing is left to log here. */
    void onHangup() {
        LOG.info("SIGHUP received: reloading {}", options.configFile());
        reload();
    }

    @Override
    public Map<String, Object> stop(boolean graceful, Duration timeout) {
        Gateway.State before = gateway.state();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("pid", ProcessHandle.current().pid());
        r.put("connections", gateway.registry().size());
        if (before == Gateway.State.STOPPING || before == Gateway.State.STOPPED) {
            r.put("state", "stopping");
            r.put("timeout_s", null);
            return r;
        }
        Runnable action;
        if (graceful && before != Gateway.State.DRAINING) {
            Duration drainTimeout = timeout == null || timeout.isZero() ? null : timeout;
            r.put("state", "draining");
            r.put("timeout_s", drainTimeout == null ? null : drainTimeout.toMillis() / 1000.0);
            action = () -> gateway.drain(drainTimeout, options.stopTimeout());
        } else if (graceful) {
            // a drain is under way: this call joins it, and the drain's own deadline applies, not
            // this call's timeout; the caller waits for that one and can say so
            Duration left = gateway.drainTimeLeft();
            r.put("state", "draining");
            r.put("joined", true);
            r.put("timeout_s", left == null ? null : left.toMillis() / 1000.0);
            return r;
        } else {
            stopRequested.set(true);
            Duration t = timeout == null ? options.stopTimeout() : timeout;
            r.put("state", "stopping");
            r.put("timeout_s", t.toMillis() / 1000.0);
            action = () -> gateway.stop(t);
        }
        // never on the caller's thread: that may be a control event loop, and stopping waits on loops
        Thread t = new Thread(() -> {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.error("stop failed", e);
            }
        }, "gatewayd-stop");
        t.start();
        return r;
    }

    /**
     * Every refusal is logged here, once, whoever asked: a signal has no one else to tell, and
     * the control API's caller gets the same message in its answer.
     */
    @Override
    public CompletableFuture<Map<String, Object>> reload() {
        CompletableFuture<Map<String, Object>> f = new CompletableFuture<>();
        try {
            admin.execute(() -> {
                try {
                    f.complete(reloadNow());
                } catch (Throwable t) {
                    LOG.warn("reload refused: {}", t.getMessage());
                    f.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            ApiException busy = new ApiException(503, "busy", "reloads are queued already; try again shortly");
            LOG.warn("reload refused: {}", busy.getMessage());
            f.completeExceptionally(busy);
        }
        return f;
    }

    private Map<String, Object> reloadNow() {
        GatewayConfig next;
        List<String> notes;
        try {
            next = load(options);
            notes = gateway.reload(next);
        } catch (ConfigException e) {
            throw new ApiException(400, "config_invalid", e.in(options.configFile()).getMessage()
                    + " (the running config stays)");
        } catch (GatewayStartException e) {
            throw new ApiException(409, "reload_failed", e.getMessage() + " (the running config stays)");
        } catch (IllegalStateException e) {
            throw new ApiException(409, "not_running", e.getMessage());
        }
        String logs = LogLevels.reload(options.logOverrides());
        LOG.info("{}", logs);
        lock.publish(runtimeInfo());
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("config_file", options.configFile().toString());
        r.put("notes", notes);
        r.put("log_config", logs);
        r.put("listeners", gateway.listenerUrls());
        return r;
    }

    /** Blocks until the gateway has stopped, then cleans up. */
    public void awaitTermination() {
        gateway.terminated().join();
        close();
    }

    public CompletableFuture<Void> terminated() {
        return gateway.terminated();
    }

    private void forceExit() {
        close();
        flushLogs();
        Runtime.getRuntime().halt(1);
    }

    /** Removes the pid file and releases its lock; stops the admin thread. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            admin.shutdownNow();
            lock.close();
            if (logDir != null) {
                logDir.close();
            }
        }
    }

    /** Writes out buffered log lines (call before the JVM exits). */
    public static void flushLogs() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
            ctx.stop();
        }
    }
}
