package io.gatewayd.config;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The config reference in README and the comments of conf/gatewayd.yaml cover every key. */
class ConfigDocsTest {
    static final String START = "<!-- config-reference:start -->\n";
    static final String END = "<!-- config-reference:end -->";

    @Test
    void readmeListsEveryKeyWithItsDefault() throws Exception {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        int from = readme.indexOf(START);
        int to = readme.indexOf(END);
        assertThat(from).as("README has the config reference markers").isPositive();
        assertThat(readme.substring(from + START.length(), to))
                .as("README's config reference is out of date: regenerate it with "
                        + "`java -cp target/test-classes:target/classes:'target/lib/*' io.gatewayd.config.ConfigReference`")
                .isEqualTo(ConfigReference.markdown());
    }

    @Test
    void theShippedConfigMentionsEveryKey() throws Exception {
        String shipped = Files.readString(Path.of("conf/gatewayd.yaml"), StandardCharsets.UTF_8);
        java.util.List<String> missing = new java.util.ArrayList<>();
        for (ConfigReference.Key k : ConfigReference.keys()) {
            String last = k.path().replaceAll(".*[.\\]]", "");
            if (!java.util.regex.Pattern.compile("(?m)^[ #-]*" + java.util.regex.Pattern.quote(last) + ":")
                    .matcher(shipped).find()) {
                missing.add(k.path());
            }
        }
        assertThat(missing).as("keys conf/gatewayd.yaml does not document").isEmpty();
    }
}
