package io.gatewayd.registry;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one rule for uid and group keys. */
class KeysTest {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private static String key(String json) throws Exception {
        JsonNode v = JSON.readTree(json);
        return Keys.of(v);
    }

    @Test
    void numbersAreTheKeysPhpPrints() throws Exception {
        assertThat(key("123")).isEqualTo("123");
        assertThat(key("123.0")).isEqualTo("123");
        assertThat(key("1.23e2")).isEqualTo("123");
        assertThat(key("1.5")).isEqualTo("1.5");
        assertThat(key("0.0")).isEqualTo("0");
        assertThat(key("\"0\"")).isEqualTo("0");
        assertThat(key("123456789012345678901234567890")).as("integers keep every digit")
                .isEqualTo("123456789012345678901234567890");
        assertThatThrownBy(() -> key("1e400")).hasMessageContaining("send the key as a string");
        assertThatThrownBy(() -> key("0.00001")).hasMessageContaining("send the key as a string");
    }

    @Test
    void textThatWouldNotRoundTripOrCannotBeSeenIsRefused() {
        assertThat(Keys.text("alice")).isEqualTo("alice");
        assertThat(Keys.text("\uD83D\uDE00")).as("a surrogate pair is one character").isEqualTo("\uD83D\uDE00");
        assertThatThrownBy(() -> Keys.text("")).hasMessage("must not be empty");
        assertThatThrownBy(() -> Keys.text("  \u3000")).hasMessageContaining("blank");
        assertThatThrownBy(() -> Keys.text("a\u0000b")).hasMessageContaining("control characters").hasMessageContaining("U+0000");
        assertThatThrownBy(() -> Keys.text("a\uD800")).hasMessageContaining("lone surrogate U+D800");
    }
}
