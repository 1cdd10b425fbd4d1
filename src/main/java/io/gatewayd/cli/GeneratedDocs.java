package io.gatewayd.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build step: writes the man page and the bash completion script from the picocli model.
 * Arguments: TEMPLATE MAN_OUTPUT COMPLETION_OUTPUT [VERSION [TIMESTAMP]]. The man page is also
 * written gzipped next to MAN_OUTPUT (MAN_OUTPUT.gz, no timestamp in the header: the same bytes
 * on every build), as Debian installs man pages.
 *
 * <p>VERSION (the pom's) goes into the page's header; without it the page says what
 * {@link ManPage#render(String)} says ("dev" from classes), like the committed man/gatewayctl.1.
 * TIMESTAMP is the build's reproducible timestamp (project.build.outputTimestamp: ISO 8601, or
 * seconds since the epoch); its day in UTC is the page's date. Empty, or a property Maven left
 * unresolved (null, or "${...}"), means no date: never the time of the build, which would make every
 * build's page differ.
 */
public final class GeneratedDocs {
    private GeneratedDocs() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 3 || args.length > 5) {
            throw new IllegalArgumentException(
                    "usage: GeneratedDocs TEMPLATE MAN_OUTPUT COMPLETION_OUTPUT [VERSION [TIMESTAMP]]");
        }
        String template = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
        String man = args.length == 3 ? ManPage.render(template)
                : ManPage.render(template, args[3], args.length == 5 ? date(args[4]) : "");
        write(Path.of(args[1]), man);
        try (var gz = new java.util.zip.GZIPOutputStream(Files.newOutputStream(Path.of(args[1] + ".gz")))) {
            gz.write(man.getBytes(StandardCharsets.UTF_8)); // GZIPOutputStream writes mtime 0
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
