package io.gatewayd.api;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The parameters a method takes, read from its description in /api/methods so the two cannot
 * drift. A parameter it does not take is refused: ignored, a misspelt or GatewayWorker-named
 * restriction ({@code client_id_array}, {@code exclude_client_id}) would turn a message meant for
 * a few clients into a broadcast to everyone.
 */
final class ParamNames {
    /** GatewayWorker's names, by what a PHP user writes from its method signatures. */
    private static final Map<String, String> GATEWAYWORKER = Map.of(
            "client_id_array", "GatewayWorker's $client_id_array is \"client_ids\" here",
            "exclude_client_id", "GatewayWorker's $exclude_client_id is \"exclude_client_ids\" here",
            "raw", "there are no raw sends: the gateway frames every message for the client's protocol; send"
                    + " bytes as message_base64");

    private final String method;
    private final String description;
    private final Set<String> names;

    private ParamNames(String method, String description, Set<String> names) {
        this.method = method;
        this.description = description;
        this.names = names;
    }

    /** From a description such as {@code "uid | uids, message | message_base64, exclude_client_ids? (...)"}. */
    static ParamNames of(String method, String description) {
        Set<String> names = new LinkedHashSet<>();
        for (String part : description.replaceAll("\\([^)]*\\)", "").split("[,|]")) {
            String name = part.trim().replace("?", "");
            if (!name.isEmpty()) {
                if (!name.matches("[a-z_0-9]+")) {
                    throw new IllegalArgumentException("parameters of " + method + " are not a list of names: "
                            + description);
                }
                names.add(name);
            }
        }
        return new ParamNames(method, description, Set.copyOf(names));
    }

    void requireKnown(ObjectNode params) {
        for (Iterator<String> it = params.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!names.contains(field)) {
                throw ApiException.invalid(field, "is not a parameter of " + method + hint(field));
            }
        }
    }

    private String hint(String field) {
        String takes = names.isEmpty() ? ", which takes none" : " (it takes " + description + ")";
        String known = GATEWAYWORKER.get(field);
        if (known != null) {
            return takes + "; " + known;
        }
        String hint = io.gatewayd.config.ConfigLoader.closest(field.toLowerCase(java.util.Locale.ROOT), names);
        return hint == null ? takes : takes + "; did you mean \"" + hint + "\"?";
    }
}
