package io.gatewayd.api;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Turns a request body or query string into a JSON tree. A body that starts with {, [ or ", or
 * has no '=' at all, is JSON whatever its Content-Type (curl -d labels JSON as a form); anything
 * else is read as application/x-www-form-urlencoded with PHP's bracket syntax (uids[]=1,
 * session[a][b]=2), which is what http_build_query() produces.
 */
final class RequestParams {
    private RequestParams() {
    }

    /** What a method's body should be, for the end of a bad_json message. */
    static final String OBJECT_HINT = "the body must be one JSON object, e.g. {\"uid\":\"42\",\"message\":\"hi\"}";
    /** What /api/batch's body should be. */
    static final String BATCH_HINT = "the body of /api/batch must be one JSON array, e.g. "
            + "[{\"method\":\"sendToUid\",\"params\":{\"uid\":\"42\",\"message\":\"hi\"}}]";

    /** Parses a method's body: JSON (object or array) or a form. Empty → empty object. */
    static JsonNode body(ByteBuf content) {
        return body(content, OBJECT_HINT);
    }

    /** Parses a body; {@code hint} (OBJECT_HINT or BATCH_HINT) ends the message of a bad_json error. */
    static JsonNode body(ByteBuf content, String hint) {
        int i = content.readerIndex();
        int end = content.writerIndex();
        while (i < end && Character.isWhitespace(content.getByte(i))) {
            i++;
        }
        if (i == end) {
            return Json.object();
        }
        byte first = content.getByte(i);
        // a form is key=value pairs; a body without '=' ("str", null, 42, garbage) is read as JSON so
        // that the answer says what it is rather than that "message" is missing
        if (first == '{' || first == '[' || first == '"' || content.indexOf(i, end, (byte) '=') < 0) {
            return json(content, hint);
        }
        return form(content.toString(StandardCharsets.UTF_8));
    }

    static JsonNode json(ByteBuf content, String hint) {
        try (var in = new ByteBufInputStream(content.duplicate());
             var parser = Json.MAPPER.getFactory().createParser((java.io.InputStream) in)) {
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(parser);
            } catch (StreamConstraintsException e) {
                throw badJson(parser.currentLocation(), JsonErrors.tooLarge(e.getOriginalMessage()), hint);
            } catch (JsonProcessingException e) {
                throw badJson(e.getLocation(), JsonErrors.describe(e), hint);
            }
            try {
                if (parser.nextToken() != null) {
                    throw badJson(parser.currentTokenLocation(), "more data after the JSON value", hint);
                }
            } catch (JsonProcessingException e) {
                throw badJson(e.getLocation(), "more data after the JSON value", hint);
            }
            return node == null ? NullNode.getInstance() : node;
        } catch (IOException e) {
            throw ApiException.badRequest("bad_json", "unreadable body (" + JsonErrors.clean(e.getMessage())
                    + "); " + hint + ", in UTF-8");
        }
    }

    private static ApiException badJson(JsonLocation loc, String what, String hint) {
        return ApiException.badRequest("bad_json", "malformed JSON" + (loc == null || loc.getLineNr() < 1 ? ""
                : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr()) + ": " + what + "; " + hint);
    }

    static ObjectNode form(String encoded) {
        return fromPairs(new QueryStringDecoder(encoded, StandardCharsets.UTF_8, false).parameters());
    }

    static ObjectNode query(String uri) {
        return fromPairs(new QueryStringDecoder(uri, StandardCharsets.UTF_8).parameters());
    }

    private static ObjectNode fromPairs(Map<String, List<String>> params) {
        ObjectNode root = Json.object();
        params.forEach((rawKey, values) -> {
            for (String v : values) {
                put(root, rawKey, v);
            }
        });
        return root;
    }

    /** PHP-style: a[]=1 appends, a[b]=1 nests, a=1&a=2 makes a list. */
    private static void put(ObjectNode root, String rawKey, String value) {
        int bracket = rawKey.indexOf('[');
        if (bracket <= 0 || !rawKey.endsWith("]")) {
            JsonNode existing = root.get(rawKey);
            if (existing == null) {
                root.put(rawKey, value);
            } else if (existing instanceof ArrayNode a) {
                a.add(value);
            } else {
                ArrayNode a = root.arrayNode();
                a.add(existing);
                a.add(value);
                root.set(rawKey, a);
            }
            return;
        }
        String name = rawKey.substring(0, bracket);
        List<String> path = new java.util.ArrayList<>();
        String rest = rawKey.substring(bracket);
        while (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0) {
                break;
            }
            path.add(rest.substring(1, close));
            rest = rest.substring(close + 1);
        }
        JsonNode container = root;
        String key = name;
        for (String segment : path) {
            boolean append = segment.isEmpty();
            JsonNode next = child(container, key, append);
            container = next;
            key = segment;
        }
        if (container instanceof ArrayNode a) {
            a.add(value);
        } else {
            ((ObjectNode) container).put(key, value);
        }
    }

    /** The container at {@code key}, created as a list (for key[]) or an object. */
    private static JsonNode child(JsonNode container, String key, boolean wantList) {
        if (container instanceof ArrayNode a) {
            JsonNode n = wantList ? a.addArray() : a.addObject();
            return n;
        }
        ObjectNode o = (ObjectNode) container;
        JsonNode existing = o.get(key);
        if (existing != null && existing.isContainerNode()) {
            return existing;
        }
        return wantList ? o.putArray(key) : o.putObject(key);
    }
}
