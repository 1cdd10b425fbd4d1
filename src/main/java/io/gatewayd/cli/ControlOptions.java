package io.gatewayd.cli;

import io.gatewayd.config.GatewayConfig;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.URI;
import java.time.Duration;

/** How a command finds the running gateway: through its config, or --control-url/--token. */
final class ControlOptions {
    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--control-url", paramLabel = "URL",
            description = "Control URL of the running gateway (default: control.listen of the config).")
    URI controlUrl;

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Control API token (default: the first of control.tokens, or $GATEWAYD_CONTROL_TOKEN).")
    String token;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long to wait for the gateway to answer (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    /** The config, or null when it cannot be read and --control-url makes it unnecessary. */
    GatewayConfig configOrNull(Installation inst) {
        if (controlUrl != null) {
            try {
                return configOptions.load(inst);
            } catch (RuntimeException e) {
                return null;
            }
        }
        return configOptions.load(inst);
    }

    ControlClient client(Installation inst) {
        GatewayConfig config = configOrNull(inst);
        URI url = controlUrl;
        if (url == null) {
            String host = config.control().host();
            if (host.equals("0.0.0.0") || host.equals("::")) {
                host = "127.0.0.1"; // a wildcard bind is reachable on loopback
            }
            url = URI.create("http://" + (host.contains(":") ? "[" + host + "]" : host) + ":"
                    + config.control().port());
        }
        String t = token;
        if (t == null && config != null && !config.control().tokens().isEmpty()) {
            t = config.control().tokens().get(0);
        }
        return new ControlClient(url, t, Duration.ofSeconds(timeoutSeconds));
    }
}
