package io.gatewayd.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The CLI's error paths, in process (the real launcher is exercised by the *IT tests). */
class StartCommandTest {
    record Run(int exit, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = GatewayCtl.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void anUnknownKeyExitsWithUsageErrorAndNamesIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("gw.yaml");
        Files.writeString(f, "control:\n  tokenz: [a]\n");
        Run r = run("start", "--config", f.toString());
        assertThat(r.exit()).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(r.err()).contains("configuration error").contains("gw.yaml:2").contains("control.tokenz")
                .contains("did you mean \"tokens\"").doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aPublicControlBindWithoutTokenExitsNonZero(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("gw.yaml");
        Files.writeString(f, "control:\n  listen: http://0.0.0.0:0\n");
        Run r = run("start", "--config", f.toString());
        assertThat(r.exit()).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(r.err()).contains("control.listen").contains("token");
    }

    @Test
    void aPortInUseIsReportedByNumber(@TempDir Path dir) throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Path f = dir.resolve("gw.yaml");
            Files.writeString(f, "listeners:\n  - url: websocket://127.0.0.1:" + taken.getLocalPort()
                    + "\ncontrol:\n  listen: http://127.0.0.1:0\n");
            Run r = run("start", "--config", f.toString());
            assertThat(r.exit()).isEqualTo(GatewayCtl.EXIT_FAILURE);
            assertThat(r.err()).contains("port " + taken.getLocalPort()).contains("already in use");
        }
    }

    @Test
    void unknownOptionsAreUsageErrors() {
        Run r = run("start", "--no-such-flag");
        assertThat(r.exit()).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(r.err()).contains("--no-such-flag");
    }

    @Test
    void helpAndVersion() {
        Run help = run("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("start");
        Run version = run("--version");
        assertThat(version.exit()).isZero();
        assertThat(version.out()).startsWith("gatewayd ");
    }
}
