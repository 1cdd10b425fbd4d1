package io.gatewayd.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build step: writes the man page and the bash completion script from the picocli model.
 * Arguments: TEMPLATE MAN_DIR COMPLETION_OUTPUT VERSION [TIMESTAMP]. Two pages come out:
 *
 * <ul>
 * <li>MAN_DIR/gatewayctl.1, the page as committed in man/gatewayctl.1 ("dev", no date, what
 *     {@link ManPage#render(String)} renders from classes): it changes only with the CLI and the
 *     template, so `cp target/man/gatewayctl.1 man/` refreshes the committed copy and the diff
 *     shows only what changed in the CLI;</li>
 * <li>MAN_DIR/man1/gatewayctl.1, the page the tarball and the .deb ship, with VERSION in its
 *     header, and gzipped next to it (.gz, no timestamp in the gzip header: the same bytes on every
 *     build), as Debian installs man pages.</li>
 * </ul>
 *
 * TIMESTAMP is the build's reproducible timestamp (project.build.outputTimestamp: ISO 8601, or
 * seconds since the epoch); its day in UTC is the shipped page's date. Empty, or a property Maven
 * left unresolved (null, or "${...}"), means no date: never the time of the build, which would
 * make every build's page differ.
 */
public final class GeneratedDocs {
    private GeneratedDocs() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 4 || args.length > 5) {
            throw new IllegalArgumentException(
                    "usage: GeneratedDocs TEMPLATE MAN_DIR COMPLETION_OUTPUT VERSION [TIMESTAMP]");
        }
        String template = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
        Path manDir = Path.of(args[1]);
        write(manDir.resolve("gatewayctl.1"), ManPage.render(template));
        String shipped = ManPage.render(template, args[3], args.length == 5 ? date(args[4]) : "");
        Path page = manDir.resolve("man1/gatewayctl.1");
        write(page, shipped);
        try (var gz = new java.util.zip.GZIPOutputStream(Files.newOutputStream(Path.of(page + ".gz")))) {
            gz.write(shipped.getBytes(StandardCharsets.UTF_8)); // GZIPOutputStream writes mtime 0
        }
        write(Path.of(args[2]), CompletionCommand.script("bash"));
    }

    /** YYYY-MM-DD (UTC) of a project.build.outputTimestamp value; "" when there is none. */
    static String date(String timestamp) {
        String t = timestamp == null ? "" : timestamp.trim();
        if (t.isEmpty() || t.startsWith("${")) {
            return "";
        }
        java.time.Instant instant = t.chars().allMatch(Character::isDigit)
                ? java.time.Instant.ofEpochSecond(Long.parseLong(t))
                : java.time.OffsetDateTime.parse(t).toInstant();
        return java.time.LocalDate.ofInstant(instant, java.time.ZoneOffset.UTC).toString();
    }

    private static void write(Path out, String text) throws IOException {
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, text, StandardCharsets.UTF_8);
    }
}
