package io.gatewayd.cli;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;

/**
 * Tells which protocol a control port speaks when the exchange in the URL's scheme failed,
 * so that an http:// URL pointed at an https:// port (or the reverse) is reported as such
 * rather than as a gateway that does not answer. Only asked after a failure: it costs a
 * connection.
 */
final class SchemeProbe {
    private static final int TIMEOUT_MS = 2000;

    private SchemeProbe() {
    }

    /**
     * True if a TLS server answers on the URL's host and port. The handshake is taken only as far
     * as the server's certificate, which is then refused: nothing is trusted and nothing is sent.
     */
    static boolean speaksTls(URI url) {
        CertificateSeen seen = new CertificateSeen();
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress(url.getHost(), port(url)), TIMEOUT_MS);
            raw.setSoTimeout(TIMEOUT_MS);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {seen}, null);
            try (SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(raw, url.getHost(), port(url), false)) {
                tls.startHandshake();
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            // the refusal of the certificate lands here too; what counts is whether one came
        }
        return seen.seen;
    }

    /** True if plain HTTP gets an answer (any status) on the URL's host and port. */
    static boolean speaksPlainHttp(URI url) {
        URI plain = URI.create("http://" + url.getRawAuthority() + "/health");
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(TIMEOUT_MS)).build();
            http.send(HttpRequest.newBuilder(plain).timeout(Duration.ofMillis(TIMEOUT_MS)).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** {@code url} with the other scheme, as the user should write it. */
    static URI withScheme(URI url, String scheme) {
        return URI.create(scheme + "://" + url.getRawAuthority() + (url.getRawPath() == null ? "" : url.getRawPath()));
    }

    private static int port(URI url) {
        if (url.getPort() > 0) {
            return url.getPort();
        }
        return "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
    }

    /** Records that the server presented a certificate, and refuses it. */
    private static final class CertificateSeen implements X509TrustManager {
        volatile boolean seen;

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            seen = true;
            throw new CertificateException("only probing whether the port speaks TLS");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("not a server");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
