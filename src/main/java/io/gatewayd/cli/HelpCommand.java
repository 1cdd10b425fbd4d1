package io.gatewayd.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code gatewayctl help [COMMAND [SUBCOMMAND...]]}: picocli's help command looks only one level
 * down, so {@code help cron list} showed the help of {@code cron}; this one follows the whole path.
 */
@Command(name = "help", helpCommand = true,
        description = "Show the help of gatewayctl, or of a command: help cron list.")
final class HelpCommand implements CommandLine.IHelpCommandInitializable2, Callable<Integer> {
    @Mixin
    HelpOption helpOption;

    @Parameters(paramLabel = "COMMAND", arity = "0..*",
            description = "The command, and its subcommands, whose help to show.")
    List<String> path = new ArrayList<>();

    private CommandLine self;
    private CommandLine.Help.ColorScheme colors;
    private PrintWriter out;
    private PrintWriter err;

    @Override
    public void init(CommandLine helpCommandLine, CommandLine.Help.ColorScheme colorScheme,
                     PrintWriter out, PrintWriter err) {
        this.self = helpCommandLine;
        this.colors = colorScheme;
        this.out = out;
        this.err = err;
    }

    @Override
    public Integer call() {
        CommandLine target = self.getParent();
        for (String name : path) {
            CommandLine sub = target.getSubcommands().get(name);
            if (sub == null) {
                err.println("gatewayctl: unknown command '" + name + "' in `" + target.getCommandSpec().qualifiedName()
                        + "`; `" + target.getCommandSpec().qualifiedName() + " --help` lists its commands");
                return GatewayCtl.EXIT_USAGE;
            }
            target = sub;
        }
        target.usage(out, colors);
        return 0;
    }
}
