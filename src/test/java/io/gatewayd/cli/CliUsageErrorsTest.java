package io.gatewayd.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.cli.StartCommandTest.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.gatewayd.cli.StartCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad options are usage errors (exit 2) that name the option and the fix, found before anything
 * is started or asked: never a Java class name, never the control API's field names.
 */
class CliUsageErrorsTest {
    private static void usageError(Run r, String... expected) {
        assertThat(r.exit()).as(r.toString()).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(r.err()).as(r.toString()).contains(expected).doesNotContain("unexpected error")
                .doesNotContain("Exception").doesNotContain("java.").doesNotContain("field \"");
    }

    @Test
    void portsOutOfRangeNameTheOption() {
        usageError(run("start", "--ws-port", "70000"), "--ws-port", "between 0 and 65535", "70000");
        usageError(run("start", "--control-port", "-1"), "--control-port", "between 0 and 65535");
        usageError(run("restart", "--ws-port", "65536"), "--ws-port");
    }

    @Test
    void aControlUrlThatIsNotHttpNamesTheOption() {
        usageError(run("status", "--control-url", "notaurl"), "--control-url", "\"notaurl\"", "http://127.0.0.1:8283");
        usageError(run("call", "getAllClientIdCount", "--control-url", "ftp://x"), "--control-url", "\"ftp://x\"");
        usageError(run("stop", "--control-url", "notaurl"), "--control-url");
        usageError(run("cron", "list", "--control-url", "notaurl"), "--control-url");
        usageError(run("status", "--timeout", "0"), "--timeout must be between 1 and 31536000 seconds, got 0");
    }

    @Test
    void sendAndConnectionsCheckTheirOptionsThemselves() {
        usageError(run("connections", "--limit", "0"), "--limit must be between 1 and 100000");
        usageError(run("connections", "--limit", "100001"), "--limit must be between 1 and 100000");
        usageError(run("send", "--client", "bad", "x"), "--client: \"bad\" is not a client_id (20 hex characters");
        usageError(run("send", "--all", "--exclude", "7f00000108fc0000000", "x"), "--exclude:");
        usageError(run("send", "--uid", "", "x"), "--uid must not be empty");
        usageError(run("send", "--group", "", "x"), "--group must not be empty");
    }

    /** README maps `php start.php status -d` to `status --watch`; typing the Workerman flag says so. */
    @Test
    void workermanFlagsNameTheGatewayctlSpelling() {
        usageError(run("status", "-d"), "Unknown option: '-d'",
                "Workerman's `status -d` is `gatewayctl status --watch` (or -w) here.");
        usageError(run("reload", "-g"), "Unknown option: '-g'", "run `gatewayctl reload`");
        assertThat(run("stop", "-x").err()).doesNotContain("Workerman");
    }

    @Test
    void callNamesBadJsonWithoutTheParsersInternals() {
        Run params = run("call", "sendToUid", "uids:=[1", "message=x");
        usageError(params, "\"uids:=[1\": the value after := is not valid JSON", "end-of-input", "uids:='[");
        assertThat(params.err()).doesNotContain("Source").doesNotContain("REDACTED").doesNotContain("StreamReadFeature");
        usageError(run("call", "sendToUid", "uids:=[1] [2]", "message=x"), "\"uids:=[1] [2]\"",
                "not valid JSON (more data after the JSON value)");
        usageError(run("call", "sendToUid", "uids:=", "message=x"), "\"uids:=\"", "no JSON value");
        usageError(run("call", "sendToUid", "--data", "{\"uid\":1} x"), "--data is not valid JSON");
        Run data = run("call", "sendToUid", "--data", "{\"uid\":");
        usageError(data, "--data is not valid JSON");
        assertThat(data.err()).doesNotContain("Source").doesNotContain("REDACTED").doesNotContain("StreamReadFeature");
    }

    @Test
    void numbersThatAreNotNumbersAndEmptyNamesAreRefusedByTheCliNotTheApi() {
        usageError(run("stop", "--timeout", "NaN"), "--timeout must be between 0 and 31536000 seconds, got NaN");
        usageError(run("restart", "--timeout", "-1"), "--timeout must be between 0 and 31536000 seconds, got -1");
        usageError(run("cron", "resume", ""), "NAME must not be empty");
        usageError(run("start", "--stop-timeout", "-1"), "--stop-timeout must be between 0", "got -1");
        usageError(run("start", "--wait", "0"), "--wait must be between 1", "got 0");
        usageError(run("status", "--control-url", "http://"), "--control-url", "\"http://\" is not a URL");
    }

    @Test
    void tokenRefusesAnEmptyUidAndALifetimeUnderASecond() {
        usageError(run("token", "--uid", "", "--private-key", "/nonexistent"), "--uid must not be empty");
        usageError(run("token", "--ttl", "0", "--private-key", "/nonexistent"), "--ttl must be at least 1s");
        usageError(run("token", "--ttl", "500ms", "--private-key", "/nonexistent"), "--ttl must be at least 1s");
    }

    @Test
    void aPrivateKeyThatIsNotAKeyFileIsAnOptionErrorNotAConfigurationError(@TempDir Path dir) throws Exception {
        Run directory = run("token", "--uid", "1", "--private-key", dir.toString());
        usageError(directory, "--private-key: " + dir.toAbsolutePath() + " is a directory; give the PEM file in it");
        assertThat(directory.err()).doesNotContain("configuration error");

        Path notPem = Files.writeString(dir.resolve("key.txt"), "not a key\n");
        Run text = run("token", "--uid", "1", "--private-key", notPem.toString());
        usageError(text, "--private-key: " + notPem + " holds no \"-----BEGIN PRIVATE KEY-----\" block");
        assertThat(text.err()).doesNotContain("configuration error");
    }

    @Test
    void cronHelpLinesFitTheUsageWidth() {
        CommandLine cron = GatewayCtl.commandLine().getSubcommands().get("cron");
        List<CommandLine> all = new ArrayList<>(List.of(cron));
        all.addAll(cron.getSubcommands().values());
        int width = cron.getCommandSpec().usageMessage().width();
        for (CommandLine cl : all) {
            var usage = cl.getCommandSpec().usageMessage();
            for (String line : concat(usage.description(), usage.footer())) {
                // picocli breaks a longer line at its width and then again where the source line ends
                assertThat(line.length()).as(cl.getCommandSpec().qualifiedName() + ": " + line).isLessThan(width);
            }
        }
        Run help = run("cron", "--help");
        assertThat(help.out().lines()).contains("whole cluster, whichever process you talk to.")
                .noneMatch(l -> l.equals("counters") || l.equals("whole"));
    }

    /**
     * picocli renders each description and footer line as its own paragraph, wrapped at the usage
     * width: a source line longer than that is broken once at the width and again where it ends,
     * which strands a word or two on a line of its own. Only the last line of a paragraph (followed
     * by a blank line, or the end) may be longer: it is the command's summary in `gatewayctl --help`,
     * and wrapping it is a plain wrap.
     */
    @Test
    void everyCommandsHelpLinesFitTheUsageWidth() {
        List<CommandLine> all = new ArrayList<>();
        collect(GatewayCtl.commandLine(), all);
        assertThat(all).extracting(cl -> cl.getCommandSpec().qualifiedName())
                .contains("gatewayctl", "gatewayctl stop", "gatewayctl config check", "gatewayctl cron pause");
        List<String> broken = new ArrayList<>();
        for (CommandLine cl : all) {
            var usage = cl.getCommandSpec().usageMessage();
            int width = usage.width();
            List<String> rendered = cl.getUsageMessage(CommandLine.Help.Ansi.OFF).lines().toList();
            for (String[] section : List.of(usage.header(), usage.description(), usage.footer())) {
                List<String> lines = new ArrayList<>();
                for (String s : section) {
                    lines.addAll(List.of(s.split("%n", -1)));
                }
                for (int i = 0; i < lines.size(); i++) {
                    String line = lines.get(i).stripTrailing();
                    boolean endsParagraph = i + 1 == lines.size() || lines.get(i + 1).isBlank();
                    String where = cl.getCommandSpec().qualifiedName() + " (" + line.length() + "): " + line;
                    if (line.length() >= width && !endsParagraph) {
                        broken.add(where);
                    } else if (line.length() < width && !line.isBlank() && !rendered.contains(line)) {
                        broken.add(where + "  [not rendered as one line]");
                    }
                }
            }
        }
        assertThat(broken).as("help lines that picocli re-breaks at %d columns", 80).isEmpty();
    }

    @Test
    void noHelpTextRendersAnUndefinedVariable() {
        // picocli reads ${...} in help text as a variable and renders an undefined one as "null";
        // a literal ${VAR} is written $${VAR}
        List<CommandLine> all = new ArrayList<>();
        collect(GatewayCtl.commandLine(), all);
        for (CommandLine cl : all) {
            assertThat(cl.getUsageMessage(CommandLine.Help.Ansi.OFF)).as(cl.getCommandSpec().qualifiedName())
                    .doesNotContainPattern("(?<!/dev/)\\bnull\\b");
        }
        assertThat(run("config", "check", "--help").out()).contains("after ${VAR}");
    }

    private static void collect(CommandLine cl, List<CommandLine> all) {
        if (all.stream().noneMatch(c -> c.getCommandSpec() == cl.getCommandSpec())) {
            all.add(cl);
            cl.getSubcommands().values().forEach(sub -> collect(sub, all));
        }
    }

    private static List<String> concat(String[] a, String[] b) {
        List<String> l = new ArrayList<>(List.of(a));
        l.addAll(List.of(b));
        return l;
    }

    @Test
    void statusShowsTheOtherSectionsAsKeyValueRows() throws Exception {
        var st = new ObjectMapper().readTree("""
                {"version":"0.1.0","pid":1,
                 "limits":{"open_sockets":3,"config":{"max_connections":0,"trusted_proxies":[]},
                           "closed":{"message_rate":0,"uid_limit":1}},
                 "auth":{"connect":"none","allowed_origins":["a","b"],"tokens_accepted":0},
                 "cron":{"jobs":2,"next_job":null}}""");
        List<String> rows = StatusCommand.sectionRows(st).stream().map(r -> r[0] + "|" + r[1]).toList();
        assertThat(rows).containsExactly(
                "|",
                "limits|open_sockets: 3",
                "  config|max_connections: 0, trusted_proxies: none",
                "  closed|message_rate: 0, uid_limit: 1",
                "auth|connect: none, allowed_origins: a,b, tokens_accepted: 0",
                "cron|jobs: 2, next_job: -");
        assertThat(String.join("\n", rows)).doesNotContain("{").doesNotContain("\"");
    }
}
