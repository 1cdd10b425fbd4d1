package io.gatewayd.dist;

import io.gatewayd.testing.Await;
import io.gatewayd.testing.Commands;
import io.gatewayd.testing.SystemdEmulation;
import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Ready;
import io.gatewayd.testing.TempInstallation.Result;
import io.gatewayd.testing.UnitFile;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tarball as a user gets it: target/gatewayd-VERSION.tar.gz has what the distribution issue
 * lists, unpacks with tar into a directory outside the source tree, and runs from there with its
 * own bin/gatewayctl and conf/jvm.options (no Maven, no test JVM options): start -d, a WebSocket
 * client, a push with `gatewayctl send`, stop; the man page renders; shell completion works; the
 * shipped systemd unit's commands drive it.
 */
class PackagingIT {
    private static final Duration LONG = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    TempInstallation inst;

    @BeforeEach
    void unpack() throws IOException {
        inst = TempInstallation.unpackTarball(dir.resolve("opt")).javaOpts(null); // conf/jvm.options alone
    }

    @AfterEach
    void killLeftovers() {
        if (inst != null) {
            inst.close();
        }
    }

    /** `tar -tvzf`: mode, name (and link target) of every entry. */
    private static Map<String, String> listing(Path tgz) throws Exception {
        Process p = new ProcessBuilder("tar", "-tvzf", tgz.toString()).redirectErrorStream(true)
                .redirectInput(new File("/dev/null")).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        Map<String, String> modes = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split("\\s+", 6); // mode owner size date time name
            modes.put(f[5], f[0]);
        }
        return modes;
    }

    @Test
    void theTarballHasEverythingTheIssueLists() throws Exception {
        String top = "gatewayd-" + TempInstallation.version() + "/";
        Map<String, String> entries = listing(TempInstallation.tarball());
        assertThat(entries.keySet()).as("one top directory").allMatch(n -> n.startsWith(top));
        Map<String, String> files = new LinkedHashMap<>();
        entries.forEach((name, mode) -> files.put(name.substring(top.length()), mode));

        assertThat(files).containsKeys("bin/gatewayctl", "conf/gatewayd.yaml", "conf/logback.xml",
                "conf/logback-daemon.xml", "conf/jvm.options", "lib/gatewayd.jar", "man/man1/gatewayctl.1",
                "completion/gatewayctl", "packaging/systemd/gatewayd.service", "packaging/supervisor/gatewayd.conf",
                "packaging/jsvc/gatewayd", "README.md", "LICENSE", "CHANGELOG.md", "clients/php/Gateway.php",
                "clients/python/gateway.py");
        assertThat(files.get("bin/gatewayctl")).as("bin/gatewayctl is executable").startsWith("-rwxr-xr-x");
        assertThat(files.get("packaging/jsvc/gatewayd")).as("the init script is executable").startsWith("-rwxr-xr-x");
        assertThat(files.get("conf/gatewayd.yaml")).startsWith("-rw-r--r--");
        for (String jar : List.of("picocli-", "netty-common-", "jackson-databind-", "logback-classic-", "snakeyaml-")) {
            assertThat(files.keySet()).as("lib/ has " + jar + "*.jar")
                    .anyMatch(n -> n.startsWith("lib/" + jar) && n.endsWith(".jar"));
        }
        Map<String, List<String>> jarsByArtifact = files.keySet().stream()
                .filter(n -> n.startsWith("lib/") && n.endsWith(".jar"))
                .collect(Collectors.groupingBy(n -> n.replaceFirst("-\\d[^-]*", "")));
        assertThat(jarsByArtifact.values()).as("one version of each library in lib/ (a build that kept a "
                + "replaced version's jar puts both on the class path)").allMatch(v -> v.size() == 1);
        assertThat(files.entrySet()).as("every file is a regular file (no links into the build tree)")
                .allMatch(e -> e.getValue().startsWith("-") || e.getValue().startsWith("d"));
        assertThat(files.keySet()).as("logs/ and run/ are created on demand, never shipped; no .deb files")
                .noneMatch(n -> n.startsWith("logs/") || n.startsWith("run/") || n.startsWith("packaging/deb")
                        || n.equals("pom.xml") || n.startsWith("src/"));

        // the unpacked files are the project's (the test config is written over conf/gatewayd.yaml)
        Path project = inst.project();
        for (String f : List.of("conf/jvm.options", "conf/logback.xml", "bin/gatewayctl",
                "packaging/supervisor/gatewayd.conf", "LICENSE")) {
            assertThat(Files.mismatch(inst.home().resolve(f), project.resolve(f))).as(f).isEqualTo(-1L);
        }
        // the committed page says "gatewayd dev" (the tests render it from classes); the shipped one its version
        String shippedMan = Files.readString(inst.home().resolve("man/man1/gatewayctl.1"));
        assertThat(shippedMan).as("the shipped man page's header names the version and the day of "
                        + "project.build.outputTimestamp")
                .containsPattern("(?m)^\\.TH GATEWAYCTL 1 \"\\d{4}-\\d{2}-\\d{2}\" \"gatewayd "
                        + Pattern.quote(TempInstallation.version()) + "\" ");
        String header = "(?m)^\\.TH .*$";
        assertThat(shippedMan.replaceFirst(header, "")).as("the shipped man page is the committed one, but for its "
                + "header").isEqualTo(Files.readString(project.resolve("man/gatewayctl.1")).replaceFirst(header, ""));
    }

    @Test
    void unpackedItStartsAsADaemonPushesAndStopsWithLogsElsewhere() throws Exception {
        Path home = inst.home();
        assertThat(home.resolve("logs")).doesNotExist();
        assertThat(home.resolve("run")).doesNotExist();
        Path logDir = dir.resolve("var/log/gatewayd"); // does not exist yet either
        inst.env("GATEWAYD_LOG_DIR", logDir.toString());

        Ready ready = inst.startDaemon();
        assertThat(inst.pidFile()).as("run/ is created on demand").exists();
        assertThat(logDir.resolve("gatewayd.log")).as("GATEWAYD_LOG_DIR is created and used").exists();
        assertThat(home.resolve("logs")).as("nothing logged in the default place").doesNotExist();

        // the daemon runs with conf/jvm.options (start -d re-executes the JVM with the same options)
        String cmdline = Files.readString(Path.of("/proc", Long.toString(ready.pid()), "cmdline")).replace('\0', ' ');
        assertThat(cmdline).contains("-Xmx1g", "-XX:+UseParallelGC", "-XX:+ExitOnOutOfMemoryError")
                .contains("-Dgatewayd.home=" + home);
        Result statusJson = inst.run("status", "--json");
        assertThat(statusJson.exit()).as(statusJson.toString()).isZero();
        assertThat(WsClient.json(statusJson.out()).path("pid").asLong()).isEqualTo(ready.pid());
        assertThat(WsClient.json(statusJson.out()).path("jvm").path("heap_max").asLong())
                .as("heap from jvm.options").isGreaterThan(512L << 20);

        try (WsClient client = WsClient.connectAndInit(ready.ws())) {
            Result send = inst.run("send", "--client", client.clientId(), "hello from the tarball");
            assertThat(send.exit()).as(send.toString()).isZero();
            assertThat(send.out()).contains("delivered to 1 connection");
            assertThat(client.next(LONG)).isEqualTo("hello from the tarball");

            Result stop = inst.run("stop");
            assertThat(stop.exit()).as(stop.toString()).isZero();
            assertThat(client.awaitClose(LONG)).isEqualTo(1001);
        }
        Await.until("the daemon has exited", LONG, () -> !TempInstallation.alive(ready.pid()));
        assertThat(inst.pidFile()).doesNotExist();
        assertThat(Files.readString(logDir.resolve("gatewayd.log"))).contains("gatewayd");
        assertThat(inst.run("status").exit()).as("status after stop").isEqualTo(3);
    }

    @Test
    void theManPageRendersAndShellCompletionWorks() throws Exception {
        Path home = inst.home();
        if (Files.isExecutable(Path.of("/usr/bin/man"))) {
            Result man = run(List.of("man", "--warnings", "-l", home.resolve("man/man1/gatewayctl.1").toString()),
                    Map.of("MANWIDTH", "100", "MANPAGER", "cat", "PAGER", "cat"));
            assertThat(man.exit()).as(man.toString()).isZero();
            assertThat(man.err()).as("man/groff warnings").isEmpty();
            assertThat(man.out()).contains("gatewayctl", "jvm.options", "GATEWAYD_JAVA_OPTS", "EXIT STATUS");
        } else {
            System.err.println("man is not installed (apt-get install man-db): not rendering the man page");
        }

        Result bash = inst.run("completion", "bash");
        assertThat(bash.exit()).as(bash.toString()).isZero();
        assertThat(bash.out()).contains("complete ", "gatewayctl");
        Path script = dir.resolve("gatewayctl.bash");
        Files.writeString(script, bash.out());
        // the script loads in bash and registers a completion for gatewayctl that offers the commands
        Result loaded = run(List.of("bash", "-c", "source \"$1\" && complete -p gatewayctl"
                + " && COMP_WORDS=(gatewayctl st) COMP_CWORD=1 COMP_LINE='gatewayctl st' COMP_POINT=13"
                + " && $(complete -p gatewayctl | sed -E 's/.*-F ([^ ]+).*/\\1/') gatewayctl st gatewayctl"
                + " && printf '%s\\n' \"${COMPREPLY[@]}\"", "bash", script.toString()), Map.of());
        assertThat(loaded.exit()).as(loaded.toString()).isZero();
        assertThat(loaded.out()).contains("start", "status", "stop");

        Result shipped = run(List.of("bash", "-n", home.resolve("completion/gatewayctl").toString()), Map.of());
        assertThat(shipped.exit()).as("the shipped completion script parses: " + shipped).isZero();
        Result zsh = inst.run("completion", "zsh");
        assertThat(zsh.exit()).as(zsh.toString()).isZero();
        assertThat(zsh.out()).contains("gatewayctl");
    }

    @Test
    void theShippedSystemdUnitsCommandsRunTheGateway() throws Exception {
        Path home = inst.home();
        UnitFile unit = UnitFile.read(home.resolve("packaging/systemd/gatewayd.service"));
        assertThat(unit.get("Service.Type")).isEqualTo("simple");
        assertThat(unit.get("Service.ExecStart")).isEqualTo("/opt/gatewayd/bin/gatewayctl start --quiet --stop-timeout 10");
        assertThat(unit.get("Service.ExecReload")).isEqualTo("/opt/gatewayd/bin/gatewayctl reload");
        assertThat(unit.get("Service.ExecStop")).contains("/opt/gatewayd/bin/gatewayctl stop");
        assertThat(unit.get("Service.Restart")).isEqualTo("on-failure");
        assertThat(unit.get("Service.LimitNOFILE")).isEqualTo("1048576");
        assertThat(unit.get("Service.SuccessExitStatus")).contains("143");
        assertThat(unit.get("Service.NoNewPrivileges")).isEqualTo("true");
        assertThat(unit.get("Service.ProtectSystem")).isEqualTo("strict");
        assertThat(unit.get("Service.ReadWritePaths")).contains("/opt/gatewayd/run", "/opt/gatewayd/logs");
        assertThat(Long.parseLong(unit.get("Service.TimeoutStopSec")))
                .as("TimeoutStopSec leaves room for --stop-timeout 10 and the JVM's exit").isGreaterThanOrEqualTo(20);

        String prefix = home.toString();
        Path rewritten = dir.resolve("gatewayd.service");
        Files.writeString(rewritten, Files.readString(home.resolve("packaging/systemd/gatewayd.service"))
                .replace("/opt/gatewayd", prefix));
        if (Files.isExecutable(Path.of("/usr/bin/systemd-analyze"))) {
            Result verify = run(List.of("systemd-analyze", "verify", "--man=no", rewritten.toString()), Map.of());
            assertThat(verify.exit()).as("systemd-analyze verify: " + verify).isZero();
            assertThat(verify.all()).as("systemd-analyze verify: " + verify).doesNotContain(rewritten.getFileName() + ":");
        } else {
            System.err.println("systemd-analyze is not installed: not verifying the unit with systemd");
        }

        SystemdEmulation.startReloadStop(UnitFile.read(rewritten), s -> s, inst, inst.pidFile(), dir);
        SystemdEmulation.configErrorIsNotRestarted(UnitFile.read(rewritten), s -> s, inst, dir);
    }

    private Result run(List<String> command, Map<String, String> env) throws Exception {
        return Commands.run(command, env, null, dir);
    }
}
