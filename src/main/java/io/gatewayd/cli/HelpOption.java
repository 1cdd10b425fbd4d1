package io.gatewayd.cli;

import picocli.CommandLine.Option;

/** -h/--help for every subcommand (the top command has picocli's standard help options). */
final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;
}
