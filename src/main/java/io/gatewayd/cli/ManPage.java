package io.gatewayd.cli;

import io.gatewayd.Version;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

import java.util.List;

/**
 * Writes man/gatewayctl.1 from the picocli model, so the COMMANDS section cannot drift from
 * what the CLI accepts. The hand-written sections live in man/gatewayctl.1.in; its line
 * {@code .\" @COMMANDS@} is replaced by one subsection per command with every option.
 *
 * <p>Run by the build ({@link GeneratedDocs}: {@code mvn package} writes target/man/gatewayctl.1),
 * which is the page the tarball and the .deb ship.
 */
final class ManPage {
    static final String MARKER = ".\\\" @COMMANDS@";

    private ManPage() {
    }

    /**
     * Writes the committed copy, man/gatewayctl.1 (or the file given), from the source tree. Not
     * a copy of target/man/gatewayctl.1: the build's page names the release version, the
     * committed one says "dev" so that it changes only with the CLI and the template.
     */
    public static void main(String[] args) throws java.io.IOException {
        java.nio.file.Path out = java.nio.file.Path.of(args.length > 0 ? args[0] : "man/gatewayctl.1");
        String template = java.nio.file.Files.readString(java.nio.file.Path.of("man/gatewayctl.1.in"),
                java.nio.charset.StandardCharsets.UTF_8);
        java.nio.file.Files.writeString(out, render(template), java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * The page for this build: version {@link Version#get()} ("dev" when run from classes, as by
     * the tests), no date. man/gatewayctl.1 is this, so it changes only with the CLI and the template.
     */
    public static String render(String template) {
        return render(template, Version.get(), "");
    }

    /**
     * The page with {@code version} and {@code date} (YYYY-MM-DD, or "" for none) in its .TH
     * header: what the build writes into the tarball and the .deb.
     */
    public static String render(String template, String version, String date) {
        if (!template.contains(MARKER)) {
            throw new IllegalArgumentException("the man page template has no " + MARKER + " line");
        }
        StringBuilder sb = new StringBuilder();
        CommandLine root = GatewayCtl.commandLine();
        sb.append(".SH COMMANDS\n");
        commands(root, sb);
        sb.append(".SH \"GLOBAL OPTIONS\"\n");
        options(root.getCommandSpec(), sb);
        return template.replace("@VERSION@", escape(version).replace("\\-", "-"))
                .replace("@DATE@", escape(date).replace("\\-", "-"))
                .replace(MARKER + "\n", sb.toString());
    }

    private static void commands(CommandLine parent, StringBuilder sb) {
        for (CommandLine sub : parent.getSubcommands().values().stream().distinct().toList()) {
            CommandSpec spec = sub.getCommandSpec();
            if (spec.usageMessage().hidden() || spec.name().equals("help")) {
                continue;
            }
            sb.append(".SS \"").append(escape(spec.qualifiedName())).append(synopsisTail(spec)).append("\"\n");
            for (String line : spec.usageMessage().description()) {
                sb.append(text(line)).append('\n');
            }
            if (!spec.aliases().equals(new String[0]) && spec.aliases().length > 0) {
                sb.append(".br\nAliases: ").append(escape(String.join(", ", spec.aliases()))).append('\n');
            }
            for (PositionalParamSpec p : spec.positionalParameters()) {
                if (p.hidden()) {
                    continue;
                }
                sb.append(".TP\n\\fI").append(escape(p.paramLabel())).append("\\fR\n");
                sb.append(text(String.join(" ", p.description()))).append('\n');
            }
            options(spec, sb);
            commands(sub, sb);
        }
    }

    private static String synopsisTail(CommandSpec spec) {
        StringBuilder sb = new StringBuilder();
        if (!spec.options().stream().allMatch(OptionSpec::hidden)) {
            sb.append(" [options]");
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (!p.hidden()) {
                sb.append(' ').append(p.paramLabel());
            }
        }
        if (!spec.subcommands().isEmpty()) {
            sb.append(" COMMAND");
        }
        return escape(sb.toString());
    }

    private static void options(CommandSpec spec, StringBuilder sb) {
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) {
                continue;
            }
            sb.append(".TP\n\\fB").append(escape(String.join(", ", List.of(o.names())))).append("\\fR");
            if (o.arity().max() > 0 && !o.paramLabel().isEmpty()) {
                sb.append(" \\fI").append(escape(o.paramLabel())).append("\\fR");
            }
            sb.append('\n');
            String desc = String.join(" ", o.description());
            String def = o.defaultValueString();
            desc = desc.replace("${DEFAULT-VALUE}", def == null ? "" : def);
            sb.append(text(desc)).append('\n');
        }
    }

    /** A line of running text: escaped, and not starting with a control character. */
    private static String text(String s) {
        String e = escape(s);
        return e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e;
    }

    static String escape(String s) {
        return s.replace("\\", "\\e").replace("-", "\\-");
    }
}
