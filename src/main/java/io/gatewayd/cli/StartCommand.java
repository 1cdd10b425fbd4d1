package io.gatewayd.cli;

import ch.qos.logback.classic.Level;
import io.gatewayd.GatewayStartException;
import io.gatewayd.config.GatewayConfig;
import io.gatewayd.lifecycle.DaemonLauncher;
import io.gatewayd.lifecycle.GatewayProcess;
import io.gatewayd.lifecycle.LogDirLock;
import io.gatewayd.lifecycle.PidFile;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * {@code gatewayctl start [-d]}: runs the gateway in the foreground ("debug mode", what
 * supervisors run) or as a daemon (re-executes this JVM detached, waits until it is ready).
 */
@Command(name = "start",
        description = {
                "Start the gateway, in the foreground (debug mode) or with -d as a daemon.",
                "",
                "In the foreground, connection events are logged to the console and",
                "Ctrl-C or SIGTERM stops it cleanly (clients get close code 1001; a second",
                "Ctrl-C forces it). This is what supervisors (systemd, supervisord) run.",
                "SIGHUP reloads the config.",
                "",
                "With -d it starts a detached copy of itself (own session, stdin from",
                "/dev/null, output appended to <log-dir>/gatewayd.out, application log in",
                "<log-dir>/gatewayd.log) and returns once the gateway answers on its control",
                "port, printing its pid, client listeners and control URL. If the gateway fails",
                "to start, it prints the reason and the last log lines and exits non-zero.",
                "",
                "A pid file (paths.pid-file, default run/gatewayd.pid) is written once",
                "everything is bound and locked for the life of the process: a second start",
                "refuses with \"already running (pid N)\"; a pid file left by a killed gateway",
                "is replaced with a warning."})
final class StartCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    HelpOption helpOption;

    @Mixin
    ConfigOptions configOptions;

    @Mixin
    StartOptions options;

    /** Set on the re-executed child of `start -d`; not for people. */
    @Option(names = "--daemon-child", hidden = true)
    boolean daemonChild;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return run(spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** The config file with this start's overrides applied; a problem is a usage error (exit 2). */
    GatewayConfig checkedConfig(Installation inst) {
        return applyOverrides(configOptions.load(inst)); // validates: exit 2 with the key named
    }

    int run(PrintWriter out, PrintWriter err) {
        Installation inst = Installation.current();
        Path configFile = configOptions.file(inst).toAbsolutePath().normalize();
        UnaryOperator<GatewayConfig> overrides = this::applyOverrides;
        GatewayConfig config = checkedConfig(inst);
        if (options.daemon && !daemonChild) {
            return launchDaemon(inst, configFile, config, out, err);
        }
        String mode = daemonChild ? "daemon" : "debug";
        boolean logClients = !daemonChild && !options.quiet;
        Runnable logOverrides = () -> {
            if (logClients) {
                ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("gatewayd.clients")).setLevel(Level.DEBUG);
            }
        };
        logOverrides.run();
        Path logFile = daemonChild ? config.paths().logDir(inst.home()).resolve(DaemonLauncher.LOG_FILE) : null;
        GatewayProcess process;
        try {
            process = GatewayProcess.startHandlingSignals(new GatewayProcess.Options(inst.home(), inst.env(), configFile, overrides,
                    mode, Duration.ofSeconds(options.stopTimeoutSeconds), false, logFile, logOverrides));
        } catch (PidFile.AlreadyRunningException | PidFile.PidFileException | LogDirLock.InUseException e) {
            throw new CliException(GatewayCtl.EXIT_FAILURE, e.getMessage());
        } catch (GatewayStartException e) {
            GatewayProcess.flushLogs();
            throw e;
        }
        var gw = process.gateway();
        out.println("gatewayd started in " + mode.toUpperCase(Locale.ROOT) + " mode (pid " + ProcessHandle.current().pid()
                + "): clients on " + String.join(", ", gw.listenerUrls()) + ", control on " + gw.controlUrl()
                + (daemonChild ? "" : ". Press Ctrl-C to stop."));
        out.flush();
        process.awaitTermination();
        out.println("gatewayd stopped (pid " + ProcessHandle.current().pid() + ")");
        out.flush();
        GatewayProcess.flushLogs();
        return GatewayCtl.EXIT_OK;
    }

    private GatewayConfig applyOverrides(GatewayConfig config) {
        if (options.wsPort != null) {
            config = config.withWebSocketPort(options.wsPort);
        }
        if (options.controlPort != null) {
            config = config.withControl(config.control().withPort(options.controlPort));
        }
        return config;
    }

    /**
     * The daemon's readiness check: GET /health with the trust every other command uses, so an
     * https:// control port with the config's own (self-signed, private CA) certificate is ready
     * as soon as it answers, and one with a certificate gatewayctl does not trust is reported as
     * such rather than waited on and killed.
     */
    static DaemonLauncher.HealthCheck readiness(Installation inst, GatewayConfig config) {
        ControlTrust trust = null;
        if (config.control().tls()) { // before the launch: a bad $GATEWAYD_CONTROL_CACERT fails it at once
            trust = ControlTrust.of(inst, ControlTrust.configCert(inst, config.tls().certFile()), null);
        }
        ControlTrust https = trust;
        java.util.Map<String, ControlClient> clients = new java.util.HashMap<>();
        return url -> {
            try {
                ControlClient client = clients.computeIfAbsent(url, u -> {
                    java.net.URI uri = Target.loopbackIfWildcard(java.net.URI.create(u));
                    return new ControlClient(uri, null, Duration.ofSeconds(5),
                            "https".equalsIgnoreCase(uri.getScheme()) ? https : null);
                });
                return client.healthy();
            } catch (ControlClient.TlsException e) {
                throw new DaemonLauncher.UnverifiableException(e.getMessage());
            } catch (IllegalArgumentException e) {
                return false;
            }
        };
    }

    /**
     * Refuses a daemon start whose log directory another live gateway writes to, before anything
     * is appended to that gateway's gatewayd.out (the child checks again under the lock).
     *
     * @param replacing    the pid file of a gateway about to be stopped (restart), whose hold does not count; or null
     * @param replacingPid the pid of the gateway restart stops, found some other way (--control-url); or -1
     */
    void requireOwnLogDir(Installation inst, GatewayConfig config, Path replacing, long replacingPid) {
        Path logDir = config.paths().logDir(inst.home());
        LogDirLock.Holder holder = LogDirLock.probe(logDir);
        if (holder == null || (replacing != null && replacing.toString().equals(holder.pidFile()))
                || (replacingPid > 0 && holder.pid() == replacingPid)) {
            return;
        }
        throw new CliException(GatewayCtl.EXIT_FAILURE, "cannot start: " + LogDirLock.inUse(logDir, holder));
    }

    private int launchDaemon(Installation inst, Path configFile, GatewayConfig config, PrintWriter out,
                             PrintWriter err) {
        PidFile pidFile = PidFile.of(config, inst.home());
        PidFile.Probe probe = pidFile.probe();
        if (probe.running()) {
            throw new CliException(GatewayCtl.EXIT_FAILURE, "gatewayd is already running"
                    + (probe.pid() > 0 ? " (pid " + probe.pid() + ")" : "") + "; `gatewayctl stop` stops it, "
                    + "`gatewayctl restart -d` restarts it");
        }
        requireOwnLogDir(inst, config, null, -1);
        if (probe.state() == PidFile.State.STALE) {
            err.println("gatewayctl: warning: replacing the stale pid file " + pidFile.path() + " (pid " + probe.pid()
                    + " did not stop cleanly)");
            err.flush();
        }
        List<String> args = new ArrayList<>(List.of("start", "--daemon-child", "--config", configFile.toString(),
                "--stop-timeout", Long.toString(options.stopTimeoutSeconds)));
        if (options.wsPort != null) {
            args.addAll(List.of("--ws-port", options.wsPort.toString()));
        }
        if (options.controlPort != null) {
            args.addAll(List.of("--control-port", options.controlPort.toString()));
        }
        Path logDir = config.paths().logDir(inst.home());
        DaemonLauncher.Ready ready;
        try {
            ready = DaemonLauncher.launch(new DaemonLauncher.Launch(inst.home(), logDir, pidFile, args,
                    Duration.ofSeconds(options.waitSeconds), readiness(inst, config)));
        } catch (DaemonLauncher.LaunchFailedException e) {
            throw new CliException(e.exitCode(), e.getMessage());
        }
        out.println("gatewayd started in DAEMON mode (pid " + ready.pid() + ", " + Format.seconds(
                ready.took().toMillis() / 1000.0) + "): clients on " + String.join(", ", ready.info().listeners())
                + ", control on " + ready.info().controlUrl() + "; log " + logDir.resolve(DaemonLauncher.LOG_FILE));
        out.flush();
        return GatewayCtl.EXIT_OK;
    }
}
