package io.gatewayd.dist;

import io.gatewayd.testing.Commands;
import io.gatewayd.testing.SystemdEmulation;
import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Result;
import io.gatewayd.testing.UnitFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * target/gatewayd_VERSION_all.deb, without installing it into the system: its metadata and
 * layout with dpkg-deb -I/-c; extracted into a temporary root with dpkg-deb -x/-e, its maintainer
 * scripts parse and do what they should with every command they run stubbed (so nothing touches
 * the real /var, /run or the user database); its /usr/bin/gatewayctl runs from the extracted tree
 * (version, config check); and its systemd unit's commands drive a gateway there.
 */
class DebPackageIT {
    private static final Path DPKG_DEB = Path.of("/usr/bin/dpkg-deb");

    @TempDir
    Path dir;
    Path deb;
    TempInstallation inst;

    @BeforeEach
    void needsDpkgDeb() {
        assumeTrue(Files.isExecutable(DPKG_DEB),
                "dpkg-deb is not installed (Debian's dpkg package): skipping the .deb package test");
        Path project = Path.of(System.getProperty("gatewayd.home", ".")).toAbsolutePath().normalize();
        deb = project.resolve("target/gatewayd_" + TempInstallation.version() + "_all.deb");
        assertThat(deb).as("mvn package builds the .deb").isRegularFile();
    }

    /** A project.build.outputTimestamp (ISO 8601 or epoch seconds) as debian/changelog writes dates, in UTC. */
    static String debianDate(String outputTimestamp) {
        assertThat(outputTimestamp).as("failsafe passes project.build.outputTimestamp").isNotBlank();
        java.time.Instant t = outputTimestamp.chars().allMatch(Character::isDigit)
                ? java.time.Instant.ofEpochSecond(Long.parseLong(outputTimestamp))
                : java.time.Instant.parse(outputTimestamp);
        return java.time.format.DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", java.util.Locale.ENGLISH)
                .withZone(java.time.ZoneOffset.UTC).format(t);
    }

    @AfterEach
    void killLeftovers() {
        if (inst != null) {
            inst.close();
        }
    }

    @Test
    void metadataAndLayout() throws Exception {
        Result info = run(List.of(DPKG_DEB.toString(), "-I", deb.toString()), Map.of());
        assertThat(info.exit()).as(info.toString()).isZero();
        assertThat(info.out()).contains("Package: gatewayd", "Version: " + TempInstallation.version(),
                "Architecture: all", "java17-runtime-headless", "adduser");
        for (String script : List.of("postinst", "prerm", "postrm", "conffiles")) {
            assertThat(info.out()).as("control member " + script).containsPattern("\\s" + script + "\\s");
        }

        Result list = run(List.of(DPKG_DEB.toString(), "-c", deb.toString()), Map.of());
        assertThat(list.exit()).as(list.toString()).isZero();
        Map<String, String> entries = new LinkedHashMap<>(); // path -> "mode owner"
        for (String line : list.out().split("\n")) {
            if (!line.isBlank()) {
                String[] f = line.trim().split("\\s+", 6);
                entries.put(f[5].replaceFirst("^\\./", "/").replaceFirst("/$", ""), f[0] + " " + f[1]);
            }
        }
        assertThat(entries).containsKeys("/opt/gatewayd/lib/gatewayd.jar", "/opt/gatewayd/bin/gatewayctl",
                "/usr/bin/gatewayctl", "/etc/gatewayd/gatewayd.yaml", "/etc/gatewayd/jvm.options",
                "/etc/gatewayd/logback.xml", "/etc/gatewayd/logback-daemon.xml", "/usr/share/man/man1/gatewayctl.1.gz",
                "/usr/share/bash-completion/completions/gatewayctl", "/lib/systemd/system/gatewayd.service",
                "/usr/lib/tmpfiles.d/gatewayd.conf", "/usr/share/doc/gatewayd/copyright", "/var/log/gatewayd");
        assertThat(entries.keySet()).as("/opt/gatewayd/conf is a link to /etc/gatewayd")
                .contains("/opt/gatewayd/conf -> /etc/gatewayd");
        assertThat(entries).as("man pages are installed gzipped").doesNotContainKey("/usr/share/man/man1/gatewayctl.1");
        assertThat(entries.get("/usr/bin/gatewayctl")).startsWith("-rwxr-xr-x");
        assertThat(entries.get("/opt/gatewayd/bin/gatewayctl")).startsWith("-rwxr-xr-x");
        assertThat(entries.values()).as("everything belongs to root").allMatch(v -> v.endsWith(" root/root"));
        assertThat(entries.keySet()).as("nothing in /run (tmpfiles.d makes it) and no .deb build files")
                .noneMatch(p -> p.startsWith("/run") || p.contains("packaging/deb"));

        // the same jars as the tarball
        Set<String> debJars = new TreeSet<>();
        entries.keySet().stream().filter(p -> p.startsWith("/opt/gatewayd/lib/") && p.endsWith(".jar"))
                .forEach(p -> debJars.add(p.substring("/opt/gatewayd/lib/".length())));
        Result tar = run(List.of("tar", "-tzf", TempInstallation.tarball().toString()), Map.of());
        Set<String> tarJars = new TreeSet<>();
        for (String n : tar.out().split("\n")) {
            if (n.matches("gatewayd-[^/]+/lib/[^/]+\\.jar")) {
                tarJars.add(n.substring(n.lastIndexOf('/') + 1));
            }
        }
        assertThat(debJars).isNotEmpty().isEqualTo(tarJars);
    }

    @Test
    void extractedMaintainerScriptsParseAndDoTheirJobWithCommandsStubbed() throws Exception {
        Path root = extract();
        Path control = root.resolve("DEBIAN");
        assertThat(Files.readAllLines(control.resolve("conffiles"))).as("every file in /etc is a conffile")
                .containsExactlyInAnyOrderElementsOf(filesUnder(root, "etc"));
        // gatewayd.out (the daemon's stdout/stderr) is rotated in place: the JVM keeps appending to it
        Path logrotate = root.resolve("etc/logrotate.d/gatewayd");
        assertThat(logrotate).as("a logrotate rule for gatewayd.out").isRegularFile();
        assertThat(Files.readString(logrotate)).contains("/var/log/gatewayd/gatewayd.out {")
                .containsPattern("(?m)^\\s+copytruncate$").containsPattern("(?m)^\\s+su gatewayd gatewayd$");

        // native version (no Debian revision): Debian's changelog is changelog.gz, gzipped without a name or time
        Path changelog = root.resolve("usr/share/doc/gatewayd/changelog.gz");
        assertThat(changelog).isRegularFile();
        byte[] gz = Files.readAllBytes(changelog);
        assertThat(new byte[] {gz[3], gz[4], gz[5], gz[6], gz[7]}).as("gzip -n: no file name flag, mtime 0")
                .containsOnly(0);
        Result zcat = run(List.of("zcat", changelog.toString()), Map.of());
        assertThat(zcat.exit()).as(zcat.toString()).isZero();
        Result field = run(List.of(DPKG_DEB.toString(), "-f", deb.toString(), "Version", "Maintainer"), Map.of());
        Matcher vm = Pattern.compile("Version: (\\S+)\nMaintainer: (.+)\n").matcher(field.out());
        assertThat(vm.find()).as(field.toString()).isTrue();
        assertThat(zcat.out()).as("the changelog's entry is this package's version, by its maintainer")
                .startsWith("gatewayd (" + vm.group(1) + ") unstable; urgency=medium\n")
                .containsPattern("\n -- " + Pattern.quote(vm.group(2))
                        + "  \\w{3}, \\d{2} \\w{3} \\d{4} \\d{2}:\\d{2}:\\d{2} [+-]\\d{4}\n$");
        assertThat(zcat.out()).as("the changelog's date is project.build.outputTimestamp (not the build's time:"
                        + " two builds give the same .deb)")
                .endsWith("  " + debianDate(System.getProperty("gatewayd.outputTimestamp")) + "\n");
        if (Files.isExecutable(Path.of("/usr/bin/dpkg-parsechangelog"))) {
            Path plain = dir.resolve("changelog");
            Files.writeString(plain, zcat.out());
            Result parsed = run(List.of("dpkg-parsechangelog", "-l", plain.toString(), "-S", "Version"), Map.of());
            assertThat(parsed.exit()).as("dpkg-parsechangelog: " + parsed).isZero();
            assertThat(parsed.out().trim()).isEqualTo(vm.group(1));
        }
        for (Path script : List.of(control.resolve("postinst"), control.resolve("prerm"), control.resolve("postrm"),
                root.resolve("usr/bin/gatewayctl"), root.resolve("opt/gatewayd/bin/gatewayctl"))) {
            assertThat(Files.getPosixFilePermissions(script)).as(script + " is executable")
                    .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
            Result syntax = run(List.of("sh", "-n", script.toString()), Map.of());
            assertThat(syntax.exit()).as("sh -n " + script + ": " + syntax).isZero();
        }
        Result man = run(List.of("zcat", root.resolve("usr/share/man/man1/gatewayctl.1.gz").toString()), Map.of());
        assertThat(man.exit()).as(man.toString()).isZero();
        assertThat(man.out()).as("the packaged man page's header names the version")
                .contains(" \"gatewayd " + TempInstallation.version() + "\" ").doesNotContain("\"gatewayd dev\"");
        Result md5 = run(List.of("md5sum", "--quiet", "-c", "DEBIAN/md5sums"), Map.of(), root);
        assertThat(md5.exit()).as("md5sums match the files: " + md5).isZero();

        // every command the scripts run is a stub that logs its arguments: PATH has nothing else
        Path stubs = Files.createDirectories(dir.resolve("stubs"));
        Path calls = dir.resolve("calls.log");
        for (String cmd : List.of("adduser", "deluser", "getent", "mkdir", "chown", "chmod", "rm", "systemctl",
                "systemd-tmpfiles", "deb-systemd-helper", "deb-systemd-invoke", "invoke-rc.d", "update-rc.d")) {
            Path stub = stubs.resolve(cmd);
            String exit = switch (cmd) {
                case "getent" -> "exit ${GETENT_STATUS:-2}\n";
                // deb-systemd-helper's questions: is its state file there, are the unit's links there
                case "deb-systemd-helper" -> "case \"$1 $2\" in\n  'debian-installed '*) exit ${DSH_INSTALLED:-1} ;;\n"
                        + "  '--quiet was-enabled') exit ${DSH_ENABLED:-1} ;;\nesac\nexit 0\n";
                default -> "exit 0\n";
            };
            Files.writeString(stub, "#!/bin/sh\necho \"" + cmd + " $*\" >>\"$CALLS\"\n" + exit);
            stub.toFile().setExecutable(true);
        }
        Map<String, String> env = Map.of("PATH", stubs.toString(), "CALLS", calls.toString());
        boolean systemd = Files.isDirectory(Path.of("/run/systemd/system")); // the scripts' own test

        // fresh install: creates the system user and the directories, starts nothing
        List<String> fresh = maintainerScript(control, "postinst", List.of("configure", ""), env, calls);
        assertThat(fresh).contains("getent passwd gatewayd")
                .anyMatch(c -> c.startsWith("adduser --system --group") && c.endsWith(" gatewayd"))
                .contains("mkdir -p /var/log/gatewayd /run/gatewayd")
                .contains("chown gatewayd:gatewayd /var/log/gatewayd /run/gatewayd")
                .noneMatch(c -> c.matches("(systemctl|deb-systemd-invoke|invoke-rc.d) .*(start|restart|enable).*"));
        // ... nor enables it, but records the unit's links for purge (deb-systemd-helper has no state yet)
        assertThat(fresh).contains("deb-systemd-helper update-state gatewayd.service")
                .noneMatch(c -> c.matches("deb-systemd-helper (enable|unmask) .*"));
        // upgrade with the user there: no second user
        List<String> upgrade = maintainerScript(control, "postinst", List.of("configure", "0.0.9"),
                Map.of("PATH", stubs.toString(), "CALLS", calls.toString(), "GETENT_STATUS", "0"), calls);
        assertThat(upgrade).noneMatch(c -> c.startsWith("adduser"));
        // reinstall after a remove of an enabled unit: the mask goes, the administrator's enablement is back
        assertThat(maintainerScript(control, "postinst", List.of("configure", "0.1.0"), Map.of("PATH", stubs.toString(),
                "CALLS", calls.toString(), "GETENT_STATUS", "0", "DSH_INSTALLED", "0", "DSH_ENABLED", "0"), calls))
                .containsSubsequence("deb-systemd-helper unmask gatewayd.service",
                        "deb-systemd-helper enable gatewayd.service", "deb-systemd-helper update-state gatewayd.service");
        // ... and a disabled one stays disabled
        assertThat(maintainerScript(control, "postinst", List.of("configure", "0.1.0"), Map.of("PATH", stubs.toString(),
                "CALLS", calls.toString(), "GETENT_STATUS", "0", "DSH_INSTALLED", "0"), calls))
                .noneMatch(c -> c.startsWith("deb-systemd-helper enable"));
        // remove keeps logs, user and the enablement, but masks the unit whose file is gone;
        // purge removes all of them, the unit's multi-user.target.wants link too
        List<String> prerm = maintainerScript(control, "prerm", List.of("remove"), env, calls);
        assertThat(prerm).noneMatch(c -> c.startsWith("rm"));
        if (systemd) {
            assertThat(prerm).contains("deb-systemd-invoke stop gatewayd.service");
        }
        assertThat(maintainerScript(control, "postrm", List.of("remove"), env, calls)).noneMatch(c -> c.startsWith("rm"))
                .contains("deb-systemd-helper mask gatewayd.service")
                .noneMatch(c -> c.startsWith("deb-systemd-helper purge"));
        assertThat(maintainerScript(control, "postrm", List.of("purge"),
                Map.of("PATH", stubs.toString(), "CALLS", calls.toString(), "GETENT_STATUS", "0"), calls))
                .contains("rm -rf /var/log/gatewayd /run/gatewayd").anyMatch(c -> c.startsWith("deluser")
                        && c.endsWith(" gatewayd"))
                .containsSubsequence("deb-systemd-helper purge gatewayd.service",
                        "deb-systemd-helper unmask gatewayd.service");
        // without init-system-helpers, purge still removes the link that `systemctl enable` made
        Files.delete(stubs.resolve("deb-systemd-helper"));
        Files.delete(stubs.resolve("deb-systemd-invoke"));
        assertThat(maintainerScript(control, "postrm", List.of("purge"), env, calls))
                .contains("rm -f /etc/systemd/system/multi-user.target.wants/gatewayd.service");
    }

    @Test
    void itsGatewayctlRunsFromTheExtractedTreeAndItsUnitDrivesAGateway() throws Exception {
        Path root = extract();
        // what /opt/gatewayd/conf -> /etc/gatewayd means once installed (here: inside the temporary root)
        Path confLink = root.resolve("opt/gatewayd/conf");
        assertThat(Files.readSymbolicLink(confLink)).isEqualTo(Path.of("/etc/gatewayd"));
        Files.delete(confLink);
        Files.createSymbolicLink(confLink, root.resolve("etc/gatewayd"));

        inst = TempInstallation.at(root.resolve("opt/gatewayd")).javaOpts(null)
                .env("GATEWAYD_CONF", root.resolve("etc/gatewayd/gatewayd.yaml").toString())
                .env("GATEWAYD_LOG_DIR", root.resolve("var/log/gatewayd").toString())
                .env("GATEWAYD_RUN_DIR", root.resolve("run/gatewayd").toString());
        String ctl = root.resolve("usr/bin/gatewayctl").toString();

        Result version = inst.exec(List.of(ctl, "version"), Map.of());
        assertThat(version.exit()).as(version.toString()).isZero();
        assertThat(version.out()).startsWith("gatewayd " + TempInstallation.version());
        Result check = inst.exec(List.of(ctl, "config", "check"), Map.of());
        assertThat(check.exit()).as("the shipped /etc/gatewayd/gatewayd.yaml is valid: " + check).isZero();
        assertThat(check.out()).contains(root.resolve("etc/gatewayd/gatewayd.yaml") + " is valid");

        UnitFile unit = UnitFile.read(root.resolve("lib/systemd/system/gatewayd.service"));
        assertThat(unit.get("Service.ExecStart")).startsWith("/usr/bin/gatewayctl start");
        assertThat(unit.get("Service.User")).isEqualTo("gatewayd");
        assertThat(unit.get("Service.LimitNOFILE")).isEqualTo("1048576");
        assertThat(unit.get("Service.ProtectSystem")).isEqualTo("strict");
        assertThat(unit.get("Service.ReadWritePaths")).contains("/var/log/gatewayd", "/run/gatewayd");
        assertThat(unit.get("Service.SuccessExitStatus")).contains("143");
        assertThat(unit.get("Install.WantedBy")).isEqualTo("multi-user.target");
        String tmpfiles = Files.readString(root.resolve("usr/lib/tmpfiles.d/gatewayd.conf"));
        assertThat(tmpfiles).containsPattern("(?m)^d /run/gatewayd \\d+ gatewayd gatewayd");
        // systemd re-applies RuntimeDirectoryMode/LogsDirectoryMode (default 0755) on every start:
        // they must be the modes the package gives those directories, or each start undoes them
        Matcher runMode = Pattern.compile("(?m)^d /run/gatewayd (\\d+) ").matcher(tmpfiles);
        assertThat(runMode.find()).isTrue();
        assertThat(unit.get("Service.RuntimeDirectory")).isEqualTo("gatewayd");
        assertThat(unit.get("Service.RuntimeDirectoryMode")).as("RuntimeDirectoryMode = tmpfiles.d's mode")
                .isEqualTo(runMode.group(1));
        Matcher logMode = Pattern.compile("(?m)^\\s*chmod (\\d+) /var/log/gatewayd\\s*$")
                .matcher(Files.readString(root.resolve("DEBIAN/postinst")));
        assertThat(logMode.find()).as("postinst sets the mode of /var/log/gatewayd").isTrue();
        assertThat(unit.get("Service.LogsDirectory")).isEqualTo("gatewayd");
        assertThat(unit.get("Service.LogsDirectoryMode")).as("LogsDirectoryMode = postinst's chmod")
                .isEqualTo(logMode.group(1));

        if (Files.isExecutable(Path.of("/usr/bin/systemd-analyze"))) {
            Path rewritten = dir.resolve("gatewayd.service");
            Files.writeString(rewritten, Files.readString(root.resolve("lib/systemd/system/gatewayd.service"))
                    .replace("/usr/bin/gatewayctl", ctl));
            Result verify = run(List.of("systemd-analyze", "verify", "--man=no", rewritten.toString()), Map.of());
            assertThat(verify.exit()).as("systemd-analyze verify: " + verify).isZero();
            assertThat(verify.all()).as("systemd-analyze verify: " + verify).doesNotContain("gatewayd.service:");
        } else {
            System.err.println("systemd-analyze is not installed: not verifying the unit with systemd");
        }

        inst.writeConfig(TempInstallation.CONFIG); // ephemeral ports, in the root's etc/gatewayd
        UnaryOperator<String> rewrite = s -> s.replace("/usr/bin/gatewayctl", ctl)
                .replace("/etc/gatewayd", root.resolve("etc/gatewayd").toString())
                .replace("/var/log/gatewayd", root.resolve("var/log/gatewayd").toString())
                .replace("/run/gatewayd", root.resolve("run/gatewayd").toString());
        SystemdEmulation.startReloadStop(unit, rewrite, inst, root.resolve("run/gatewayd/gatewayd.pid"), dir);
        SystemdEmulation.configErrorIsNotRestarted(unit, rewrite, inst, dir);
    }

    private Path extract() throws Exception {
        Path root = dir.resolve("root");
        Result x = run(List.of(DPKG_DEB.toString(), "-x", deb.toString(), root.toString()), Map.of());
        assertThat(x.exit()).as(x.toString()).isZero();
        Result e = run(List.of(DPKG_DEB.toString(), "-e", deb.toString(), root.resolve("DEBIAN").toString()), Map.of());
        assertThat(e.exit()).as(e.toString()).isZero();
        return root;
    }

    private static List<String> filesUnder(Path root, String relative) throws Exception {
        try (Stream<Path> s = Files.walk(root.resolve(relative))) {
            return s.filter(Files::isRegularFile).map(p -> "/" + root.relativize(p)).toList();
        }
    }

    /** Runs a maintainer script as dpkg would (sh, with its arguments) and returns the commands it ran. */
    private List<String> maintainerScript(Path control, String name, List<String> args, Map<String, String> env,
                                          Path calls) throws Exception {
        Files.deleteIfExists(calls);
        List<String> cmd = new ArrayList<>(List.of("/bin/sh", control.resolve(name).toString()));
        cmd.addAll(args);
        Result r = run(cmd, env);
        assertThat(r.exit()).as(name + " " + args + ": " + r).isZero();
        return Files.exists(calls) ? Files.readAllLines(calls, StandardCharsets.UTF_8) : List.of();
    }

    private Result run(List<String> command, Map<String, String> env) throws Exception {
        return run(command, env, dir);
    }

    private Result run(List<String> command, Map<String, String> env, Path cwd) throws Exception {
        return Commands.run(command, env, cwd, dir);
    }
}
