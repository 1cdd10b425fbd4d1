package io.gatewayd.lifecycle;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.List;

/**
 * What a running gateway tells the CLI about itself through {@code <pid-file>.json}, written
 * next to the pid file once everything is bound: the real ports (a config may ask for port 0,
 * or the command line may have overridden them), the mode and where its logs go. Never holds a
 * token.
 *
 * @param pid        the gateway's process id
 * @param mode       "debug", "daemon" or "jsvc"
 * @param version    gatewayd version
 * @param startedAt  ISO-8601 instant
 * @param controlUrl the control URL with the bound port
 * @param listeners  client listener URLs with their bound ports
 * @param configFile the config file it reads on reload
 * @param logFile    the application log, or null when it logs to the console
 * @param controlCertSha256 SHA-256 (hex) of the certificate an https:// control port serves now,
 *                   or null: gatewayctl trusts it, because after a renewal the config's
 *                   tls.cert-file holds the new certificate while the gateway serves the old one
 *                   until the reload that gatewayctl must be able to send
 */
public record RuntimeInfo(long pid, String mode, String version, String startedAt, String controlUrl,
                          List<String> listeners, String configFile, String logFile, String controlCertSha256) {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    public RuntimeInfo {
        listeners = listeners == null ? List.of() : List.copyOf(listeners);
    }

    byte[] toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses the file's bytes; null if they are not a runtime file (e.g. half-written by hand). */
    public static RuntimeInfo parse(byte[] json) {
        try {
            RuntimeInfo info = JSON.readValue(json, RuntimeInfo.class);
            return info == null || info.pid() <= 0 ? null : info;
        } catch (IOException e) {
            return null;
        }
    }
}
