package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.TimeUnit;

/** {@code gatewayctl reload}: the running gateway re-reads its config file, clients stay. */
@Command(name = "reload",
        description = {
                "Re-read the config file and apply it to the running gateway without dropping any client.",
                "",
                "Applies heartbeat settings, the welcome message, the client message policy,",
                "outbound limits, control tokens and body limit, limits, auth, webhooks, TLS",
                "files, cron jobs, log levels (conf/logback.xml or conf/logback-daemon.xml) and",
                "listeners (a changed listen address opens the new listener and closes the old",
                "one; connections made through the old one stay). node.*, cluster.*, paths.*",
                "and control.listen apply only after a restart; the command says so at every",
                "reload until then. An invalid config is refused, the error (file, line, key) is",
                "printed, the exit status is 2, and the running config stays.",
                "",
                "The command asks the gateway through its control port; if that does not answer",
                "it sends SIGHUP to the pid in the pid file (the gateway logs the outcome).",
                "SIGHUP does the same as this command; a gateway started under nohup ignores",
                "SIGHUP, so use this command there."})
final class ReloadCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    HelpOption helpOption;

    @Mixin
    ControlOptions control;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Target t = control.target(Installation.current(), null);
        if (!t.probe.running() && !t.hasUrl()) {
            throw t.notRunning();
        }
        JsonNode r;
        try {
            r = t.client(control.timeout()).call("admin/reload", JsonNodeFactory.instance.objectNode());
        } catch (ControlClient.NotRunningException e) {
            long pid = t.pid();
            if (pid <= 0 || ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true)) {
                throw t.probe.running() ? e : t.notRunning();
            }
            if (t.configError != null) {
                err.println("gatewayctl: warning: " + t.configError.getMessage());
            }
            err.println("gatewayctl: the control port" + (t.hasUrl() ? " at " + t.url : "")
                    + " does not answer; sending SIGHUP to pid " + pid + " (the gateway logs whether the reload worked)");
            err.flush();
            hangup(pid);
            return GatewayCtl.EXIT_OK;
        }
        out.println("reloaded " + r.path("config_file").asText() + (t.pid() > 0 ? " (pid " + t.pid() + ")" : ""));
        for (JsonNode note : r.path("notes")) {
            out.println("  note: " + note.asText());
        }
        if (r.has("listeners")) {
            out.println("  clients on " + String.join(", ", iterable(r.path("listeners"))));
        }
        if (r.hasNonNull("log_config")) {
            out.println("  " + r.path("log_config").asText());
        }
        out.flush();
        return GatewayCtl.EXIT_OK;
    }

    private static Iterable<String> iterable(JsonNode array) {
        java.util.List<String> l = new java.util.ArrayList<>();
        array.forEach(n -> l.add(n.asText()));
        return l;
    }

    static void hangup(long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(pid)).redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes()).trim();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new CliException(GatewayCtl.EXIT_FAILURE, "cannot send SIGHUP to pid " + pid + ": " + output);
            }
        } catch (IOException e) {
            throw new CliException(GatewayCtl.EXIT_FAILURE, "cannot run kill -HUP " + pid + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(GatewayCtl.EXIT_FAILURE, "interrupted");
        }
    }
}
