package io.gatewayd.lifecycle;

import io.gatewayd.GatewayStartException;
import io.gatewayd.config.ConfigException;
import org.apache.commons.daemon.Daemon;
import org.apache.commons.daemon.DaemonContext;
import org.apache.commons.daemon.DaemonInitException;
import org.apache.commons.daemon.DaemonUserSignal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * gatewayd under jsvc (Apache Commons Daemon), see packaging/jsvc/gatewayd:
 * <ul>
 *   <li>{@link #init} runs as root: loads the config, takes the pid-file lock and binds every
 *       port, including ports below 1024, without accepting clients yet;</li>
 *   <li>jsvc then switches to the {@code -user}; {@link #start} starts accepting;</li>
 *   <li>{@link #stop} (jsvc's SIGTERM) closes clients with 1001; {@link #destroy} removes the pid file;</li>
 *   <li>{@link #signal} (jsvc's SIGUSR2) reloads the config.</li>
 * </ul>
 * Arguments after the class name: {@code [--config FILE] [--stop-timeout SECONDS]}. The
 * installation directory comes from {@code -Dgatewayd.home} (or GATEWAYD_HOME), the log
 * directory from {@code -Dgatewayd.log.dir}.
 */
public final class JsvcDaemon implements Daemon, DaemonUserSignal {
    private static final Logger LOG = LoggerFactory.getLogger(JsvcDaemon.class);

    private volatile GatewayProcess process;
    private volatile boolean stoppedByJsvc;
    private Duration stopTimeout = Duration.ofSeconds(10);

    @Override
    public void init(DaemonContext context) throws DaemonInitException {
        stoppedByJsvc = false; // jsvc's SIGHUP restart calls init again in the same JVM
        Map<String, String> env = System.getenv();
        String homeProp = System.getProperty("gatewayd.home", env.getOrDefault("GATEWAYD_HOME", "."));
        Path home = Path.of(homeProp).toAbsolutePath().normalize();
        Path config = null;
        String[] args = context.getArguments() == null ? new String[0] : context.getArguments();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ((a.equals("--config") || a.equals("-c")) && i + 1 < args.length) {
                config = Path.of(args[++i]);
            } else if (a.startsWith("--config=")) {
                config = Path.of(a.substring("--config=".length()));
            } else if (a.equals("--stop-timeout") && i + 1 < args.length) {
                stopTimeout = seconds(args[++i]);
            } else {
                throw new DaemonInitException("unknown argument \"" + a + "\"; JsvcDaemon takes [--config FILE] "
                        + "[--stop-timeout SECONDS]");
            }
        }
        if (config == null) {
            String fromEnv = env.get("GATEWAYD_CONF");
            config = fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv) : home.resolve("conf/gatewayd.yaml");
        } else if (!config.isAbsolute()) {
            config = home.resolve(config);
        }
        String logDir = System.getProperty("gatewayd.log.dir");
        try {
            process = GatewayProcess.start(new GatewayProcess.Options(home, env, config, null, "jsvc", stopTimeout,
                    true, logDir == null ? null : Path.of(logDir, "gatewayd.log"), null));
        } catch (ConfigException e) {
            throw new DaemonInitException("configuration error: " + e.getMessage());
        } catch (GatewayStartException | PidFile.AlreadyRunningException | PidFile.PidFileException
                 | LogDirLock.InUseException e) {
            throw new DaemonInitException("cannot start: " + e.getMessage());
        }
        GatewayProcess started = process;
        started.terminated().thenRun(() -> {
            if (!stoppedByJsvc) {
                // stopped through its control port (gatewayctl stop [-g]): jsvc would keep an idle JVM
                // around, so leave as a foreground gateway does; jsvc does not restart on exit status 0
                LOG.info("stopped by request, not by jsvc: exiting");
                started.close();
                new Thread(() -> System.exit(0), "gatewayd-exit").start();
            }
        });
    }

    private static Duration seconds(String s) throws DaemonInitException {
        try {
            return Duration.ofMillis(Math.round(Double.parseDouble(s) * 1000));
        } catch (NumberFormatException e) {
            throw new DaemonInitException("--stop-timeout needs a number of seconds, got \"" + s + "\"");
        }
    }

    @Override
    public void start() {
        process.serve();
    }

    @Override
    public void stop() {
        stoppedByJsvc = true;
        if (process != null) {
            process.gateway().stop(stopTimeout);
        }
    }

    @Override
    public void destroy() {
        if (process != null) {
            process.close();
            process = null;
        }
    }

    @Override
    public void signal() {
        GatewayProcess p = process;
        if (p == null) {
            return;
        }
        LOG.info("SIGUSR2 from jsvc: reloading");
        p.reload(); // logs a refusal itself
    }
}
