package io.gatewayd.cli;

import io.gatewayd.GatewayStartException;
import io.gatewayd.config.ConfigException;
import picocli.CommandLine;

/** Turns exceptions into one readable line and an exit code: users never see a stack trace. */
final class Errors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        if (ex instanceof ConfigException) {
            cl.getErr().println("gatewayctl: configuration error: " + ex.getMessage());
            return GatewayCtl.EXIT_USAGE;
        }
        if (ex instanceof GatewayStartException) {
            cl.getErr().println("gatewayctl: cannot start: " + ex.getMessage());
            return GatewayCtl.EXIT_FAILURE;
        }
        if (ex instanceof ControlClient.NotAnsweringException) {
            cl.getErr().println("gatewayctl: " + ex.getMessage());
            return GatewayCtl.EXIT_FAILURE;
        }
        if (ex instanceof ControlClient.NotRunningException || ex instanceof ControlClient.TlsException) {
            cl.getErr().println("gatewayctl: " + ex.getMessage());
            return ControlClient.EXIT_NOT_RUNNING;
        }
        if (ex instanceof CliException ce) {
            cl.getErr().println("gatewayctl: " + ce.getMessage());
            return ce.exitCode();
        }
        cl.getErr().println("gatewayctl: unexpected error: " + ex
                + " (run with GATEWAYD_DEBUG=1 for the stack trace)");
        if (System.getenv("GATEWAYD_DEBUG") != null) {
            ex.printStackTrace(cl.getErr());
        }
        return GatewayCtl.EXIT_FAILURE;
    }
}
