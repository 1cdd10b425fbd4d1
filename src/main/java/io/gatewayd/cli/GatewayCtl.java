package io.gatewayd.cli;

import io.gatewayd.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code gatewayctl}: runs and operates gatewayd. Each subcommand is its own class; this one
 * only assembles them and maps errors to exit codes and one-line messages.
 */
@Command(name = "gatewayctl",
        mixinStandardHelpOptions = true,
        versionProvider = GatewayCtl.VersionProvider.class,
        description = {
                "Runs and operates gatewayd, a push gateway for WebSocket and TCP clients with a",
                "GatewayWorker-compatible push API on an HTTP control port."},
        subcommands = {
                StartCommand.class,
                StopCommand.class,
                RestartCommand.class,
                ReloadCommand.class,
                StatusCommand.class,
                ConnectionsCommand.class,
                SendCommand.class,
                CallCommand.class,
                ConfigCommand.class,
                CronCommand.class,
                VersionCommand.class,
                CompletionCommand.class,
                TokenCommand.class,
                BenchCommand.class,
                HelpCommand.class
        },
        footerHeading = "%nExamples:%n",
        footer = {
                "  gatewayctl start              run in the foreground (debug mode)",
                "  gatewayctl start -d           run as a daemon; returns once it is ready",
                "  gatewayctl status             is it running? (exit 0 yes, 3 no)",
                "  gatewayctl reload             apply the config; clients stay connected",
                "  gatewayctl stop -g            stop once every client has left",
                "  gatewayctl send --uid 42 hi   push to the clients bound to uid 42",
                "  gatewayctl cron list          the cron jobs, their next and last runs",
                "",
                "Exit status: 0 success, 1 failure, 2 usage or configuration error,",
                "3 not running.",
                "See `gatewayctl help COMMAND` and man gatewayctl."})
public final class GatewayCtl implements Runnable {
    static final int EXIT_OK = 0;
    static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, shared by main, tests and the man page generator. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new GatewayCtl());
        cl.setExecutionExceptionHandler(new Errors());
        cl.setHelpFactory(SpaceWrappingHelp::new);
        // picocli's own URI conversion error quotes java.net.URISyntaxException at the user
        cl.registerConverter(java.net.URI.class, s -> {
            try {
                return new java.net.URI(s);
            } catch (java.net.URISyntaxException e) {
                throw new CommandLine.TypeConversionException("\"" + s + "\" is not a URL (" + e.getReason()
                        + (e.getIndex() >= 0 ? " at character " + (e.getIndex() + 1) : "") + ")");
            }
        });
        // after parsing, before any command (or its help) runs: numbers outside their @Bounds are usage errors
        cl.setExecutionStrategy(parsed -> {
            OptionRange.check(parsed);
            return new CommandLine.RunLast().execute(parsed);
        });
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            String range = OptionRange.conversionProblem(ex, args);
            c.getErr().println("gatewayctl: " + (range != null ? range : ex.getMessage()));
            if (ex instanceof CommandLine.UnmatchedArgumentException u) {
                String hint = WorkermanFlags.hint(c.getCommandName(), u.getUnmatched());
                if (hint != null) {
                    c.getErr().println(hint + ".");
                }
            }
            c.getErr().println("Try '" + c.getCommandSpec().qualifiedName() + " --help' for more information.");
            return EXIT_USAGE;
        });
        return cl;
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"gatewayd " + Version.get(),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
