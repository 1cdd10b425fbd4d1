package io.gatewayd.config;

import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} and {@code ${NAME:-default}} in config values with environment
 * variables. Only upper-case names are variables: lower-case placeholders such as
 * {@code ${client_id}} belong to message templates and are left alone. {@code $${} writes a
 * literal {@code ${}.
 */
final class EnvSubstitution {
    private static final Pattern VAR = Pattern.compile("\\$\\$\\{|\\$\\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?}");

    private final Function<String, String> env;

    EnvSubstitution(Map<String, String> env) {
        this.env = env::get;
    }

    /** @throws IllegalArgumentException naming the variable when it is unset and has no default */
    String apply(String value) {
        if (value.indexOf('$') < 0) {
            return value;
        }
        Matcher m = VAR.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String replacement;
            if (m.group().equals("$${")) {
                replacement = "${";
            } else {
                String v = env.apply(m.group(1));
                if (v == null) {
                    if (m.group(2) == null) {
                        throw new IllegalArgumentException("environment variable " + m.group(1)
                                + " is not set; set it or give a default with ${" + m.group(1) + ":-value}");
                    }
                    v = m.group(2);
                }
                replacement = v;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(out);
        return out.toString();
    }
}
