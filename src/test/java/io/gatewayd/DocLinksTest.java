package io.gatewayd;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Every relative link in the project's markdown documents points at a file or directory that exists. */
class DocLinksTest {
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");

    @Test
    void relativeLinksResolve() throws Exception {
        List<String> broken = new ArrayList<>();
        for (String doc : List.of("README.md", "BENCHMARKS.md", "CONTRIBUTING.md", "CHANGELOG.md")) {
            Path file = Path.of(doc);
            Matcher m = LINK.matcher(Files.readString(file, StandardCharsets.UTF_8));
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z][a-z0-9+.-]*:.*") || target.startsWith("#")) {
                    continue; // a URL or an anchor in the same document
                }
                String pathPart = target.replaceFirst("#.*$", "");
                if (!Files.exists(file.resolveSibling(pathPart))) {
                    broken.add(doc + " -> " + target);
                }
            }
        }
        assertThat(broken).as("links to files that do not exist").isEmpty();
    }
}
