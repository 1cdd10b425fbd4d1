package io.gatewayd.cli;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;

/**
 * How a command finds the running gateway ({@link TargetOptions}: config, --control-url,
 * --token) and how long it waits for an answer (--timeout). stop and restart use
 * {@link TargetOptions} alone, because their --timeout is the stop timeout.
 */
final class ControlOptions {
    @Mixin
    TargetOptions where;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long to wait for the gateway to answer (default: ${DEFAULT-VALUE}).")
    @Bounds(min = "1", max = "" + 365 * 86400, unit = "seconds")
    long timeoutSeconds;

    /** The running gateway as config, pid file and runtime file describe it (see {@link Target}). */
    Target target(Installation inst, java.io.PrintWriter err) {
        return where.target(inst, err);
    }

    ControlClient client(Installation inst) {
        return target(inst, null).client(timeout());
    }

    Duration timeout() {
        return Duration.ofSeconds(timeoutSeconds);
    }
}
