package io.gatewayd.cli;

import io.gatewayd.Version;
import picocli.CommandLine.Command;

@Command(name = "version", description = "Print the gatewayd version and the Java runtime it runs on.")
final class VersionCommand implements Runnable {
    @picocli.CommandLine.Mixin
    HelpOption helpOption;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().getOut().println("gatewayd " + Version.get());
        spec.commandLine().getOut().println("Java " + System.getProperty("java.version") + " ("
                + System.getProperty("java.vm.name") + ", " + System.getProperty("java.home") + ")");
    }
}
