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
 * make every build's page differ. SOURCE_DATE_EPOCH, when set, wins, as it does for the .deb's
 * changelog (reproducible-builds.org: a distribution's rebuild sets it, not the pom).
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
        String shipped = ManPage.render(template, args[3],
                shippedDate(System.getenv("SOURCE_DATE_EPOCH"), args.length == 5 ? args[4] : null));
        Path page = manDir.resolve("man1/gatewayctl.1");
        write(page, shipped);
        try (var gz = new java.util.zip.GZIPOutputStream(Files.newOutputStream(Path.of(page + ".gz")))) {
            gz.write(shipped.getBytes(StandardCharsets.UTF_8)); // GZIPOutputStream writes mtime 0
        }
        write(Path.of(args[2]), CompletionCommand.script("bash"));
    }

    /**
     * The shipped page's date: SOURCE_DATE_EPOCH's day if it is set, else {@link #date} of the
     * project's timestamp. A malformed SOURCE_DATE_EPOCH fails the build, as the specification
     * asks, rather than quietly dating the page otherwise.
     */
    static String shippedDate(String sourceDateEpoch, String outputTimestamp) {
        if (sourceDateEpoch == null || sourceDateEpoch.isBlank()) {
            return date(outputTimestamp);
        }
        String t = sourceDateEpoch.trim();
        if (!t.matches("\\d{1,18}")) {
            throw new IllegalArgumentException("SOURCE_DATE_EPOCH must be seconds since 1970-01-01 UTC (digits "
                    + "only), got \"" + sourceDateEpoch + "\"; unset it to date the man page by "
                    + "project.build.outputTimestamp");
        }
        return date(t);
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
