package io.gatewayd.cli;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class ManPageTest {
    static String generated() throws Exception {
        return ManPage.render(Files.readString(Path.of("man/gatewayctl.1.in"), StandardCharsets.UTF_8));
    }

    @Test
    void theCommittedManPageIsTheGeneratedOne() throws Exception {
        assertThat(Files.readString(Path.of("man/gatewayctl.1"), StandardCharsets.UTF_8))
                .as("man/gatewayctl.1 is out of date: run `mvn -q -DskipTests compile && "
                        + "java -cp target/classes:'target/lib/*' io.gatewayd.cli.ManPage`")
                .isEqualTo(generated());
    }

    @Test
    void theRegenerationCommandWritesTheCommittedPage(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path out = dir.resolve("gatewayctl.1");
        ManPage.main(new String[] {out.toString()});
        assertThat(Files.readString(out, StandardCharsets.UTF_8))
                .as("what ManPage.main writes passes theCommittedManPageIsTheGeneratedOne")
                .isEqualTo(generated());
    }

    @Test
    void theBuildPutsItsVersionAndReproducibleDateInTheHeader() throws Exception {
        String template = Files.readString(Path.of("man/gatewayctl.1.in"), StandardCharsets.UTF_8);
        assertThat(ManPage.render(template, "1.2.3-rc1", "2024-05-01"))
                .contains("\n.TH GATEWAYCTL 1 \"2024-05-01\" \"gatewayd 1.2.3-rc1\" \"gatewayd manual\"\n");
        assertThat(generated()).as("the committed page: no version, no date")
                .contains("\n.TH GATEWAYCTL 1 \"\" \"gatewayd dev\" \"gatewayd manual\"\n");
        assertThat(GeneratedDocs.date("2024-05-01T23:30:00-02:00")).isEqualTo("2024-05-02");
        assertThat(GeneratedDocs.date("1714521600")).isEqualTo("2024-05-01");
        assertThat(GeneratedDocs.date("${project.build.outputTimestamp}")).as("unset in the pom: no date").isEmpty();
        assertThat(GeneratedDocs.date("")).isEmpty();
        assertThat(GeneratedDocs.date(null)).as("exec-maven-plugin's argument for an unset property").isEmpty();
        // SOURCE_DATE_EPOCH, when set, wins (as for the .deb's changelog)
        assertThat(GeneratedDocs.shippedDate(null, "2024-05-01T00:00:00Z")).isEqualTo("2024-05-01");
        assertThat(GeneratedDocs.shippedDate(" ", "2024-05-01T00:00:00Z")).isEqualTo("2024-05-01");
        assertThat(GeneratedDocs.shippedDate("1700000000", "2024-05-01T00:00:00Z")).isEqualTo("2023-11-14");
        assertThat(GeneratedDocs.shippedDate("1700000000", null)).isEqualTo("2023-11-14");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GeneratedDocs.shippedDate("yesterday", null))
                .hasMessageContaining("SOURCE_DATE_EPOCH must be seconds since 1970-01-01 UTC")
                .hasMessageContaining("\"yesterday\"");
    }

    @Test
    void everySubcommandAndOptionAppears() throws Exception {
        String page = generated();
        List<CommandSpec> specs = new ArrayList<>();
        collect(GatewayCtl.commandLine(), specs);
        for (CommandSpec spec : specs) {
            if (spec.usageMessage().hidden() || spec.name().equals("help")) {
                continue;
            }
            assertThat(page).contains(".SS \"" + ManPage.escape(spec.qualifiedName()));
            for (OptionSpec o : spec.options()) {
                if (!o.hidden()) {
                    assertThat(page).as(spec.qualifiedName() + " " + o.longestName())
                            .contains(ManPage.escape(o.longestName()));
                }
            }
        }
        for (String section : List.of("DESCRIPTION", "FILES", "ENVIRONMENT", "SIGNALS", "\"EXIT STATUS\"",
                "EXAMPLES", "\"SEE ALSO\"")) {
            assertThat(page).contains(".SH " + section);
        }
    }

    private static void collect(CommandLine cl, List<CommandSpec> out) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            out.add(sub.getCommandSpec());
            collect(sub, out);
        }
    }

    @Test
    void manBreaksLinesOnlyBetweenWords() throws Exception {
        // groff hyphenated --pri-vate-key, GATE-WAYD_DEBUG and /etc/gatewayd/gate-wayd.yaml
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/man")), "man is not installed");
        for (String width : List.of("80", "60")) {
            ProcessBuilder pb = new ProcessBuilder("man", "-l", "man/gatewayctl.1").redirectErrorStream(true);
            // UTF-8, where groff marks a hyphenation with U+2010 and an option's own '-' stays U+002D
            pb.environment().putAll(java.util.Map.of("MANWIDTH", width, "MANPAGER", "cat", "PAGER", "cat",
                    "LC_ALL", "C.UTF-8", "MAN_KEEP_FORMATTING", ""));
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out.lines().filter(l -> l.endsWith("\u2010")).toList()).as("hyphenated at " + width + " columns")
                    .isEmpty();
        }
    }

    @Test
    void manRendersItWithoutWarnings() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/man")), "man is not installed");
        Process p = new ProcessBuilder("man", "--warnings", "-l", "man/gatewayctl.1")
                .redirectErrorStream(false).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(err).as("man/groff warnings").isEmpty();
        assertThat(out).contains("gatewayctl start");
    }
}
