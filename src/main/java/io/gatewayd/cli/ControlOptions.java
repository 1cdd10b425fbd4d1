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
            description = "Control URL of the running gateway (default: from its runtime file next to the pid file, "
                    + "else control.listen of the config).")
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

    /** The running gateway as config, pid file and runtime file describe it (see {@link Target}). */
    Target target(Installation inst, java.io.PrintWriter err) {
        return Target.resolve(inst, configOptions, controlUrl, token, err);
    }

    ControlClient client(Installation inst) {
        return target(inst, null).client(Duration.ofSeconds(timeoutSeconds));
    }

    Duration timeout() {
        return Duration.ofSeconds(timeoutSeconds);
    }
}
