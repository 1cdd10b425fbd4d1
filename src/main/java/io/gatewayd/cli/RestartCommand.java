package io.gatewayd.cli;

import io.gatewayd.lifecycle.PidFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;

/** {@code gatewayctl restart [-d] [-g]}: stop (if running), then start with the same mode flags. */
@Command(name = "restart",
        description = {
                "Stop the running gateway (if any) and start it again; -d starts it as a daemon.",
                "",
                "The stop is as `gatewayctl stop` (with -g: after the clients have left);",
                "the start is as `gatewayctl start` (with -d: in the background, returning",
                "once it is ready; without: in the foreground, in this terminal). Clients",
                "are disconnected: use `gatewayctl reload` to apply a config change",
                "without dropping them. The gateway to stop is found as `gatewayctl stop`",
                "finds it (pid file, --control-url, control.listen); it must run on this",
                "machine, where the new one starts."})
final class RestartCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    HelpOption helpOption;

    @Mixin
    TargetOptions target;

    @Option(names = {"-g", "--graceful"}, description = "Stop gracefully: wait until every client has disconnected.")
    boolean graceful;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "Stop timeout, as for `gatewayctl stop` (with -g: how long to wait for clients to leave).")
    @Bounds(min = "0", max = "" + 365 * 86400, unit = "seconds")
    Double timeoutSeconds;

    @Option(names = "--force", description = "Kill the old gateway if it has not exited in time.")
    boolean force;

    @Mixin
    StartOptions startOptions;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Installation inst = Installation.current();
        StartCommand start = new StartCommand();
        start.configOptions = target.configOptions;
        start.options = startOptions;
        // before the stop: a broken config must not leave the gateway stopped
        io.gatewayd.config.GatewayConfig config = start.checkedConfig(inst);
        Target t = target.target(inst, err);
        boolean running = t.probe.running();
        long stopping = t.pid();
        if (!running && t.hasUrl() && answers(t)) {
            // found as stop finds it without a pid file: --control-url, else control.listen
            requireThisMachine(t);
            running = true;
            stopping = pidAt(t);
        }
        if (startOptions.daemon) { // the foreground logs to the console, not to the log directory
            start.requireOwnLogDir(inst, config, PidFile.of(config, inst.home()).path(), stopping);
        }
        if (running) {
            StopCommand.stop(t, graceful, timeoutSeconds, force, out, err);
        } else {
            // a stale pid file is reported once, by the start that replaces it
            out.println((t.probe.state() == PidFile.State.STALE ? "gatewayd is not running"
                    : t.notRunningMessage()) + "; starting it");
            out.flush();
        }
        return start.run(out, err);
    }

    /** The pid of the gateway at t's URL, as it says; -1 if it does not say. */
    private static long pidAt(Target t) {
        try {
            return t.client(java.time.Duration.ofSeconds(10)).get("/api/status").path("pid").asLong(-1);
        } catch (RuntimeException e) {
            return -1; // the stop reports why it cannot reach it
        }
    }

    private static boolean answers(Target t) {
        return t.client(java.time.Duration.ofSeconds(10)).answers();
    }

    /** The new gateway starts here: stopping one on another machine would not restart it. */
    private static void requireThisMachine(Target t) {
        if (!Hosts.isThisMachine(t.url.getHost())) {
            throw new CliException(GatewayCtl.EXIT_USAGE, "restart starts the gateway on this machine, but the one at "
                    + t.url + " runs elsewhere; run `gatewayctl restart` where it runs, or `gatewayctl stop "
                    + "--control-url " + t.url + "` to stop it from here");
        }
    }
}
