package io.gatewayd.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import io.gatewayd.Gateway;
import io.gatewayd.config.GatewayConfig;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;

/**
 * {@code gatewayctl start}: runs the gateway in the foreground ("debug mode"), logging each
 * connect, message and close, until Ctrl-C or SIGTERM, which stop it cleanly (clients get 1001).
 */
@Command(name = "start",
        description = {
                "Start the gateway in the foreground (debug mode): connection events are logged to",
                "the console; Ctrl-C or SIGTERM stops it cleanly (clients get close code 1001).",
                "This is what supervisors (systemd, supervisord) run."})
final class StartCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Option(names = "--ws-port", paramLabel = "PORT",
            description = "Override the port of the first WebSocket listener.")
    Integer wsPort;

    @Option(names = "--control-port", paramLabel = "PORT", description = "Override the control port.")
    Integer controlPort;

    @Option(names = {"-q", "--quiet"}, description = "Do not log each connect/message/close.")
    boolean quiet;

    @Option(names = "--stop-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "On Ctrl-C/SIGTERM, how long clients get to close (default: ${DEFAULT-VALUE}).")
    long stopTimeoutSeconds;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        Installation inst = Installation.current();
        GatewayConfig config = configOptions.load(inst);
        if (wsPort != null) {
            config = config.withWebSocketPort(wsPort);
        }
        if (controlPort != null) {
            config = config.withControl(config.control().withPort(controlPort));
        }
        if (!quiet) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("gatewayd.clients")).setLevel(Level.DEBUG);
        }
        Gateway gateway = Gateway.builder(config).mode("debug").start();
        Duration stopTimeout = Duration.ofSeconds(stopTimeoutSeconds);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            gateway.stop(stopTimeout);
            if (LoggerFactory.getILoggerFactory() instanceof LoggerContext ctx) {
                ctx.stop(); // flush appenders before the JVM goes
            }
        }, "gatewayd-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("gatewayd started in DEBUG mode (pid " + ProcessHandle.current().pid() + "): clients on "
                + String.join(", ", gateway.listenerUrls()) + ", control on " + gateway.controlUrl()
                + ". Press Ctrl-C to stop.");
        out.flush();
        gateway.terminated().join();
        return GatewayCtl.EXIT_OK;
    }
}
