package io.gatewayd.cli;

import io.gatewayd.config.ConfigException;
import io.gatewayd.config.GatewayConfig;
import io.gatewayd.config.PathsConfig;
import io.gatewayd.lifecycle.PidFile;

import java.io.PrintWriter;
import java.net.URI;
import java.time.Duration;

/**
 * The gateway a command talks to, as found from the command line, the config, the pid file and
 * the runtime file next to it (which has the real control port, even when the config says 0 or
 * the gateway was started with --control-port).
 *
 * <p>A config that no longer parses (someone is editing it) does not stop `status`, `stop` or
 * `send` from working: the default paths and $GATEWAYD_CONTROL_TOKEN are used, with a warning.
 */
final class Target {
    final Installation inst;
    final GatewayConfig config;
    final ConfigException configError;
    final PidFile pidFile;
    final PidFile.Probe probe;
    final URI url;
    final String token;

    private Target(Installation inst, GatewayConfig config, ConfigException configError, PidFile pidFile,
                   PidFile.Probe probe, URI url, String token) {
        this.inst = inst;
        this.config = config;
        this.configError = configError;
        this.pidFile = pidFile;
        this.probe = probe;
        this.url = url;
        this.token = token;
    }

    /** @param err where a config problem is reported as a warning; null to keep quiet */
    static Target resolve(Installation inst, ConfigOptions co, URI controlUrl, String token, PrintWriter err) {
        GatewayConfig config = null;
        ConfigException problem = null;
        try {
            config = co.load(inst);
        } catch (ConfigException e) {
            problem = e;
            if (err != null) {
                err.println("gatewayctl: warning: " + e.getMessage() + "; finding the gateway through the default "
                        + "paths");
                err.flush();
            }
        }
        PathsConfig paths = config != null ? config.paths() : PathsConfig.defaults();
        PidFile pidFile = new PidFile(paths.pidFile(inst.home()));
        PidFile.Probe probe = pidFile.probe();
        URI url = controlUrl;
        if (url == null && probe.runtime() != null) {
            url = loopbackIfWildcard(URI.create(probe.runtime().controlUrl()));
        }
        if (url == null && config != null && config.control().port() != 0) {
            url = loopbackIfWildcard(URI.create(config.control().listen().trim()));
        }
        String t = token;
        if (t == null && config != null && !config.control().tokens().isEmpty()) {
            t = config.control().tokens().get(0);
        }
        if (t == null) {
            String fromEnv = inst.env().get("GATEWAYD_CONTROL_TOKEN");
            t = fromEnv == null || fromEnv.isBlank() ? null : fromEnv;
        }
        return new Target(inst, config, problem, pidFile, probe, url, t);
    }

    /** A wildcard bind (0.0.0.0, ::) is reachable on loopback. */
    static URI loopbackIfWildcard(URI u) {
        String host = u.getHost() == null ? "" : u.getHost().replaceAll("^\\[|\\]$", "");
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
            return URI.create("http://127.0.0.1:" + u.getPort());
        }
        return URI.create(u.getScheme() + "://" + u.getRawAuthority());
    }

    boolean hasUrl() {
        return url != null;
    }

    ControlClient client(Duration timeout) {
        if (url == null) {
            throw notRunning();
        }
        return new ControlClient(url, token, timeout);
    }

    /** The pid of the running gateway, or -1. */
    long pid() {
        return probe.running() ? probe.pid() : -1;
    }

    /** "gatewayd is not running", with what the pid file says. */
    ControlClient.NotRunningException notRunning() {
        return new ControlClient.NotRunningException(notRunningMessage());
    }

    String notRunningMessage() {
        if (probe.state() == PidFile.State.STALE) {
            return "gatewayd is not running, but its pid file " + pidFile.path() + " remains (pid " + probe.pid()
                    + "): it did not stop cleanly; the next start replaces it";
        }
        return "gatewayd is not running (no pid file at " + pidFile.path() + ")";
    }
}
