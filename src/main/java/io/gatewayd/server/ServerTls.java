package io.gatewayd.server;

import io.gatewayd.config.ConfigException;
import io.gatewayd.config.TlsConfig;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.buffer.ByteBufAllocator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The server certificate of wss:// listeners and an https:// control port, read from PEM files.
 * {@link #reload} reads the files again and swaps the context: new connections get the new
 * certificate, open ones keep their session. Thread-safe.
 */
public final class ServerTls {
    /** Handshakes that take longer are cut (the TLS part of slowloris protection). */
    private static final long TLS_HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    /**
     * Mozilla's "intermediate" suites: TLS 1.3's, and for TLS 1.2 only ECDHE with AEAD ciphers
     * (forward secrecy; no CBC, no static RSA). Suites a provider lacks are left out.
     */
    static final java.util.List<String> CIPHERS = java.util.List.of(
            "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ServerTls.class);

    private final AtomicReference<Loaded> current = new AtomicReference<>();

    private record Loaded(TlsConfig config, SslContext context, String provider, X509Certificate leaf,
                          Instant loadedAt) {
    }

    /** Reads the certificate and key; throws {@link ConfigException} naming the key and the fix. */
    public static ServerTls load(TlsConfig config) {
        ServerTls t = new ServerTls();
        t.current.set(logged(build(config)));
        return t;
    }

    /**
     * Reads and checks the files as {@link #load} does but logs nothing: `gatewayctl config check`
     * reports on the terminal, where log lines are noise (and would leak into its YAML on stdout).
     *
     * @return the expiry warning start would log, if any
     */
    public static java.util.Optional<String> check(TlsConfig config) {
        Loaded l = build(config);
        return CertificateExpiry.warning(l.leaf(), Path.of(config.certFile()), Instant.now());
    }

    /** Builds from the files again (whether or not they changed) and swaps; on error nothing changes. */
    public void reload(TlsConfig config) {
        current.set(logged(build(config)));
    }

    /** Prepares a reload: reads and checks everything, swapping in only when {@code commit} runs. */
    public Runnable prepare(TlsConfig config) {
        Loaded next = logged(build(config));
        return () -> current.set(next);
    }

    public SslHandler newHandler(ByteBufAllocator alloc) {
        SslHandler h = current.get().context().newHandler(alloc);
        h.setHandshakeTimeoutMillis(TLS_HANDSHAKE_TIMEOUT_MILLIS);
        return h;
    }

    public String provider() {
        return current.get().provider();
    }

    public X509Certificate certificate() {
        return current.get().leaf();
    }

    /** SHA-256 (hex) of the certificate served to new connections: what gatewayctl pins. */
    public String certificateSha256() {
        return sha256(certificate());
    }

    public static String sha256(X509Certificate cert) {
        try {
            return java.util.HexFormat.of().formatHex(
                    java.security.MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("no SHA-256 in this Java", e);
        }
    }

    /**
     * Warns again if the served certificate is close to its end: a gateway that runs for weeks
     * without a reload would otherwise have warned only at its start.
     */
    public void warnIfExpiringSoon() {
        Loaded l = current.get();
        CertificateExpiry.warning(l.leaf(), Path.of(l.config().certFile()), Instant.now()).ifPresent(LOG::warn);
    }

    /** The "tls" section of /api/status. */
    public Map<String, Object> status() {
        Loaded l = current.get();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("provider", l.provider());
        o.put("protocols", l.config().protocols());
        o.put("cert_file", l.config().certFile());
        o.put("subject", l.leaf().getSubjectX500Principal().getName());
        o.put("not_after", l.leaf().getNotAfter().toInstant().toString());
        o.put("expires_in_days", CertificateExpiry.daysLeft(l.leaf(), Instant.now()));
        o.put("loaded_at", l.loadedAt().toString());
        return o;
    }

    private static Loaded build(TlsConfig config) {
        Path cert = Path.of(config.certFile());
        Path key = Path.of(config.keyFile());
        byte[] certBytes = read(cert, "tls.cert-file");
        byte[] keyBytes = read(key, "tls.key-file");
        TlsKeyMaterial material = TlsKeyMaterial.read(cert, certBytes, key, keyBytes, config.keyPassword(),
                Instant.now());
        X509Certificate leaf = material.chain()[0];
        SslProvider provider = switch (config.provider()) {
            case "openssl" -> {
                if (!OpenSsl.isAvailable()) {
                    throw new ConfigException("tls.provider", "tls.provider: openssl is not available here ("
                            + OpenSsl.unavailabilityCause() + "); use auto or jdk");
                }
                yield SslProvider.OPENSSL;
            }
            case "jdk" -> SslProvider.JDK;
            default -> OpenSsl.isAvailable()
                    ? SslProvider.OPENSSL : SslProvider.JDK;
        };
        try {
            SslContext ctx = SslContextBuilder.forServer(material.key(), material.chain())
                    .sslProvider(provider)
                    .protocols(config.protocols())
                    .ciphers(CIPHERS, io.netty.handler.ssl.SupportedCipherSuiteFilter.INSTANCE)
                    .clientAuth(ClientAuth.NONE)
                    .build();
            String name = provider == SslProvider.OPENSSL ? "openssl" : "jdk";
            return new Loaded(config, ctx, name, leaf, Instant.now());
        } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
            // the files passed TlsKeyMaterial's checks: what is left is the provider refusing them
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().replaceAll("[.\\s]+$", "");
            throw new ConfigException("tls.provider", "tls: the " + provider.name().toLowerCase(java.util.Locale.ROOT)
                    + " provider cannot use " + cert + " with " + key + ": " + why
                    + "; try tls.provider: jdk (or openssl), or an RSA or P-256 key");
        }
    }

    /** What a gateway logs about the certificate it is about to serve. */
    private static Loaded logged(Loaded l) {
        Path cert = Path.of(l.config().certFile());
        LOG.info("TLS certificate {} (expires {}) from {}, provider {}", l.leaf().getSubjectX500Principal().getName(),
                l.leaf().getNotAfter().toInstant(), cert, l.provider());
        CertificateExpiry.warning(l.leaf(), cert, Instant.now()).ifPresent(LOG::warn);
        return l;
    }

    private static byte[] read(Path p, String key) {
        try {
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new ConfigException(key, key + ": " + p.toAbsolutePath() + " does not exist");
        } catch (IOException e) {
            throw new ConfigException(key, key + ": cannot read " + p.toAbsolutePath() + ": " + e.getMessage());
        }
    }
}
