package io.gatewayd.security;

import io.gatewayd.config.GatewayConfig;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.TlsYaml;
import io.gatewayd.testing.WsClient;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class TlsTest {

    /** A client that trusts any certificate and remembers the one the server presented. */
    static final class Recording {
        final AtomicReference<X509Certificate> seen = new AtomicReference<>();
        final HttpClient http;

        Recording() throws Exception {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new X509ExtendedTrustManager() {
                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
                    seen.set(chain[0]);
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
                    seen.set(chain[0]);
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                    seen.set(chain[0]);
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            http = HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(10)).build();
        }

        /** A sendToClient call to the https:// control port at {@code port}. */
        HttpResponse<String> sendToClient(int port, String clientId, String message) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + port + "/api/sendToClient"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"client_id\":\"" + clientId
                            + "\",\"message\":\"" + message + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"auto", "jdk"})
    void wssAndHttpsServeTheCertificateAndAReloadSwapsItWithoutDroppingClients(String provider, @TempDir Path dir)
            throws Exception {
        SelfSignedCertificate first = new SelfSignedCertificate("first.test");
        SelfSignedCertificate second = new SelfSignedCertificate("second.test");
        Path cert = dir.resolve("fullchain.pem");
        Path key = dir.resolve("privkey.pem");
        Files.copy(first.certificate().toPath(), cert);
        Files.copy(first.privateKey().toPath(), key);
        String yaml = TlsYaml.wssAndHttpsControl(cert, key) + "  provider: " + provider + "\n";
        try (TestGateway gw = TestGateway.start(yaml)) {
            int wss = gw.gateway().port("websocket");
            URI uri = URI.create("wss://127.0.0.1:" + wss + "/");
            assertThat(gw.gateway().listenerUrls().get(0)).startsWith("wss://");
            Recording before = new Recording();
            try (WsClient old = WsClient.connectAndInit(before.http, uri)) {
                assertThat(before.seen.get().getSubjectX500Principal().getName()).contains("first.test");

                // the control API over https
                Recording api = new Recording();
                HttpResponse<String> r = api.sendToClient(gw.gateway().controlPort(), old.clientId(), "over https");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(old.next()).isEqualTo("over https");
                assertThat(gw.gateway().controlUrl().getScheme()).isEqualTo("https");

                // an ACME renewal: new files at the same paths, then reload
                Files.copy(second.certificate().toPath(), cert, StandardCopyOption.REPLACE_EXISTING);
                Files.copy(second.privateKey().toPath(), key, StandardCopyOption.REPLACE_EXISTING);
                GatewayConfig same = TestGateway.config(yaml);
                assertThat(gw.gateway().reload(same)).isEmpty();

                Recording after = new Recording();
                try (WsClient fresh = WsClient.connectAndInit(after.http, uri)) {
                    assertThat(after.seen.get().getSubjectX500Principal().getName()).contains("second.test");
                }
                // the connection opened before the reload is still served
                HttpResponse<String> again = api.sendToClient(gw.gateway().controlPort(), old.clientId(), "still here");
                assertThat(again.statusCode()).isEqualTo(200);
                assertThat(old.next()).isEqualTo("still here");
            }
            String status = gw.gateway().tls().status().toString();
            assertThat(status).contains("second.test");
            assertThat(gw.gateway().tls().provider()).isIn("openssl", "jdk");
            if (provider.equals("jdk")) {
                assertThat(gw.gateway().tls().provider()).isEqualTo("jdk");
            }

            // a broken renewal fails the reload and keeps the working certificate
            Files.writeString(key, "not a key");
            try {
                gw.gateway().reload(TestGateway.config(yaml));
                throw new AssertionError("a reload with a broken key must fail");
            } catch (io.gatewayd.config.ConfigException e) {
                assertThat(e.getMessage()).contains("tls").contains("PKCS#8");
            }
            Recording stillSecond = new Recording();
            try (WsClient c = WsClient.connectAndInit(stillSecond.http, uri)) {
                assertThat(stillSecond.seen.get().getSubjectX500Principal().getName()).contains("second.test");
            }
        } finally {
            first.delete();
            second.delete();
        }
    }

    /** http:// or ws:// at a TLS port: a 400 that names the scheme to use, not an empty reply. */
    @org.junit.jupiter.api.Test
    void aPlainHttpRequestToATlsPortIsToldToUseTls() throws Exception {
        SelfSignedCertificate c = new SelfSignedCertificate("plain.test");
        try (TestGateway gw = TestGateway.start(
                TlsYaml.wssAndHttpsControl(c.certificate().toPath(), c.privateKey().toPath()))) {
            int wss = gw.gateway().port("websocket");
            int control = gw.gateway().controlPort();
            assertThat(plainRequest(wss, "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
                    .startsWith("HTTP/1.1 400 ").contains("this port speaks TLS: connect with wss://127.0.0.1:" + wss);
            assertThat(plainRequest(control, "POST /api/getAllClientCount HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Length: 2\r\n\r\n{}"))
                    .startsWith("HTTP/1.1 400 ").contains("\"code\":\"tls_required\"")
                    .contains("use https://127.0.0.1:" + control);

            // TLS clients on the same ports are untouched
            Recording tls = new Recording();
            try (WsClient ws = WsClient.connectAndInit(tls.http, URI.create("wss://127.0.0.1:" + wss + "/"))) {
                assertThat(tls.http.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + control
                        + "/api/getAllClientCount")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                        HttpResponse.BodyHandlers.ofString()).body()).contains("\"result\":1");
            }
        } finally {
            c.delete();
        }
    }

    /** What the port answers to {@code request} sent in the clear, up to its end of stream. */
    private static String plainRequest(int port, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    @org.junit.jupiter.api.Test
    void aMissingCertificateFileStopsTheStartWithTheKeyToFix(@TempDir Path dir) {
        try {
            TestGateway.start("listeners:\n  - url: wss://127.0.0.1:0\n"
                    + TlsYaml.section(dir.resolve("missing.pem"), dir.resolve("missing.key"))).close();
            throw new AssertionError("started without a certificate");
        } catch (io.gatewayd.config.ConfigException e) {
            assertThat(e.key()).isEqualTo("tls.cert-file");
            assertThat(e.getMessage()).contains("missing.pem").contains("does not exist");
        }
    }
}
