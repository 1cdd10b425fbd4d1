package io.gatewayd.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.registry.ClientIds;
import io.gatewayd.registry.Keys;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Typed access to a request's parameters, whether they came as JSON, a form or a query string.
 * Every refusal names the field and what was expected.
 *
 * <p>uid and group keys follow {@link Keys}: strings, or numbers read as PHP prints them.
 */
public final class Params {
    private final ObjectNode node;

    public Params(ObjectNode node) {
        this.node = node;
    }

    public static Params empty() {
        return new Params(JsonNodeFactory.instance.objectNode());
    }

    public ObjectNode node() {
        return node;
    }

    public boolean has(String field) {
        JsonNode v = node.get(field);
        return v != null && !v.isNull();
    }

    /** A required uid or group key. */
    public String key(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.missing(field, "a non-empty string or number");
        }
        return keyValue(field, v);
    }

    private static String keyValue(String field, JsonNode v) {
        if (!Keys.isKeyType(v)) {
            throw ApiException.invalid(field, "must be a string or number, got " + kind(v));
        }
        try {
            return Keys.of(v);
        } catch (Keys.InvalidKeyException e) {
            throw ApiException.invalid(field, e.getMessage());
        }
    }

    static ApiException loneSurrogate(String field, char c, int index) {
        return ApiException.invalid(field, Keys.loneSurrogate(c, index));
    }

    /**
     * One key from {@code single} or several from {@code plural} (exactly one of the two).
     * {@code single} may itself hold a list, as GatewayWorker's sendToUid(uid|uid[]) allows.
     */
    public List<String> keys(String single, String plural) {
        boolean hasSingle = has(single);
        boolean hasPlural = plural != null && has(plural);
        if (!hasSingle && !hasPlural) {
            throw ApiException.missing(plural == null ? single : single + "\" or \"" + plural,
                    "a key, or a list of keys");
        }
        if (hasSingle && hasPlural) {
            throw ApiException.invalid(single, "and \"" + plural + "\" are both set; send one of them");
        }
        String field = hasSingle ? single : plural;
        JsonNode v = node.get(field);
        if (v.isContainerNode()) {
            return keyList(field, v);
        }
        return List.of(keyValue(field, v));
    }

    /** A required list of keys (an array, or a PHP-style object whose values are the keys). */
    public List<String> keyList(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.missing(field, "a list of keys");
        }
        if (!v.isContainerNode()) {
            return List.of(keyValue(field, v));
        }
        return keyList(field, v);
    }

    private static List<String> keyList(String field, JsonNode v) {
        if (v.isObject()) {
            requirePhpList(field, v);
        }
        Set<String> out = new LinkedHashSet<>();
        Iterator<JsonNode> it = v.elements();
        int i = 0;
        while (it.hasNext()) {
            out.add(keyValue(field + "[" + i++ + "]", it.next()));
        }
        return new ArrayList<>(out);
    }

    /**
     * A list of keys may come as an object only when it is a PHP list with gaps: json_encode() of
     * array_filter() or array_unique() gives {"0":"a","2":"b"}. An object with other keys
     * ({"a":1}) is a mistake, refused as bindUid refuses it, not read as its values.
     */
    private static void requirePhpList(String field, JsonNode v) {
        Iterator<String> names = v.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!isListIndex(name)) {
                throw ApiException.invalid(field, "must be a string, a number or an array of them, got an object "
                        + "with the key \"" + abbreviate(name) + "\" (from PHP, send array_values($list))");
            }
        }
    }

    private static boolean isListIndex(String s) {
        int n = s.length();
        if (n == 0 || n > 10 || (n > 1 && s.charAt(0) == '0')) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** A required, well-formed client_id. */
    public String clientId(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.missing(field, "a 20-character hex client_id");
        }
        return clientIdValue(field, v);
    }

    private static String clientIdValue(String field, JsonNode v) {
        if (!v.isTextual()) {
            throw ApiException.invalid(field, "must be a 20-character hex client_id string, got " + kind(v));
        }
        String id = v.textValue();
        if (!ClientIds.isWellFormed(id)) {
            throw ApiException.invalid(field, "must be a 20-character hex client_id, got \"" + abbreviate(id) + "\"");
        }
        return id.toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * An optional list of client ids: null when absent, else the ids. Accepts an array, a single
     * id, or a PHP-style object such as {"id":"id"} (GatewayClient sends those).
     */
    public List<String> clientIdListOrNull(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isContainerNode()) {
            return List.of(clientIdValue(field, v));
        }
        List<String> out = new ArrayList<>(v.size());
        Iterator<JsonNode> it = v.elements();
        int i = 0;
        while (it.hasNext()) {
            out.add(clientIdValue(field + "[" + i++ + "]", it.next()));
        }
        return out;
    }

    public Set<String> clientIdSet(String field) {
        List<String> ids = clientIdListOrNull(field);
        return ids == null || ids.isEmpty() ? Set.of() : Set.copyOf(ids);
    }

    /** A required JSON object. */
    public ObjectNode object(String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.missing(field, "a JSON object");
        }
        if (!(v instanceof ObjectNode o)) {
            throw ApiException.invalid(field, "must be a JSON object, got " + kind(v));
        }
        return o;
    }

    /** The message to push: {@code message} (string as is, other JSON compact) or {@code message_base64} (binary). */
    public OutboundMessage message() {
        OutboundMessage m = messageOrNull();
        if (m == null) {
            throw ApiException.missing("message", "a string, any JSON value, or message_base64 for binary");
        }
        return m;
    }

    public OutboundMessage messageOrNull() {
        JsonNode text = node.get("message");
        JsonNode b64 = node.get("message_base64");
        boolean hasText = text != null && !text.isNull();
        boolean hasB64 = b64 != null && !b64.isNull();
        if (hasText && hasB64) {
            throw ApiException.invalid("message", "and \"message_base64\" are both set; send one of them");
        }
        if (hasB64) {
            if (!b64.isTextual()) {
                throw ApiException.invalid("message_base64", "must be a base64 string, got " + kind(b64));
            }
            try {
                return OutboundMessage.binary(Base64.getDecoder().decode(b64.textValue().trim()));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid("message_base64", "is not valid base64: " + e.getMessage());
            }
        }
        if (!hasText) {
            return null;
        }
        if (text.isTextual()) {
            String t = text.textValue();
            checkSurrogates("message", t);
            return OutboundMessage.text(t.getBytes(StandardCharsets.UTF_8));
        }
        return OutboundMessage.text(Json.compactBytes(text));
    }

    /** A lone surrogate would reach the client as '?' (UTF-8 has no encoding for it). */
    private static void checkSurrogates(String field, String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    throw loneSurrogate(field, c, i);
                }
            }
        }
    }

    static String kind(JsonNode v) {
        return switch (v.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT, POJO -> "an object";
            case BOOLEAN -> "a boolean";
            case NUMBER -> "a number";
            case STRING -> "a string";
            case NULL, MISSING -> "null";
            default -> v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
