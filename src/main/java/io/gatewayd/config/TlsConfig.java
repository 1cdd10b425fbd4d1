package io.gatewayd.config;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The certificate for wss:// listeners (and any listener with tls: true) and an https:// control
 * port. Files are PEM and are read again on every reload, so a renewed certificate (ACME) takes
 * effect for new connections without dropping existing ones.
 *
 * @param certFile    certificate chain, leaf first (e.g. Let's Encrypt's fullchain.pem)
 * @param keyFile     private key in PKCS#8 PEM ("BEGIN PRIVATE KEY"), e.g. privkey.pem
 * @param keyPassword password of an encrypted key file, if it is encrypted
 * @param provider    auto (BoringSSL when available, else the JDK), openssl or jdk
 * @param protocols   TLS versions offered; TLSv1.2 and TLSv1.3 only
 */
public record TlsConfig(String certFile, String keyFile, String keyPassword, String provider,
                        List<String> protocols) {
    private static final Set<String> PROTOCOLS = Set.of("TLSv1.2", "TLSv1.3");
    private static final Set<String> PROVIDERS = Set.of("auto", "openssl", "jdk");

    public TlsConfig {
        if (certFile != null && certFile.isBlank()) {
            certFile = null;
        }
        if (keyFile != null && keyFile.isBlank()) {
            keyFile = null;
        }
        ConfigProblem.require((certFile == null) == (keyFile == null), certFile == null ? "cert-file" : "key-file",
                "is missing; TLS needs both cert-file (the PEM certificate chain) and key-file (the PEM private key)");
        if (keyPassword != null && keyPassword.isEmpty()) {
            keyPassword = null;
        }
        provider = provider == null ? "auto" : provider.trim().toLowerCase(Locale.ROOT);
        ConfigProblem.require(PROVIDERS.contains(provider), "provider",
                "\"" + provider + "\" is not one of auto, openssl, jdk");
        protocols = protocols == null ? List.of("TLSv1.3", "TLSv1.2") : List.copyOf(protocols);
        ConfigProblem.require(!protocols.isEmpty(), "protocols", "is empty; use [TLSv1.3, TLSv1.2]");
        for (int i = 0; i < protocols.size(); i++) {
            ConfigProblem.require(PROTOCOLS.contains(protocols.get(i)), "protocols[" + i + "]",
                    "\"" + protocols.get(i) + "\" is not allowed; only TLSv1.2 and TLSv1.3 are (older versions are broken)");
        }
    }

    public static TlsConfig defaults() {
        return new TlsConfig(null, null, null, null, null);
    }

    public boolean configured() {
        return certFile != null;
    }

    @Override
    public String toString() {
        return "TlsConfig[certFile=" + certFile + ", keyFile=" + keyFile + ", provider=" + provider
                + ", protocols=" + protocols + "]";
    }
}
