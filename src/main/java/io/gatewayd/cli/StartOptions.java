package io.gatewayd.cli;

import picocli.CommandLine.Option;

/**
 * How a gateway is started: shared by start and restart, so that restart starts the new
 * gateway exactly as start would and the two cannot drift apart.
 */
final class StartOptions {
    @Option(names = {"-d", "--daemon"}, description = "Run as a daemon in the background (daemon mode).")
    boolean daemon;

    @Option(names = "--ws-port", paramLabel = "PORT",
            description = "Override the port of the first WebSocket listener (kept across reloads).")
    Integer wsPort;

    @Option(names = "--control-port", paramLabel = "PORT",
            description = "Override the control port (kept across reloads).")
    Integer controlPort;

    @Option(names = {"-q", "--quiet"}, description = "Foreground: do not log each connect/message/close.")
    boolean quiet;

    @Option(names = "--stop-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "On SIGTERM or `gatewayctl stop`, how long clients get to close (default: ${DEFAULT-VALUE}).")
    long stopTimeoutSeconds;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "90",
            description = "With -d: how long to wait for the daemon to be ready before giving up and stopping it "
                    + "(default: ${DEFAULT-VALUE}).")
    long waitSeconds;

    /** Refuses what the config would refuse later with its own key names, naming the option instead. */
    void validate() {
        port("--ws-port", wsPort);
        port("--control-port", controlPort);
        OptionRange.between("--stop-timeout", stopTimeoutSeconds, 0, 365 * 86400);
        OptionRange.between("--wait", waitSeconds, 1, 86400);
    }

    private static void port(String option, Integer port) {
        if (port != null && (port < 0 || port > 65535)) {
            throw new CliException(GatewayCtl.EXIT_USAGE, option + " must be a port between 0 and 65535 "
                    + "(0: any free port), got " + port);
        }
    }
}
