package io.gatewayd.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The one JSON mapper of the control API. */
final class Json {
    /**
     * Numbers with a fraction or exponent are read as BigDecimal, not double, and kept as written
     * (no trailing zeros stripped): a message is re-encoded from the tree, and a double turned
     * 1e400 into "Infinity" and rounded long fractions. Integers were exact already. Only requests
     * that hold such numbers pay for it. Characters outside the BMP (emoji) are written as UTF-8,
     * like every other character, not as a pair of surrogate escapes.
     */
    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION) // {"uid":"1","uid":"2"}: refused, not last-wins
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false)
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    private Json() {
    }

    public static byte[] compactBytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] bytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final byte[] RESULT_TRUE = "{\"result\":true}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] RESULT_FALSE = "{\"result\":false}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** {"result": value} as bytes, written in one pass; the array may be shared, so never change it. */
    public static byte[] resultBytes(Object value) {
        byte[] fast = pushResultBytes(value);
        if (fast != null) {
            return fast;
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(64);
        try (var g = MAPPER.getFactory().createGenerator(out)) {
            g.setCodec(MAPPER);
            g.writeStartObject();
            g.writeFieldName("result");
            g.writeObject(value);
            g.writeEndObject();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    /**
     * The answers to pushes and most writes ({"delivered": n}, true, false) without a generator:
     * they are the bulk of control traffic. Null for anything else.
     */
    private static byte[] pushResultBytes(Object value) {
        if (value instanceof Boolean b) {
            return b ? RESULT_TRUE : RESULT_FALSE; // callers copy reply bodies into buffers, never change them
        }
        if (value instanceof java.util.Map<?, ?> m && m.size() == 1) {
            Object n = m.get("delivered");
            if (n instanceof Long || n instanceof Integer) {
                return ("{\"result\":{\"delivered\":" + n + "}}").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            }
        }
        return null;
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static ObjectNode error(String code, String message) {
        ObjectNode root = object();
        ObjectNode err = root.putObject("error");
        err.put("code", code);
        err.put("message", message);
        return root;
    }
}
