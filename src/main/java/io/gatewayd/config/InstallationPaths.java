package io.gatewayd.config;

import java.nio.file.Path;

/**
 * The one rule for relative file paths in the config (tls.cert-file, tls.key-file,
 * auth.token.public-key-file, like paths.*): they are relative to the installation directory
 * (GATEWAYD_HOME). The gateway and gatewayctl both resolve through here, so that a gateway
 * started in one directory and a gatewayctl run in another read the same files; resolving
 * against the working directory made the certificate gatewayctl pins depend on where each
 * was started.
 */
public final class InstallationPaths {
    private InstallationPaths() {
    }

    /** {@code file} against {@code home} unless absolute; null and blank stay as they are. */
    public static String resolve(Path home, String file) {
        if (file == null || file.isBlank()) {
            return file;
        }
        Path p = Path.of(file.trim());
        return p.isAbsolute() ? file : home.toAbsolutePath().resolve(p).normalize().toString();
    }

    /** The config with its relative file paths resolved against {@code home}. */
    public static GatewayConfig resolve(Path home, GatewayConfig c) {
        TlsConfig t = c.tls();
        TokenConfig k = c.auth().token();
        AuthConfig a = c.auth();
        return c.withTls(new TlsConfig(resolve(home, t.certFile()), resolve(home, t.keyFile()), t.keyPassword(),
                        t.provider(), t.protocols()))
                .withAuth(new AuthConfig(a.connect(), new TokenConfig(k.secret(), resolve(home, k.publicKeyFile()),
                        k.issuer(), k.audience(), k.clockSkew(), k.requireExpiry()), a.allowedOrigins()));
    }
}
