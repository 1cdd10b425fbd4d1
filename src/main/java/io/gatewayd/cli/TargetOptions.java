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
            description = "Control API token (default: the first of control.tokens, or $GATEWAYD_CONTROL_TOKEN).")
    String token;

    Target target(Installation inst, java.io.PrintWriter err) {
        return Target.resolve(inst, configOptions, controlUrl, token, err);
    }
}
