package io.gatewayd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.lifecycle.PidFile;
import io.gatewayd.os.Processes;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** {@code gatewayctl stop [-g] [--timeout S] [--force]}. */
@Command(name = "stop",
        description = {
                "Stop the running gateway; with -g, only after its clients have left.",
                "",
                "stop: the gateway stops accepting, finishes in-flight control requests, closes",
                "every client (WebSocket close code 1001, going away; TCP clients after their",
                "data is flushed), removes its pid file and exits. --timeout bounds how long",
                "clients get to close (default: the --stop-timeout it was started with, 10 s);",
                "--force kills it if it is still running some time after that.",
                "",
                "stop -g (graceful): the gateway closes its listeners but keeps serving the",
                "connected clients, pushes included, until they have all disconnected, then",
                "stops as above. Without --timeout it waits indefinitely, as Workerman does;",
                "`gatewayctl status` shows \"draining, N connections left\". A plain `stop`",
                "during the drain stops at once; another `stop -g` joins it and waits with it",
                "(the drain keeps the timeout it was started with).",
                "",
                "The command asks the gateway through its control port; if that does not answer",
                "it sends SIGTERM to the pid in the pid file, and says so. With --control-url,",
                "or with no pid file the config's control.listen, it stops the gateway there and",
                "waits for its process to exit (or, if that runs elsewhere, for its control port",
                "to close).",
                "Exit status: 0 stopped, 1 failed, 3 was not running."})
final class StopCommand implements java.util.concurrent.Callable<Integer> {
    @picocli.CommandLine.Mixin
    HelpOption helpOption;

    /** Time for the JVM to exit after the gateway has closed everything. */
    static final Duration EXIT_MARGIN = Duration.ofSeconds(30);

    @Mixin
    TargetOptions target;

    @Option(names = {"-g", "--graceful"},
            description = "Drain: stop accepting, wait until every client has disconnected (or --timeout), then stop.")
    boolean graceful;

    @Option(names = "--timeout", paramLabel = "SECONDS",
            description = "stop: how long clients get to close (default: the gateway's --stop-timeout). "
                    + "stop -g: how long to wait for clients to leave (default: indefinitely).")
    @Bounds(min = "0", max = "" + 365 * 86400, unit = "seconds")
    Double timeoutSeconds;

    @Option(names = "--force",
            description = "Kill the gateway (SIGKILL) if it has not exited in time, and remove its pid file.")
    boolean force;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Target t = target.target(Installation.current(), err);
        if (!t.probe.running() && !t.hasUrl()) {
            throw t.notRunning();
        }
        stop(t, graceful, timeoutSeconds, force, out, err);
        return GatewayCtl.EXIT_OK;
    }

    /** Stops the gateway {@code t} points at and waits until its process has exited. */
    static void stop(Target t, boolean graceful, Double timeoutSeconds, boolean force, PrintWriter out,
                     PrintWriter err) {
        long pid = t.pid();
        Optional<ProcessHandle> handle = pid > 0 ? ProcessHandle.of(pid) : Optional.empty();
        long started = System.nanoTime();
        Double effectiveTimeout = timeoutSeconds;
        // how long the drain waits for its clients: this call's --timeout, or the running drain's
        Double drainTimeout = timeoutSeconds;
        boolean viaSignal = false;
        try {
            ObjectNode params = JsonNodeFactory.instance.objectNode();
            params.put("graceful", graceful);
            if (timeoutSeconds != null) {
                params.put("timeout", timeoutSeconds);
            }
            // admin/stop answers at once; a gateway silent this long is hung, and signals take over
            JsonNode r = t.client(Duration.ofSeconds(10)).call("admin/stop", params);
            if (pid <= 0) {
                // found through --control-url alone: its pid is ours to wait on only if it runs here
                pid = r.path("pid").asLong(-1);
                handle = pid > 0 && isLoopback(t.url) ? ProcessHandle.of(pid).filter(Processes::running)
                        : Optional.empty();
            }
            int conns = r.path("connections").asInt();
            JsonNode to = r.path("timeout_s");
            if (!graceful && to.isNumber()) {
                effectiveTimeout = to.asDouble();
            }
            if ("draining".equals(r.path("state").asText()) && r.path("joined").asBoolean()) {
                drainTimeout = to.isNumber() ? to.asDouble() : null;
                effectiveTimeout = drainTimeout;
                out.println("draining gatewayd (pid " + pid + "), already under way: listeners closed, " + conns
                        + " connection" + (conns == 1 ? "" : "s") + " left; it stops when they have all disconnected"
                        + (to.isNumber() ? " or in " + Format.seconds(to.asDouble()) + " (its timeout)" : ""));
                if (timeoutSeconds != null) {
                    err.println("gatewayctl: --timeout not applied: it does not change a drain under way; a plain "
                            + "`gatewayctl stop` ends the drain at once");
                    err.flush();
                }
            } else if ("draining".equals(r.path("state").asText())) {
                out.println("draining gatewayd (pid " + pid + "): listeners closed, " + conns + " connection"
                        + (conns == 1 ? "" : "s") + " left; it stops when they have all disconnected"
                        + (to.isNumber() ? " or after " + Format.seconds(to.asDouble()) : ""));
            } else {
                out.println("stopping gatewayd (pid " + pid + "): closing " + conns + " connection"
                        + (conns == 1 ? "" : "s") + " with close code 1001"
                        + (to.isNumber() ? " (timeout " + Format.seconds(to.asDouble()) + ")" : ""));
            }
            out.flush();
        } catch (ControlClient.NotRunningException e) {
            if (handle.isEmpty() || !handle.get().isAlive()) {
                throw t.urlGiven && !t.probe.running() ? e : t.notRunning();
            }
            err.println("gatewayctl: the control port" + (t.hasUrl() ? " at " + t.url : "") + " does not answer; "
                    + (graceful ? "a graceful stop needs it, so sending SIGTERM (a normal stop) to pid " + pid
                    : "sending SIGTERM to pid " + pid));
            err.flush();
            viaSignal = true;
            if (!handle.get().destroy()) {
                throw new CliException(GatewayCtl.EXIT_FAILURE, "cannot signal pid " + pid
                        + " (not allowed for this user?); run gatewayctl as the user that started it");
            }
        }
        if (handle.isEmpty()) {
            awaitControlPortClosed(t, pid, drain(graceful, viaSignal), drainTimeout, effectiveTimeout, started,
                    force, out);
            return;
        }
        ProcessHandle process = handle.get();
        boolean drain = drain(graceful, viaSignal);
        long deadline = deadline(drain, drainTimeout, effectiveTimeout, started);
        long nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Processes.running(process)) {
            long now = System.nanoTime();
            if (now - deadline > 0) {
                double waited = (now - started) / 1e9;
                if (!force) {
                    throw new CliException(GatewayCtl.EXIT_FAILURE, "gatewayd (pid " + pid + ") is still running after "
                            + Format.seconds(waited) + "; `gatewayctl stop --force` kills it");
                }
                err.println("gatewayctl: gatewayd (pid " + pid + ") is still running after " + Format.seconds(waited)
                        + "; killing it (--force)");
                err.flush();
                process.destroyForcibly();
                try {
                    process.onExit().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new CliException(GatewayCtl.EXIT_FAILURE, "pid " + pid + " survived SIGKILL for 30 s");
                }
                removeStale(t, out);
                out.println("gatewayd killed (pid " + pid + ") after " + Format.seconds((System.nanoTime() - started) / 1e9));
                out.flush();
                return;
            }
            if (drain && now - nextProgress > 0) {
                nextProgress = now + TimeUnit.SECONDS.toNanos(10);
                progress(t, out);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50)); // poll interval, bounded by the deadline
        }
        removeStale(t, out);
        out.println("gatewayd stopped (pid " + pid + ") in " + Format.seconds((System.nanoTime() - started) / 1e9));
        out.flush();
    }

    private static boolean drain(boolean graceful, boolean viaSignal) {
        return graceful && !viaSignal;
    }

    /** The deadline of the wait for the gateway to go, from the stop's start; Long.MAX_VALUE for none. */
    private static long deadline(boolean drain, Double timeoutSeconds, Double effectiveTimeout, long started) {
        if (drain && timeoutSeconds == null) {
            return Long.MAX_VALUE; // as Workerman: wait until the clients are gone
        }
        double budget = (effectiveTimeout == null ? 10 : effectiveTimeout) + (drain ? 10 : 0);
        return started + TimeUnit.MILLISECONDS.toNanos(Math.round(budget * 1000)) + EXIT_MARGIN.toNanos();
    }

    /**
     * A gateway reached through --control-url whose process is not visible here (another host,
     * container or user): it has stopped once its control port no longer answers.
     */
    private static void awaitControlPortClosed(Target t, long pid, boolean drain, Double timeoutSeconds,
                                               Double effectiveTimeout, long started, boolean force, PrintWriter out) {
        String who = "gatewayd" + (pid > 0 ? " (pid " + pid + ")" : "") + " at " + t.url;
        long deadline = deadline(drain, timeoutSeconds, effectiveTimeout, started);
        ControlClient client = t.client(Duration.ofSeconds(5));
        long nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (client.answers()) {
            long now = System.nanoTime();
            if (now - deadline > 0) {
                throw new CliException(GatewayCtl.EXIT_FAILURE, who + " still answers after "
                        + Format.seconds((now - started) / 1e9) + (force ? "; --force cannot kill a process this "
                        + "machine cannot see: stop it where it runs" : "; run the stop again, or stop it where it runs"));
            }
            if (drain && now - nextProgress > 0) {
                nextProgress = now + TimeUnit.SECONDS.toNanos(10);
                progress(t, out);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // poll interval, bounded by the deadline
        }
        // worded as the wait on the process is: on loopback this is also the path of a gateway
        // that exited before its pid could be looked up
        out.println("gatewayd stopped" + (pid > 0 ? " (pid " + pid + ")" : "") + " in "
                + Format.seconds((System.nanoTime() - started) / 1e9) + ": its control port at " + t.url
                + " no longer answers");
        out.flush();
    }

    private static boolean isLoopback(java.net.URI url) {
        try {
            return url.getHost() != null && java.net.InetAddress.getByName(url.getHost()).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static void progress(Target t, PrintWriter out) {
        try {
            JsonNode st = t.client(Duration.ofSeconds(5)).get("/api/status");
            int left = st.path("connections").path("current").asInt();
            out.println("  draining, " + left + " connection" + (left == 1 ? "" : "s") + " left");
            out.flush();
        } catch (RuntimeException e) {
            // it may be stopping right now; the loop sees it exit
        }
    }

    /** After the process is gone: a pid file it could not remove (killed) is removed here. */
    private static void removeStale(Target t, PrintWriter out) {
        PidFile.Probe after = t.probeAgain(); // not the config's, when --control-url named another gateway
        if (after.state() == PidFile.State.STALE) {
            try {
                java.nio.file.Files.deleteIfExists(t.pidFile.path());
                java.nio.file.Files.deleteIfExists(t.pidFile.runtimePath());
                out.println("removed the stale pid file " + t.pidFile.path());
            } catch (java.io.IOException e) {
                out.println("could not remove the stale pid file " + t.pidFile.path() + ": " + e.getMessage());
            }
        }
    }
}
