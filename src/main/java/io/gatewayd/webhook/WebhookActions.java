package io.gatewayd.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.registry.Keys;
import io.gatewayd.server.ClientActions;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the actions a backend puts in a webhook answer:
 * {@code {"bind_uid": "42", "join_groups": ["a"], "session": {...}, "reply": ..., "close": true}}.
 * An empty body, or one that is not a JSON object, carries no actions. A malformed part is
 * reported and skipped; the rest still applies.
 */
final class WebhookActions {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_GROUPS = 1000;

    private WebhookActions() {
    }

    /** @param problems receives one line per part that was skipped */
    static ClientActions parse(byte[] body, List<String> problems) {
        int i = 0;
        while (i < body.length && Character.isWhitespace(body[i])) {
            i++;
        }
        if (i == body.length || body[i] != '{') {
            return ClientActions.NONE;
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            problems.add("answer is not valid JSON");
            return ClientActions.NONE;
        }
        if (!(root instanceof ObjectNode o)) {
            return ClientActions.NONE;
        }
        String uid = null;
        JsonNode b = o.get("bind_uid");
        if (b != null && !b.isNull()) {
            try {
                uid = key(b);
            } catch (Keys.InvalidKeyException e) {
                problems.add("bind_uid " + e.getMessage());
            }
        }
        List<String> groups = new ArrayList<>();
        JsonNode g = o.get("join_groups");
        if (g != null && (g.isTextual() || g.isNumber())) {
            // one group as a plain value, as the control API takes a key list
            try {
                groups.add(key(g));
            } catch (Keys.InvalidKeyException e) {
                problems.add("join_groups " + e.getMessage());
            }
        } else if (g != null && !g.isNull()) {
            if (!g.isArray() || g.size() > MAX_GROUPS) {
                problems.add("join_groups must be a list of at most " + MAX_GROUPS + " group names");
            } else {
                try {
                    for (JsonNode item : g) {
                        groups.add(key(item));
                    }
                } catch (Keys.InvalidKeyException e) {
                    problems.add("join_groups entries " + e.getMessage());
                    groups.clear();
                }
            }
        }
        ObjectNode session = null;
        JsonNode s = o.get("session");
        if (s != null && !s.isNull()) {
            if (s instanceof ObjectNode so) {
                session = so;
            } else {
                problems.add("session must be an object");
            }
        }
        JsonNode reply = o.get("reply");
        if (reply != null && reply.isNull()) {
            reply = null;
        }
        boolean close = false;
        JsonNode c = o.get("close");
        if (c != null && !c.isNull()) {
            if (c.isBoolean()) {
                close = c.booleanValue();
            } else {
                problems.add("close must be true or false");
            }
        }
        return new ClientActions(uid, groups, session, reply, close);
    }

    /** A uid or group from the answer: the control API's rule ({@link Keys}), at most 256 characters. */
    private static String key(JsonNode n) {
        if (!Keys.isKeyType(n)) {
            throw new Keys.InvalidKeyException("must be strings or numbers");
        }
        String s = Keys.of(n);
        if (s.length() > 256) {
            throw new Keys.InvalidKeyException("must be at most 256 characters");
        }
        return s;
    }
}
