package io.gatewayd.cli;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * Which certificates gatewayctl accepts from an https:// control port. A gateway's own
 * certificate is usually self-signed, from a private CA, or names the public host name rather
 * than 127.0.0.1, so the JDK's default trust alone would refuse it. Accepted are:
 *
 * <ul>
 * <li>exactly the certificate the gateway serves, as the config's tls.cert-file holds it (its
 *     leaf), as the runtime file next to the pid file names it (after a renewal on disk the
 *     gateway serves the old certificate until reloaded, and the reload must get through), and
 *     any certificate in --cacert: a pin, so the host name does not matter;</li>
 * <li>a chain the JDK's default CAs vouch for, with the usual host name check;</li>
 * <li>a chain the certificates in --cacert vouch for as CAs, with the usual host name check.</li>
 * </ul>
 *
 * Nothing else: there is deliberately no way to trust any certificate. A refusal is an
 * {@link UntrustedCertificateException} that says whose certificate it was and why, so that
 * the CLI can report it instead of "does not answer".
 */
final class ControlTrust {
    /** The environment variable --cacert defaults to. */
    static final String CACERT_ENV = "GATEWAYD_CONTROL_CACERT";

    /** --cacert if given, else $GATEWAYD_CONTROL_CACERT if set, with where it came from; or null. */
    static ControlTrust of(Installation inst, Path configCert, Path caCertOption) {
        return of(inst, configCert, caCertOption, null);
    }

    /** @param servedSha256 the running gateway's certificate as its runtime file names it, or null */
    static ControlTrust of(Installation inst, Path configCert, Path caCertOption, String servedSha256) {
        if (caCertOption != null) {
            return of(configCert, caCertOption, "--cacert").serving(servedSha256);
        }
        String fromEnv = inst.env().get(CACERT_ENV);
        return (fromEnv == null || fromEnv.isBlank() ? of(configCert, null)
                : of(configCert, Path.of(fromEnv.trim()), "$" + CACERT_ENV)).serving(servedSha256);
    }

    private final List<X509Certificate> pinned;
    private final String servedSha256;
    private final X509ExtendedTrustManager defaults;
    private final X509ExtendedTrustManager extra;
    private final Path configCert;
    private final String configCertProblem;
    private final Path caCert;
    private final String caCertSource;
    private final SSLContext context;

    private ControlTrust(List<X509Certificate> pinned, String servedSha256, X509ExtendedTrustManager defaults,
                         X509ExtendedTrustManager extra, Path configCert, String configCertProblem, Path caCert,
                         String caCertSource) {
        this.pinned = List.copyOf(pinned);
        this.servedSha256 = servedSha256;
        this.defaults = defaults;
        this.extra = extra;
        this.configCert = configCert;
        this.configCertProblem = configCertProblem;
        this.caCert = caCert;
        this.caCertSource = caCertSource;
        try {
            this.context = SSLContext.getInstance("TLS");
            this.context.init(null, new TrustManager[] {new PinningTrustManager()}, null);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
        }
    }

    /**
     * @param configCert the config's tls.cert-file (resolved), or null; a file that cannot be
     *                   read is remembered for the error message, not an error by itself
     * @param caCert     --cacert, or null; must hold PEM certificates
     */
    static ControlTrust of(Path configCert, Path caCert) {
        return of(configCert, caCert, "--cacert");
    }

    /** @param caCertSource where caCert came from, for messages: --cacert or $GATEWAYD_CONTROL_CACERT */
    static ControlTrust of(Path configCert, Path caCert, String caCertSource) {
        List<X509Certificate> pinned = new ArrayList<>();
        String configProblem = null;
        if (configCert != null) {
            try {
                pinned.add(read(configCert).get(0)); // the leaf: the chain is leaf first
            } catch (IOException | CertificateException e) {
                configProblem = e.getMessage();
            }
        }
        X509ExtendedTrustManager extra = null;
        if (caCert != null) {
            List<X509Certificate> cas;
            try {
                cas = read(caCert);
            } catch (IOException | CertificateException e) {
                throw new CliException(GatewayCtl.EXIT_USAGE, caCertSource + ": " + e.getMessage()
                        + "; pass a PEM file with the gateway's certificate or the CA that signed it");
            }
            pinned.addAll(cas);
            extra = trustManager(cas);
        }
        return new ControlTrust(pinned, null, trustManager(null), extra, configCert, configProblem, caCert,
                caCertSource);
    }

    /** This trust, also pinning the certificate with this SHA-256 (hex); null adds nothing. */
    private ControlTrust serving(String sha256) {
        return sha256 == null || sha256.isBlank() ? this : new ControlTrust(pinned, sha256.trim().toLowerCase(
                java.util.Locale.ROOT), defaults, extra, configCert, configCertProblem, caCert, caCertSource);
    }

    /** The config's tls.cert-file as the gateway reads it (see {@link io.gatewayd.config.InstallationPaths}). */
    static Path configCert(Installation inst, String certFile) {
        return certFile == null || certFile.isBlank() ? null
                : Path.of(io.gatewayd.config.InstallationPaths.resolve(inst.home(), certFile));
    }

    SSLContext sslContext() {
        return context;
    }

    /** The PEM certificates in {@code file}, at least one. */
    static List<X509Certificate> read(Path file) throws IOException, CertificateException {
        byte[] pem;
        try {
            pem = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IOException("cannot read " + file + " (" + e + ")", e);
        }
        List<X509Certificate> certs = new ArrayList<>();
        try {
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
                certs.add((X509Certificate) c);
            }
        } catch (CertificateException e) {
            throw new CertificateException(file + " holds no readable PEM certificate (" + e.getMessage() + ")", e);
        }
        if (certs.isEmpty()) {
            throw new CertificateException(file + " holds no PEM certificate (\"-----BEGIN CERTIFICATE-----\")");
        }
        return certs;
    }

    /** The JDK's trust manager over the default CAs (null) or over {@code cas}. */
    private static X509ExtendedTrustManager trustManager(List<X509Certificate> cas) {
        try {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            if (cas == null) {
                tmf.init((KeyStore) null);
            } else {
                KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
                ks.load(null, null);
                for (int i = 0; i < cas.size(); i++) {
                    ks.setCertificateEntry("cacert-" + i, cas.get(i));
                }
                tmf.init(ks);
            }
            for (TrustManager tm : tmf.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("the JDK offers no X509ExtendedTrustManager");
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot set up TLS trust: " + e.getMessage(), e);
        }
    }

    /**
     * What to tell the user when {@code e} refused the gateway at {@code url}: whose certificate,
     * why, and what to do about it.
     */
    String refusal(java.net.URI url, UntrustedCertificateException e) {
        StringBuilder sb = new StringBuilder("the control port at ").append(url)
                .append(" answered with a certificate gatewayctl does not trust (")
                .append(e.leaf().getSubjectX500Principal().getName()).append(", ").append(e.reason()).append(')');
        if (configCert != null) {
            sb.append("; it is not the config's tls.cert-file ").append(configCert);
            if (configCertProblem != null) {
                sb.append(" (").append(configCertProblem).append(')');
            }
        }
        if (caCert != null) {
            sb.append(configCert != null ? " and" : ";").append(' ').append(caCertSource).append(' ').append(caCert)
                    .append(" does not vouch for it");
        }
        sb.append("; run gatewayctl with the config whose tls.cert-file the gateway serves, or pass --cacert FILE "
                + "(the gateway's certificate or its CA)");
        return sb.toString();
    }

    /** Accepts a pinned leaf, else asks the JDK's trust managers (which check the host name). */
    private final class PinningTrustManager extends X509ExtendedTrustManager {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            check(chain, authType, engine == null ? null : engine.getPeerHost(),
                    tm -> tm.checkServerTrusted(chain, authType, engine));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            String host = socket == null || socket.getInetAddress() == null ? null
                    : socket.getInetAddress().getHostAddress();
            check(chain, authType, host, tm -> tm.checkServerTrusted(chain, authType, socket));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, authType, null, tm -> tm.checkServerTrusted(chain, authType));
        }

        private void check(X509Certificate[] chain, String authType, String host, Check withHostName)
                throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the server sent no certificate");
            }
            if (pinned.contains(chain[0])
                    || servedSha256 != null && servedSha256.equals(io.gatewayd.server.ServerTls.sha256(chain[0]))) {
                return; // exactly the gateway's certificate: no CA or host name needed
            }
            CertificateException refused;
            try {
                withHostName.check(defaults);
                return;
            } catch (CertificateException e) {
                refused = e;
            }
            if (extra != null) {
                try {
                    withHostName.check(extra);
                    return;
                } catch (CertificateException e) {
                    // refused by both: report below
                }
            }
            throw new UntrustedCertificateException(chain[0], reason(chain, authType, host), refused);
        }

        /** Why neither trusted it: the host name, or no trusted CA. */
        private String reason(X509Certificate[] chain, String authType, String host) {
            for (X509TrustManager tm : extra == null ? List.of(defaults) : List.of(defaults, extra)) {
                try {
                    tm.checkServerTrusted(chain, authType); // the chain alone, without the host name
                    return "it does not name " + (host == null ? "the host" : host);
                } catch (CertificateException e) {
                    // not this one
                }
            }
            X509Certificate leaf = chain[0];
            return leaf.getSubjectX500Principal().equals(leaf.getIssuerX500Principal()) ? "self-signed"
                    : "issued by " + leaf.getIssuerX500Principal().getName() + ", not a trusted CA";
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            throw new CertificateException("gatewayctl is a client");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            throw new CertificateException("gatewayctl is a client");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("gatewayctl is a client");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return defaults.getAcceptedIssuers();
        }
    }

    @FunctionalInterface
    private interface Check {
        void check(X509ExtendedTrustManager tm) throws CertificateException;
    }

    /** The control port's certificate was refused; travels as the cause of the handshake failure. */
    static final class UntrustedCertificateException extends CertificateException {
        private final transient X509Certificate leaf;
        private final String reason;

        UntrustedCertificateException(X509Certificate leaf, String reason, CertificateException cause) {
            super("untrusted certificate " + leaf.getSubjectX500Principal().getName() + ": " + reason, cause);
            this.leaf = leaf;
            this.reason = reason;
        }

        X509Certificate leaf() {
            return leaf;
        }

        String reason() {
            return reason;
        }
    }
}
