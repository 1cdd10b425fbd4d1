package io.gatewayd.testing;

import java.nio.file.Path;

/**
 * The config lines that have a gateway serve a certificate, as the TLS tests start it: ports are
 * ephemeral, and the tls section comes last so that a test can append a key of its own to it
 * ({@code + "  provider: jdk\n"}).
 */
public final class TlsYaml {
    private TlsYaml() {
    }

    /** The tls section naming {@code cert} (the chain, leaf first) and {@code key}. */
    public static String section(Path cert, Path key) {
        return "tls:\n  cert-file: " + cert + "\n  key-file: " + key + "\n";
    }

    /** An https:// control port, and no listener of its own. */
    public static String httpsControl(Path cert, Path key) {
        return httpsControlAt(0, cert, key);
    }

    /** The same at a given port: the config gatewayctl reads to reach a running gateway. */
    public static String httpsControlAt(int port, Path cert, Path key) {
        return "control:\n  listen: https://127.0.0.1:" + port + "\n" + section(cert, key);
    }

    /** A wss:// listener and an https:// control port. */
    public static String wssAndHttpsControl(Path cert, Path key) {
        return "listeners:\n  - url: wss://127.0.0.1:0\n" + httpsControl(cert, key);
    }
}
