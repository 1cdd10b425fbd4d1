package io.gatewayd.cli;

import io.gatewayd.Version;
import picocli.CommandLine.Command;

@Command(name = "version", description = "Print the gatewayd version.")
final class VersionCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().println("gatewayd " + Version.get());
    }
}
