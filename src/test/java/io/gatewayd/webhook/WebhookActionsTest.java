package io.gatewayd.webhook;

import io.gatewayd.server.ClientActions;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A webhook answer's uid and groups follow the control API's rule for keys. */
class WebhookActionsTest {
    private static ClientActions parse(String json, List<String> problems) {
        return WebhookActions.parse(json.getBytes(StandardCharsets.UTF_8), problems);
    }

    @Test
    void keysTheControlApiWouldRefuseAreReportedAndSkipped() {
        List<String> problems = new ArrayList<>();
        ClientActions a = parse("{\"bind_uid\":\" \",\"join_groups\":[\"ok\",\"a\\u0000b\"],\"reply\":\"hi\"}", problems);
        assertThat(a.bindUid()).isNull();
        assertThat(a.joinGroups()).isEmpty();
        assertThat(a.reply().asText()).as("the rest still applies").isEqualTo("hi");
        assertThat(problems).containsExactly("bind_uid must not be blank (only whitespace)",
                "join_groups entries must not contain control characters (U+0000 to U+001F), found U+0000 at index 1");
    }

    @Test
    void numbersAreReadAsTheControlApiReadsThem() {
        List<String> problems = new ArrayList<>();
        ClientActions a = parse("{\"bind_uid\":42.0,\"join_groups\":[7,\"room\"]}", problems);
        assertThat(problems).isEmpty();
        assertThat(a.bindUid()).isEqualTo("42");
        assertThat(a.joinGroups()).containsExactly("7", "room");
    }

    @Test
    void oneGroupMayComeAsAPlainValueAsInTheControlApi() {
        List<String> problems = new ArrayList<>();
        assertThat(parse("{\"join_groups\":\"solo\"}", problems).joinGroups()).containsExactly("solo");
        assertThat(parse("{\"join_groups\":7}", problems).joinGroups()).containsExactly("7");
        assertThat(problems).isEmpty();
    }
}
