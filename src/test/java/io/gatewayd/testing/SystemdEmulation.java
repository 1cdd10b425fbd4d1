package io.gatewayd.testing;

import io.gatewayd.lifecycle.RuntimeInfo;
import io.gatewayd.testing.TempInstallation.Result;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs a unit's ExecStart, ExecReload and ExecStop as systemd would for Type=simple (the
 * ExecStart process is the main process; reload and stop are separate commands; the main process
 * must then exit with 0 or a SuccessExitStatus within TimeoutStopSec), on a machine without
 * systemd. Paths are rewritten to a temporary installation; User=, the sandboxing and
 * ExecStartPre (which creates directories for the service user, as root) are not emulated.
 */
public final class SystemdEmulation {
    private static final Duration LONG = Duration.ofSeconds(90);
    private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5)).build();

    private SystemdEmulation() {
    }

    /**
     * @param rewrite maps the unit's absolute paths to the temporary installation's
     * @param pidFile where the gateway's pid file will be, given the unit's environment
     */
    public static void startReloadStop(UnitFile unit, UnaryOperator<String> rewrite, TempInstallation inst,
                                       Path pidFile, Path scratch) throws IOException, InterruptedException {
        Map<String, String> env = new LinkedHashMap<>();
        unit.environment().forEach((k, v) -> env.put(k, rewrite.apply(v)));
        List<String> start = unit.command("Service.ExecStart").stream().map(rewrite).toList();
        Path out = scratch.resolve("execstart.out");
        Process main = inst.spawn(out, start, env);
        try {
            RuntimeInfo info = Await.value("the ExecStart gateway is ready: " + start, LONG, () -> {
                if (!main.isAlive()) {
                    throw new AssertionError("ExecStart exited with " + main.exitValue() + ": " + read(out));
                }
                RuntimeInfo ri = runtime(pidFile);
                return ri != null && ri.pid() == main.pid() && healthy(ri) ? ri : null;
            });
            assertThat(info.mode()).as("foreground (debug) mode, as a service manager runs it").isEqualTo("debug");

            Result reload = inst.exec(unit.command("Service.ExecReload").stream().map(rewrite).toList(), env);
            assertThat(reload.exit()).as("ExecReload " + reload).isZero();
            assertThat(reload.out()).contains("reloaded");
            assertThat(main.isAlive()).as("reload keeps the main process").isTrue();

            long timeoutStop = seconds(unit.get("Service.TimeoutStopSec"));
            long t0 = System.nanoTime();
            Result stop = inst.exec(unit.command("Service.ExecStop").stream().map(rewrite).toList(), env);
            assertThat(stop.exit()).as("ExecStop " + stop).isZero();
            assertThat(main.waitFor(timeoutStop, TimeUnit.SECONDS))
                    .as("the main process exits within TimeoutStopSec=" + timeoutStop + " after ExecStop").isTrue();
            long took = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
            assertThat(took).as("stop took " + took + " s; TimeoutStopSec=" + timeoutStop).isLessThanOrEqualTo(timeoutStop);
            Set<Integer> success = new HashSet<>(Set.of(0));
            for (String s : unit.all("Service.SuccessExitStatus")) {
                for (String code : s.split("\\s+")) {
                    success.add(Integer.parseInt(code));
                }
            }
            assertThat(success).as("exit status of the main process after ExecStop: " + read(out))
                    .contains(main.exitValue());
            assertThat(pidFile).as("the pid file is removed on a clean stop").doesNotExist();

            // systemd runs ExecStop after a crash too, when nothing runs: "-" must make that harmless
            Result again = inst.exec(unit.command("Service.ExecStop").stream().map(rewrite).toList(), env);
            assertThat(again.exit() == 0 || unit.get("Service.ExecStop").startsWith("-"))
                    .as("ExecStop with nothing running fails the unit unless prefixed with '-': " + again).isTrue();
        } finally {
            if (main.isAlive()) {
                main.destroyForcibly();
            }
        }
    }

    /**
     * Runs the unit's ExecStart, as systemd would, on a config the gateway cannot load, and checks
     * that systemd would not restart it: Restart=on-failure would otherwise start it again every
     * RestartSec, forever, for a mistake only the administrator can fix.
     */
    public static void configErrorIsNotRestarted(UnitFile unit, UnaryOperator<String> rewrite, TempInstallation inst,
                                                 Path scratch) throws IOException {
        Path bad = scratch.resolve("broken.yaml");
        Files.writeString(bad, "listeners: 12\n");
        Map<String, String> env = new LinkedHashMap<>();
        unit.environment().forEach((k, v) -> env.put(k, rewrite.apply(v)));
        env.put("GATEWAYD_CONF", bad.toString());
        Result start = inst.exec(unit.command("Service.ExecStart").stream().map(rewrite).toList(), env);
        assertThat(start.err()).as("ExecStart on a broken config: " + start).contains("configuration error");
        Set<Integer> prevent = new HashSet<>();
        for (String s : unit.all("Service.RestartPreventExitStatus")) {
            for (String code : s.split("\\s+")) {
                prevent.add(Integer.parseInt(code));
            }
        }
        assertThat(prevent).as("RestartPreventExitStatus holds ExecStart's exit status on a config error (" + start
                + "), so Restart=" + unit.get("Service.Restart") + " does not retry it forever").contains(start.exit());
        assertThat(prevent).as("a crash (exit 1) or a kill is still restarted").doesNotContain(0, 1, 143);
    }

    private static long seconds(String v) {
        assertThat(v).as("TimeoutStopSec").isNotNull().matches("\\d+s?");
        return Long.parseLong(v.replace("s", ""));
    }

    private static RuntimeInfo runtime(Path pidFile) {
        try {
            Path json = pidFile.resolveSibling(pidFile.getFileName() + ".json");
            return Files.isRegularFile(json) ? RuntimeInfo.parse(Files.readAllBytes(json)) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** GET /health on the gateway's control URL answers 200. */
    public static boolean healthy(RuntimeInfo info) {
        try {
            var r = HTTP.send(java.net.http.HttpRequest.newBuilder(
                            URI.create(info.controlUrl()).resolve("/health")).timeout(Duration.ofSeconds(10)).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(unreadable " + p + ")";
        }
    }
}
