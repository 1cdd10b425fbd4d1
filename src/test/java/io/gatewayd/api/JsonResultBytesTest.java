package io.gatewayd.api;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The hand-written answers to pushes must be byte for byte what Jackson writes. */
class JsonResultBytesTest {
    @Test
    void pushAndBooleanAnswersMatchJackson() {
        for (Object v : List.of(true, false, Map.of("delivered", 0L), Map.of("delivered", 12345L),
                Map.of("delivered", 7), Map.of("delivered", Long.MAX_VALUE), Map.of("other", 1), 42, "text")) {
            String expected = new String(Json.bytes(Map.of("result", v)), StandardCharsets.UTF_8);
            assertThat(new String(Json.resultBytes(v), StandardCharsets.UTF_8)).as("%s", v).isEqualTo(expected);
        }
    }
}
