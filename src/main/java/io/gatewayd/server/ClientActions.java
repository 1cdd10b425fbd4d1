package io.gatewayd.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * What a backend (connect token claims, or a webhook's answer) asks the gateway to do with a
 * connection: {@code {"bind_uid": "...", "join_groups": [...], "session": {...}, "reply": <message>,
 * "close": true}}. Every part is optional.
 *
 * @param bindUid    uid to bind, or null
 * @param joinGroups groups to join (never null)
 * @param session    merged into the session (as updateSession does), or null
 * @param reply      sent to the client: a string as is, any other JSON as compact JSON text; or null
 * @param close      close the connection (after the reply)
 */
public record ClientActions(String bindUid, List<String> joinGroups, ObjectNode session, JsonNode reply,
                            boolean close) {
    public static final ClientActions NONE = new ClientActions(null, List.of(), null, null, false);

    public ClientActions {
        joinGroups = joinGroups == null ? List.of() : List.copyOf(joinGroups);
    }

    public boolean isEmpty() {
        return bindUid == null && joinGroups.isEmpty() && session == null && reply == null && !close;
    }

    /** The reply as the text the client gets. */
    public String replyText() {
        if (reply == null || reply.isNull()) {
            return null;
        }
        return reply.isTextual() ? reply.textValue() : reply.toString();
    }
}
