package io.gatewayd.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Build step: writes the man page and the bash completion script from the picocli model.
 * Arguments: TEMPLATE MAN_OUTPUT COMPLETION_OUTPUT. The man page is also written gzipped next
 * to MAN_OUTPUT (MAN_OUTPUT.gz, no timestamp in the header: the same bytes on every build),
 * as Debian installs man pages.
 */
public final class GeneratedDocs {
    private GeneratedDocs() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            throw new IllegalArgumentException("usage: GeneratedDocs TEMPLATE MAN_OUTPUT COMPLETION_OUTPUT");
        }
        String man = ManPage.render(Files.readString(Path.of(args[0]), StandardCharsets.UTF_8));
        write(Path.of(args[1]), man);
        try (var gz = new java.util.zip.GZIPOutputStream(Files.newOutputStream(Path.of(args[1] + ".gz")))) {
            gz.write(man.getBytes(StandardCharsets.UTF_8)); // GZIPOutputStream writes mtime 0
        }
        write(Path.of(args[2]), CompletionCommand.script("bash"));
    }

    private static void write(Path out, String text) throws IOException {
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.writeString(out, text, StandardCharsets.UTF_8);
    }
}
