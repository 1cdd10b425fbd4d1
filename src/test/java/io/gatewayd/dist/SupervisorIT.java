package io.gatewayd.dist;

import io.gatewayd.lifecycle.RuntimeInfo;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.SystemdEmulation;
import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Result;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The shipped packaging/supervisor/gatewayd.conf under the real supervisord (Debian's
 * supervisor package), against the unpacked tarball: the gateway answers, a SIGKILL of its JVM
 * is followed by a new gateway, `supervisorctl stop` stops it cleanly (exit status 0). supervisord
 * runs in the foreground as this test's child with its own config, socket, pid file and logs in a
 * temporary directory, never the system's /etc/supervisor.
 */
class SupervisorIT {
    private static final Path SUPERVISORD = Path.of("/usr/bin/supervisord");
    private static final Path SUPERVISORCTL = Path.of("/usr/bin/supervisorctl");
    private static final Duration LONG = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    TempInstallation inst;
    Process supervisord;

    @AfterEach
    void stopEverything() throws Exception {
        if (supervisord != null && supervisord.isAlive()) {
            supervisord.destroy(); // SIGTERM: supervisord stops its programs, then exits
            if (!supervisord.waitFor(60, TimeUnit.SECONDS)) {
                supervisord.descendants().forEach(ProcessHandle::destroyForcibly);
                supervisord.destroyForcibly();
                supervisord.waitFor(30, TimeUnit.SECONDS);
            }
        }
        if (inst != null) {
            inst.close();
        }
    }

    @Test
    void supervisordRestartsAKilledGatewayAndStopsItCleanly() throws Exception {
        assumeTrue(Files.isExecutable(SUPERVISORD) && Files.isExecutable(SUPERVISORCTL),
                "supervisord is not installed (apt-get install supervisor): skipping the supervisord test");
        inst = TempInstallation.unpackTarball(dir.resolve("opt")).javaOpts(null);
        Path home = inst.home();
        Path sup = Files.createDirectories(dir.resolve("supervisor"));

        // the shipped program section, pointed at this installation and these logs; no user= (that
        // needs a "gatewayd" user, and supervisord as root; the test runs as whoever runs it)
        String shipped = Files.readString(home.resolve("packaging/supervisor/gatewayd.conf"));
        assertThat(shipped).contains("[program:gatewayd]", "command=/opt/gatewayd/bin/gatewayctl start",
                "autorestart=", "stopsignal=TERM", "stopwaitsecs=", "stdout_logfile=", "environment=");
        String program = shipped.replace("/opt/gatewayd", home.toString())
                .replace("/var/log/supervisor", sup.toString())
                .lines().filter(l -> !l.startsWith("user=")).collect(Collectors.joining("\n", "", "\n"));
        Files.createDirectories(sup.resolve("conf.d"));
        Files.writeString(sup.resolve("conf.d/gatewayd.conf"), program);
        Path conf = sup.resolve("supervisord.conf");
        Files.writeString(conf, """
                [unix_http_server]
                file=%1$s/supervisor.sock
                chmod=0700

                [supervisord]
                nodaemon=true
                logfile=%1$s/supervisord.log
                pidfile=%1$s/supervisord.pid
                childlogdir=%1$s
                user=%2$s

                [rpcinterface:supervisor]
                supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

                [supervisorctl]
                serverurl=unix://%1$s/supervisor.sock

                [include]
                files = %1$s/conf.d/*.conf
                """.formatted(sup, System.getProperty("user.name")));

        supervisord = new ProcessBuilder(SUPERVISORD.toString(), "-n", "-c", conf.toString())
                .directory(sup.toFile()).redirectErrorStream(true).redirectOutput(sup.resolve("supervisord.out").toFile())
                .redirectInput(new File("/dev/null")).start();

        RuntimeInfo first = awaitGateway(-1);
        inst.track(first.pid());
        assertThat(ProcessHandle.of(first.pid()).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
                .as("gatewayctl execs the JVM: supervisord's child is the gateway itself")
                .hasValue(supervisord.pid());
        Result status = inst.run("status", "--json");
        assertThat(status.exit()).as(status.toString()).isZero();
        assertThat(WsClient.json(status.out()).path("pid").asLong()).isEqualTo(first.pid());
        try (WsClient client = WsClient.connectAndInit(ws(first))) {
            assertThat(client.clientId()).isNotEmpty();
        }

        // kill -9: supervisord sees an unexpected exit and starts a new gateway
        ProcessHandle.of(first.pid()).orElseThrow().destroyForcibly();
        Await.until("the killed gateway is gone", LONG, () -> !TempInstallation.alive(first.pid()));
        RuntimeInfo second = awaitGateway(first.pid());
        inst.track(second.pid());
        try (WsClient client = WsClient.connectAndInit(ws(second))) {
            Result send = inst.run("send", "--client", client.clientId(), "back again");
            assertThat(send.exit()).as(send.toString()).isZero();
            assertThat(client.next(LONG)).isEqualTo("back again");

            Result stop = supervisorctl(conf, "stop", "gatewayd");
            assertThat(stop.exit()).as(stop.toString()).isZero();
            assertThat(stop.out()).contains("gatewayd: stopped");
            assertThat(client.awaitClose(LONG)).as("a clean stop closes clients with 1001").isEqualTo(1001);
        }
        assertThat(TempInstallation.alive(second.pid())).isFalse();
        assertThat(inst.pidFile()).as("a clean stop removes the pid file").doesNotExist();
        String log = Files.readString(sup.resolve("supervisord.log"));
        assertThat(log).as("supervisord.log").contains("exited: gatewayd (terminated by SIGKILL; not expected)")
                .contains("stopped: gatewayd (exit status 0)").doesNotContain("with SIGKILL");
        assertThat(Files.readString(sup.resolve("gatewayd.log"))).as("the program's captured console log")
                .contains("gatewayd started in DEBUG mode").contains("gatewayd stopped");

        Result shutdown = supervisorctl(conf, "shutdown");
        assertThat(shutdown.exit()).as(shutdown.toString()).isZero();
        assertThat(supervisord.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)).as("supervisord exits").isTrue();
    }

    /** Waits for a gateway other than {@code notPid} that has published its pid file and answers /health. */
    private RuntimeInfo awaitGateway(long notPid) {
        Path runtime = inst.pidFile().resolveSibling("gatewayd.pid.json");
        return Await.value("supervisord runs a gateway (other than pid " + notPid + ") that answers /health", LONG, () -> {
            if (!supervisord.isAlive()) {
                throw new AssertionError("supervisord exited: " + read(dir.resolve("supervisor/supervisord.out"))
                        + read(dir.resolve("supervisor/supervisord.log")));
            }
            try {
                if (!Files.isRegularFile(inst.pidFile()) || !Files.isRegularFile(runtime)) {
                    return null;
                }
                long pid = Long.parseLong(Files.readString(inst.pidFile()).trim());
                RuntimeInfo info = RuntimeInfo.parse(Files.readAllBytes(runtime));
                if (pid == notPid || info == null || info.pid() != pid || !TempInstallation.alive(pid)) {
                    return null;
                }
                return SystemdEmulation.healthy(info) ? info : null;
            } catch (IOException | NumberFormatException e) {
                return null; // being written
            }
        });
    }

    private static URI ws(RuntimeInfo info) {
        return URI.create(info.listeners().get(0).replace("websocket://", "ws://") + "/");
    }

    private Result supervisorctl(Path conf, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(SUPERVISORCTL.toString(), "-c", conf.toString()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(dir, "ctl", ".txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(new File("/dev/null")).start();
        if (!p.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("supervisorctl " + String.join(" ", args) + " did not finish: " + read(out));
        }
        return new Result(p.exitValue(), Files.readString(out), "");
    }

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
