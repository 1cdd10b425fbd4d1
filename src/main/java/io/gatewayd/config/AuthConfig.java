package io.gatewayd.config;

import java.util.List;
import java.util.Locale;

/**
 * Who may connect.
 *
 * @param connect        none (default), token or webhook
 * @param token          how tokens are verified (mode token)
 * @param allowedOrigins browser origins allowed to open WebSockets, e.g. https://app.example.com or
 *                       https://*.example.com; empty = any. Requests without an Origin header
 *                       (non-browser clients) are allowed.
 */
public record AuthConfig(ConnectAuthMode connect, TokenConfig token, List<String> allowedOrigins) {
    public AuthConfig {
        if (connect == null) {
            connect = ConnectAuthMode.NONE;
        }
        if (token == null) {
            token = TokenConfig.defaults();
        }
        ConfigProblem.require(connect != ConnectAuthMode.TOKEN || token.configured(), "connect",
                "is token, but auth.token has neither secret nor public-key-file; set one of them");
        allowedOrigins = allowedOrigins == null ? List.of()
                : allowedOrigins.stream().map(o -> o == null ? "" : o.trim().toLowerCase(Locale.ROOT)).toList();
        for (int i = 0; i < allowedOrigins.size(); i++) {
            String o = allowedOrigins.get(i);
            ConfigProblem.require(o.matches("https?://(\\*\\.)?[a-z0-9.\\-\\[\\]:]+(:\\d+)?") || o.equals("null"),
                    "allowed-origins[" + i + "]", "\"" + o + "\" is not an origin; expected scheme://host[:port] "
                            + "such as https://app.example.com or https://*.example.com, without a path");
        }
    }

    public static AuthConfig defaults() {
        return new AuthConfig(null, null, null);
    }
}
