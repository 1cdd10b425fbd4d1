package io.gatewayd.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * bin/gatewayctl's JVM options, seen by a stand-in `java` that prints its arguments: conf/jvm.options
 * for start and restart only, a small client heap for everything else, GATEWAYD_JAVA_OPTS last
 * (and replacing the heap or collector it sets), gatewayctl's own arguments passed through
 * intact. And the shipped conf/jvm.options is accepted by the real JVM.
 */
class LauncherScriptTest {
    private static final Path PROJECT = Path.of("").toAbsolutePath();

    @TempDir
    Path dir;
    Path home;
    Path javaHome;

    @BeforeEach
    void install() throws IOException {
        home = dir.resolve("gatewayd");
        Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve("conf"));
        Files.createDirectories(home.resolve("lib"));
        Files.copy(PROJECT.resolve("bin/gatewayctl"), home.resolve("bin/gatewayctl"));
        home.resolve("bin/gatewayctl").toFile().setExecutable(true);
        Files.copy(PROJECT.resolve("conf/jvm.options"), home.resolve("conf/jvm.options"));
        javaHome = dir.resolve("jdk");
        Files.createDirectories(javaHome.resolve("bin"));
        Path java = javaHome.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\nfor a do printf '%s\\n' \"$a\"; done\n");
        java.toFile().setExecutable(true);
    }

    /** The arguments bin/gatewayctl hands to java. */
    private List<String> javaArgs(String javaOpts, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin/gatewayctl").toString()));
        cmd.addAll(Arrays.asList(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(new File("/dev/null"));
        Map<String, String> env = pb.environment();
        env.put("JAVA_HOME", javaHome.toString());
        env.remove("GATEWAYD_HOME");
        if (javaOpts == null) {
            env.remove("GATEWAYD_JAVA_OPTS");
        } else {
            env.put("GATEWAYD_JAVA_OPTS", javaOpts);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        return out.lines().toList();
    }

    private static List<String> jvmOptions(List<String> javaArgs) {
        return javaArgs.subList(0, javaArgs.indexOf("-cp"));
    }

    private static List<String> programArgs(List<String> javaArgs) {
        return javaArgs.subList(javaArgs.indexOf("io.gatewayd.cli.GatewayCtl") + 1, javaArgs.size());
    }

    @Test
    void startAndRestartGetTheShippedJvmOptionsInOrder() throws Exception {
        for (String command : List.of("start", "restart")) {
            List<String> args = javaArgs(null, command, "-d");
            assertThat(jvmOptions(args)).startsWith("-Xms64m", "-Xmx1g", "-Xmn24m", "-XX:+UseParallelGC", "-XX:+ExitOnOutOfMemoryError")
                    .contains("-Dgatewayd.home=" + home).noneMatch(o -> o.startsWith("#") || o.isBlank());
            assertThat(programArgs(args)).containsExactly(command, "-d");
        }
    }

    @Test
    void otherCommandsGetASmallClientHeapNotTheServersOptions() throws Exception {
        for (String command : List.of("status", "send", "stop", "reload", "version", "completion")) {
            List<String> opts = jvmOptions(javaArgs(null, command));
            assertThat(opts).as(command).contains("-Xmx128m", "-XX:TieredStopAtLevel=1")
                    .doesNotContain("-Xms64m", "-Xmx1g", "-XX:+UseParallelGC");
        }
        assertThat(jvmOptions(javaArgs(null))).as("no command at all").contains("-Xmx128m");
    }

    @Test
    void benchGetsALoadClientsHeapNotTheServersOptions() throws Exception {
        List<String> opts = jvmOptions(javaArgs(null, "bench", "connect"));
        assertThat(opts).contains("-Xmx1g", "-XX:TieredStopAtLevel=1")
                .doesNotContain("-Xmx128m", "-Xms64m", "-XX:+UseParallelGC");
        assertThat(jvmOptions(javaArgs("-Xmx4g", "bench", "connect")))
                .as("GATEWAYD_JAVA_OPTS's heap replaces it").contains("-Xmx4g").doesNotContain("-Xmx1g");
    }

    @Test
    void gatewaydJavaOptsComeLastAndReplaceTheHeapOrCollectorTheySet() throws Exception {
        List<String> opts = jvmOptions(javaArgs("-Xmx2g  -XX:+UseZGC /e*", "start"));
        assertThat(opts).doesNotContain("-Xms64m", "-Xmx1g", "-XX:+UseParallelGC")
                .contains("-XX:+ExitOnOutOfMemoryError");
        assertThat(opts.subList(opts.indexOf("-Xmx2g"), opts.indexOf("-Xmx2g") + 3))
                .as("split on blanks, never globbed").containsExactly("-Xmx2g", "-XX:+UseZGC", "/e*");

        List<String> client = jvmOptions(javaArgs("-Xms64m", "status"));
        assertThat(client).as("-Xmx128m would be below -Xms").doesNotContain("-Xmx128m").contains("-Xms64m");

        List<String> other = jvmOptions(javaArgs("-Dfoo=bar", "start"));
        assertThat(other).contains("-Xms64m", "-Xmx1g", "-XX:+UseParallelGC");
        assertThat(other.indexOf("-Dfoo=bar")).isGreaterThan(other.indexOf("-Xmx1g"));
    }

    @Test
    void commentsBlankLinesTrailingCommentsAndCrlfAreIgnored() throws Exception {
        Files.writeString(home.resolve("conf/jvm.options"), String.join("\r\n",
                "# a comment", "", "   -Xmx512m   # the heap", "\t-XX:OnOutOfMemoryError=echo a b",
                "  # indented comment", "-Dtrailing.blank=1   ", "-Dno.newline.at.end=1"));
        assertThat(jvmOptions(javaArgs(null, "start"))).startsWith("-Xmx512m", "-XX:OnOutOfMemoryError=echo a b",
                "-Dtrailing.blank=1", "-Dno.newline.at.end=1", "-Dgatewayd.home=" + home);
    }

    @Test
    void argumentsWithBlanksQuotesAndGlobsPassThroughIntact() throws Exception {
        String[] args = {"send", "--uid", "4 2", "", "*", "it's \"quoted\"", "$HOME", "-"};
        assertThat(programArgs(javaArgs(null, args))).containsExactly(args);
        String[] start = {"start", "--ws-port", "0", "a b"};
        assertThat(programArgs(javaArgs(null, start))).containsExactly(start);
    }

    @Test
    void withoutJvmOptionsTheGatewayStillStarts() throws Exception {
        Files.delete(home.resolve("conf/jvm.options"));
        List<String> args = javaArgs(null, "start");
        assertThat(jvmOptions(args)).noneMatch(o -> o.startsWith("-Xm"));
        assertThat(programArgs(args)).containsExactly("start");
    }

    @Test
    void theRealJvmAcceptsTheShippedOptions() throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions(javaArgs(null, "start")));
        cmd.add("-version");
        Path out = dir.resolve("java-version.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(new File("/dev/null")).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(Files.readString(out)).isZero();
    }
}
