package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.config.ConfigException;
import io.gatewayd.config.ConfigLoader;
import io.gatewayd.config.GatewayConfig;
import io.gatewayd.config.PathsConfig;
import io.gatewayd.lifecycle.PidFile;

import java.io.PrintWriter;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;

/**
 * The gateway a command talks to, as found from the command line, the config, the pid file and
 * the runtime file next to it (which has the real control port, even when the config says 0 or
 * the gateway was started with --control-port).
 *
 * <p>A config that no longer parses (someone is editing it) does not stop `status`, `stop` or
 * `send` from working: with a warning, the gateway is found through the paths and control
 * sections read leniently ({@link Lenient}), the environment overrides (GATEWAYD_RUN_DIR, ...)
 * and $GATEWAYD_CONTROL_TOKEN; only what cannot be read falls back to the defaults.
 */
final class Target {
    /** What is known of the process of a gateway found through --control-url alone: nothing. */
    private static final PidFile.Probe UNRELATED = new PidFile.Probe(PidFile.State.NOT_RUNNING, -1, null);

    final Installation inst;
    final GatewayConfig config;
    final ConfigException configError;
    final PidFile pidFile;
    final PidFile.Probe probe;
    final URI url;
    final String token;
    /** The URL came from --control-url (not from the runtime file or the config). */
    final boolean urlGiven;
    /**
     * The pid file (and its runtime file) describe the gateway at {@link #url}. False when
     * --control-url names another gateway than the config's: its pid, certificate pin and
     * stale-file state belong to that other gateway, and signalling, waiting on or reporting
     * them would act on the wrong process. {@link #probe} is then empty.
     */
    final boolean pidFileApplies;
    /** The config's tls.cert-file, the certificate an https:// control port serves; or null. */
    final java.nio.file.Path configCert;
    /** --cacert, or null for $GATEWAYD_CONTROL_CACERT (if set). */
    final java.nio.file.Path caCert;

    private Target(Installation inst, GatewayConfig config, ConfigException configError, PidFile pidFile,
                   PidFile.Probe probe, URI url, String token, boolean urlGiven, boolean pidFileApplies,
                   java.nio.file.Path configCert, java.nio.file.Path caCert) {
        this.inst = inst;
        this.config = config;
        this.configError = configError;
        this.pidFile = pidFile;
        this.pidFileApplies = pidFileApplies;
        this.probe = pidFileApplies ? probe : UNRELATED;
        this.url = url;
        this.token = token;
        this.urlGiven = urlGiven;
        this.configCert = configCert;
        this.caCert = caCert;
    }

    /**
     * @param caCert --cacert, or null for $GATEWAYD_CONTROL_CACERT (if set)
     * @param err    where a config problem is reported as a warning; null to keep quiet
     */
    static Target resolve(Installation inst, ConfigOptions co, URI controlUrl, String token, java.nio.file.Path caCert,
                          PrintWriter err) {
        GatewayConfig config = null;
        ConfigException problem = null;
        Lenient lenient = null;
        try {
            config = co.load(inst);
        } catch (ConfigException e) {
            problem = e;
            lenient = Lenient.read(inst, co.file(inst));
        }
        PathsConfig paths = config != null ? config.paths() : lenient.paths();
        PidFile pidFile = new PidFile(paths.pidFile(inst.home()));
        if (problem != null && err != null) {
            err.println("gatewayctl: warning: " + problem.getMessage() + "; finding the gateway through the pid file "
                    + pidFile.path() + (lenient.note() == null ? "" : " (" + lenient.note() + ")"));
            err.flush();
        }
        PidFile.Probe probe = pidFile.probe();
        URI url = controlUrl;
        if (url == null && probe.runtime() != null) {
            url = loopbackIfWildcard(URI.create(probe.runtime().controlUrl()));
        }
        if (url == null && config != null && config.control().port() != 0) {
            url = loopbackIfWildcard(URI.create(config.control().listen().trim()));
        }
        if (url == null && lenient != null && lenient.controlUrl() != null) {
            url = lenient.controlUrl();
        }
        String t = token;
        if (t == null && config != null && !config.control().tokens().isEmpty()) {
            t = config.control().tokens().get(0);
        }
        if (t == null && lenient != null) {
            t = lenient.token();
        }
        if (t == null) {
            String fromEnv = inst.env().get("GATEWAYD_CONTROL_TOKEN");
            t = fromEnv == null || fromEnv.isBlank() ? null : fromEnv;
        }
        URI configUrl = null;
        if (config != null && config.control().port() != 0) {
            configUrl = URI.create(config.control().listen().trim()); // a wildcard as such: any address here is it
        } else if (lenient != null) {
            configUrl = lenient.controlUrl();
        }
        boolean applies = controlUrl == null || sameGateway(controlUrl, probe.runtime() != null
                ? URI.create(probe.runtime().controlUrl()) : configUrl);
        String certFile = config != null ? config.tls().certFile() : lenient.certFile();
        return new Target(inst, config, problem, pidFile, probe, url, t, controlUrl != null, applies,
                ControlTrust.configCert(inst, certFile), caCert);
    }

    /**
     * Whether two control URLs reach the same gateway: the same port at the same address
     * (127.0.0.1 and localhost are one; 127.0.0.1 and ::1 are two sockets), or any address of
     * this machine when the known one is a wildcard bind.
     */
    static boolean sameGateway(URI given, URI known) {
        if (known == null || given.getPort() != known.getPort() || given.getPort() < 0
                || given.getHost() == null || known.getHost() == null) {
            return false;
        }
        try {
            java.util.Set<java.net.InetAddress> at = java.util.Set.of(java.net.InetAddress.getAllByName(bare(known)));
            if (at.stream().anyMatch(java.net.InetAddress::isAnyLocalAddress)) {
                return Hosts.isThisMachine(given.getHost());
            }
            for (java.net.InetAddress a : java.net.InetAddress.getAllByName(bare(given))) {
                if (at.contains(a)) {
                    return true;
                }
            }
            return false;
        } catch (java.net.UnknownHostException | IllegalArgumentException e) {
            return given.getHost().equalsIgnoreCase(known.getHost());
        }
    }

    private static String bare(URI u) {
        return u.getHost().replaceAll("^\\[|\\]$", "");
    }

    /** The pid file's state now, or the empty probe when it describes another gateway than {@link #url}'s. */
    PidFile.Probe probeAgain() {
        return pidFileApplies ? pidFile.probe() : UNRELATED;
    }

    /**
     * What can be read from a config that does not load: its paths, control.listen, first token
     * and tls.cert-file, taken from the YAML tree of those sections alone (the mistake is usually elsewhere),
     * with GATEWAYD_RUN_DIR and friends applied as the strict loader does. Whatever cannot be
     * read falls back to the defaults.
     *
     * @param note why the defaults were used, or null
     */
    record Lenient(PathsConfig paths, URI controlUrl, String token, String certFile, String note) {
        static Lenient read(Installation inst, java.nio.file.Path file) {
            PathsConfig paths = PathsConfig.defaults();
            URI url = null;
            String token = null;
            String certFile = null;
            String note = null;
            try {
                JsonNode sections = new ConfigLoader(inst.env()).readSectionsLeniently(file, "paths", "control",
                        "tls");
                certFile = text(sections.path("tls"), "cert-file");
                JsonNode p = sections.path("paths");
                paths = new PathsConfig(text(p, "run-dir"), text(p, "log-dir"), text(p, "pid-file"));
                JsonNode c = sections.path("control");
                String listen = text(c, "listen");
                if (listen != null) {
                    try {
                        URI u = new URI(listen.trim());
                        if (u.getHost() != null && u.getPort() > 0) {
                            url = loopbackIfWildcard(u);
                        }
                    } catch (URISyntaxException e) {
                        // unusable: the runtime file, or --control-url, has to do
                    }
                }
                for (JsonNode tok : c.path("tokens")) {
                    if (tok.isTextual() && !tok.textValue().isBlank()) {
                        token = tok.textValue();
                        break;
                    }
                }
                String tokenEnv = text(c, "token-env");
                if (token == null && tokenEnv != null) {
                    String v = inst.env().get(tokenEnv);
                    token = v == null || v.isBlank() ? null : v;
                }
            } catch (ConfigException | IllegalArgumentException e) {
                note = "the paths section cannot be read either, so the default paths";
            }
            return new Lenient(paths.withEnvironment(inst.env()), url, token, certFile, note);
        }

        private static String text(JsonNode section, String key) {
            JsonNode v = section.path(key);
            return v.isTextual() || v.isNumber() ? v.asText() : null;
        }
    }

    /** A wildcard bind (0.0.0.0, ::) is reachable on loopback. */
    static URI loopbackIfWildcard(URI u) {
        String host = u.getHost() == null ? "" : u.getHost().replaceAll("^\\[|\\]$", "");
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
            // keep https: the certificate check does not depend on the host name when it is pinned
            String scheme = "https".equalsIgnoreCase(u.getScheme()) ? "https" : "http";
            return URI.create(scheme + "://127.0.0.1:" + u.getPort());
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
        return new ControlClient(url, token, timeout, trust());
    }

    /** What an https:// control port may present; null for http://. */
    ControlTrust trust() {
        if (!"https".equalsIgnoreCase(url.getScheme())) {
            return null;
        }
        return ControlTrust.of(inst, configCert, caCert, probe.runtime() == null ? null
                : probe.runtime().controlCertSha256());
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
        if (!pidFileApplies) {
            return "gatewayd is not running at " + url + ": nothing answers there (the pid file " + pidFile.path()
                    + " is the config's gateway's, not this one's, so it was not consulted)";
        }
        if (probe.state() == PidFile.State.STALE) {
            return "gatewayd is not running, but its pid file " + pidFile.path() + " remains (pid " + probe.pid()
                    + "): it did not stop cleanly; the next start replaces it";
        }
        return "gatewayd is not running (no pid file at " + pidFile.path() + ")";
    }
}
