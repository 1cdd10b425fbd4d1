package io.gatewayd.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;

/**
 * How stop/restart find the running gateway: like {@link ControlOptions} but without its
 * --timeout, which those commands use for the stop timeout.
 */
final class TargetOptions {
    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--control-url", paramLabel = "URL",
            description = "Control URL of the running gateway (default: from its runtime file next to the pid file, "
                    + "else control.listen of the config).")
    URI controlUrl;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Control API token (default: the first of control.tokens, else the variable that control.token-env names, or $GATEWAYD_CONTROL_TOKEN).")
    String token;

    @Option(names = "--cacert", paramLabel = "FILE",
            description = "With an https:// control port: also trust the certificates in this PEM file, "
                    + "the gateway's own certificate or the CA that signed it (default: "
                    + "$" + ControlTrust.CACERT_ENV + "). The certificate of the config's tls.cert-file and "
                    + "the system's CAs are always trusted.")
    java.nio.file.Path caCert;

    Target target(Installation inst, java.io.PrintWriter err) {
        return Target.resolve(inst, configOptions, checkedControlUrl(controlUrl), token, caCert, err);
    }

    /** --control-url as the control client can use it, or a usage error naming the option and the form. */
    static URI checkedControlUrl(URI url) {
        if (url == null) {
            return null;
        }
        String scheme = url.getScheme();
        boolean http = "http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme);
        if (!http || url.getHost() == null || url.getPort() > 65535) {
            throw new CliException(GatewayCtl.EXIT_USAGE, "--control-url: \"" + url + "\" is not an http:// or "
                    + "https:// URL with a host; pass the gateway's control URL, such as http://127.0.0.1:8283");
        }
        return url;
    }
}
