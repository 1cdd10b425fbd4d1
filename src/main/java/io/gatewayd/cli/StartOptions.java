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
    @Bounds(min = "0", max = "65535", note = "0: any free port")
    Integer wsPort;

    @Option(names = "--control-port", paramLabel = "PORT",
            description = "Override the control port (kept across reloads).")
    @Bounds(min = "0", max = "65535", note = "0: any free port")
    Integer controlPort;

    @Option(names = {"-q", "--quiet"}, description = "Foreground: do not log each connect/message/close.")
    boolean quiet;

    @Option(names = "--stop-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "On SIGTERM or `gatewayctl stop`, how long clients get to close (default: ${DEFAULT-VALUE}).")
    @Bounds(min = "0", max = "" + 365 * 86400, unit = "seconds")
    long stopTimeoutSeconds;

    @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "90",
            description = "With -d: how long to wait for the daemon to be ready before giving up and stopping it "
                    + "(default: ${DEFAULT-VALUE}).")
    @Bounds(min = "1", max = "86400", unit = "seconds")
    long waitSeconds;
}
