package io.gatewayd.cli;

import io.gatewayd.config.ConfigLoader;
import io.gatewayd.config.GatewayConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CliHelpTest {
    private static List<CommandLine> all(CommandLine cl) {
        List<CommandLine> out = new ArrayList<>();
        out.add(cl);
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (!out.contains(sub)) {
                out.addAll(all(sub));
            }
        }
        return out;
    }

    @Test
    void everyCommandHasAOneLineSummaryAndEveryOptionHelpText() {
        List<String> problems = new ArrayList<>();
        for (CommandLine cl : all(GatewayCtl.commandLine())) {
            CommandSpec spec = cl.getCommandSpec();
            String name = spec.qualifiedName();
            String[] description = spec.usageMessage().description();
            if (description.length == 0 || description[0].isBlank()) {
                problems.add(name + ": no description");
            } else if (spec.parent() != null && (!description[0].endsWith(".") || description[0].length() > 100)) {
                // the command list shows only the first line: it must be a whole sentence
                problems.add(name + ": first description line is not a short sentence: " + description[0]);
            }
            for (OptionSpec o : spec.options()) {
                if (o.versionHelp() && spec.version().length == 0) {
                    problems.add(name + " " + o.longestName() + ": offered, but prints nothing (no version here)");
                }
                if (!o.hidden() && (o.description().length == 0 || o.description()[0].isBlank())) {
                    problems.add(name + " " + o.longestName() + ": no description");
                }
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                if (!p.hidden() && (p.description().length == 0 || p.description()[0].isBlank())) {
                    problems.add(name + " " + p.paramLabel() + ": no description");
                }
            }
        }
        assertThat(problems).isEmpty();
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        CommandLine cl = GatewayCtl.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    @Test
    void helpFollowsTheWholePathOfSubcommands() {
        Run nested = run("help", "cron", "list");
        assertThat(nested.exit()).isZero();
        assertThat(nested.out()).startsWith("Usage: gatewayctl cron list ").isEqualTo(run("cron", "list", "--help").out());
        assertThat(run("help", "cron").out()).startsWith("Usage: gatewayctl cron ");
        assertThat(run("help").out()).isEqualTo(run("--help").out());
        assertThat(run("config", "help", "check").out()).startsWith("Usage: gatewayctl config check ");

        Run unknown = run("help", "cron", "nope");
        assertThat(unknown.exit()).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(unknown.out()).isEmpty();
        assertThat(unknown.err()).contains("unknown command 'nope' in `gatewayctl cron`", "`gatewayctl cron --help`");
    }

    @Test
    void theLifecycleCommandsAreListed() {
        assertThat(GatewayCtl.commandLine().getSubcommands().keySet()).contains("start", "stop", "restart", "reload",
                "status", "connections", "send", "call", "config", "version", "help");
    }

    @Test
    void helpOfEachCommandRendersWithinEightyColumns() {
        // every command, so one added later cannot miss --help (completion and token once did)
        for (String cmd : GatewayCtl.commandLine().getSubcommands().keySet()) {
            StringWriter out = new StringWriter();
            CommandLine cl = GatewayCtl.commandLine();
            cl.setOut(new PrintWriter(out));
            assertThat(cl.execute(cmd, "--help")).as(cmd).isZero();
            assertThat(out.toString()).as(cmd).contains("Usage: gatewayctl " + cmd);
        }
    }

    @Test
    void noWordOfTheHelpIsSplitAcrossLines() {
        // picocli broke after the '.' of control.listen and the ':' of -XX:TieredStopAtLevel=1
        List<String> problems = new ArrayList<>();
        for (CommandLine command : all(GatewayCtl.commandLine())) {
            List<String> words = new ArrayList<>();
            for (CommandLine.Model.ArgSpec arg : command.getCommandSpec().args()) {
                String def = arg.defaultValueString();
                for (String line : arg.description()) {
                    words.addAll(List.of(line.replace("${DEFAULT-VALUE}", def == null ? "" : def).split("\\s+")));
                }
            }
            // the "Commands:" list wraps each subcommand's summary as picocli wraps descriptions
            CommandLine.Model.UsageMessageSpec usage = command.getCommandSpec().usageMessage();
            List<String[]> texts = new ArrayList<>(List.of(usage.description(), usage.header(), usage.footer()));
            for (CommandLine sub : command.getSubcommands().values()) {
                texts.add(sub.getCommandSpec().usageMessage().description());
                texts.add(sub.getCommandSpec().usageMessage().header());
            }
            for (String[] text : texts) {
                for (String line : text) {
                    words.addAll(List.of(line.split("\\s+")));
                }
            }
            String name = command.getCommandSpec().qualifiedName();
            List<String> lines = command.getUsageMessage(CommandLine.Help.Ansi.OFF).lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).length() > 79) {
                    problems.add(name + " --help, wider than 79 columns: " + lines.get(i));
                }
                if (i + 1 == lines.size() || lines.get(i).isBlank() || lines.get(i + 1).isBlank()) {
                    continue;
                }
                String[] here = lines.get(i).trim().split("\\s+");
                String joined = here[here.length - 1] + lines.get(i + 1).trim().split("\\s+")[0];
                String where = ":\n" + lines.get(i) + "\n" + lines.get(i + 1);
                words.stream().filter(w -> w.startsWith(joined)).findFirst()
                        .ifPresent(w -> problems.add(name + " --help splits " + w + where));
            }
        }
        assertThat(problems).isEmpty();
    }

    /**
     * A summary in the "Commands:" list keeps a dotted key on one line wherever the wrap falls;
     * the real summaries happen not to put one at the edge today, so this places one there.
     */
    @Test
    void theCommandListWrapsSummariesAtSpacesOnly() {
        for (int n = 0; n < 80; n++) {
            CommandLine sub = new CommandLine(CommandSpec.create().name("sub"));
            sub.getCommandSpec().usageMessage().description("x".repeat(n) + " then see control.listen for it.");
            CommandLine top = new CommandLine(CommandSpec.create().name("top").addSubcommand("sub", sub));
            top.setHelpFactory(SpaceWrappingHelp::new);
            String help = top.getUsageMessage(CommandLine.Help.Ansi.OFF);
            assertThat(help).as("n=" + n + ":\n" + help).contains("control.listen");
        }
    }

    @Test
    void sendNeedsExactlyOneKindOfRecipient() {
        StringWriter err = new StringWriter();
        CommandLine cl = GatewayCtl.commandLine();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("send", "--all", "--uid", "1", "hi")).isEqualTo(GatewayCtl.EXIT_USAGE);
        assertThat(err.toString()).contains("mutually exclusive");
        assertThat(GatewayCtl.commandLine().execute("send", "hi")).isEqualTo(GatewayCtl.EXIT_USAGE);
    }

    @Test
    void configCheckMasksTokens() throws Exception {
        GatewayConfig c = new ConfigLoader(Map.of()).parse("""
                control:
                  tokens: [very-secret, other-secret]
                heartbeat:
                  ping-interval: 1500ms
                """, "t.yaml");
        String yaml = ConfigCommand.yaml(c);
        assertThat(yaml).doesNotContain("very-secret").doesNotContain("other-secret");
        assertThat(yaml).contains("- '****'").contains("token-env: GATEWAYD_CONTROL_TOKEN").contains("ping-interval: 1500ms");
        // what it prints reads back as the same config
        assertThat(new ConfigLoader(Map.of()).parse(yaml.replace("'****'", "x"), "back.yaml").heartbeat())
                .isEqualTo(c.heartbeat());
    }

    @Test
    void configCheckMasksSecretsInsideSections() throws Exception {
        String secret = "0123456789abcdef0123456789abcdef-jwt";
        GatewayConfig c = new ConfigLoader(Map.of()).parse("""
                auth:
                  connect: token
                  token:
                    secret: %s
                """.formatted(secret), "t.yaml");
        String yaml = ConfigCommand.yaml(c);
        assertThat(yaml).doesNotContain(secret).contains("secret: '****'").contains("connect: token");
    }

    @Test
    void formatting() {
        assertThat(Format.bytes(512)).isEqualTo("512 B");
        assertThat(Format.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(Format.bytes(5L * 1024 * 1024 * 1024)).isEqualTo("5.0 GiB");
        assertThat(Format.duration(59)).isEqualTo("59s");
        assertThat(Format.duration(3725)).isEqualTo("1h 2m");
        assertThat(Format.duration(90000)).isEqualTo("1d 1h");
        StringWriter out = new StringWriter();
        new Table("NAME", "COUNT>").row("a", 5).row("longer", 12345).print(new PrintWriter(out, true));
        assertThat(out.toString().lines().toList()).containsExactly("NAME    COUNT", "a           5", "longer  12345");
    }
}
