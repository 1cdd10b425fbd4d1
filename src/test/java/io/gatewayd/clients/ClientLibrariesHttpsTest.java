package io.gatewayd.clients;

import io.gatewayd.testing.TestCa;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.TlsYaml;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static io.gatewayd.clients.ClientLibrariesTest.onPath;
import static io.gatewayd.clients.ClientLibrariesTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PHP and Python clients against an https:// control port whose certificate comes from a
 * private CA: trusted through their CA-file option, and without it an error that says the
 * certificate is not trusted and which option fixes that.
 */
class ClientLibrariesHttpsTest {
    @TempDir
    Path dir;

    private TestGateway gateway(TestCa ca) {
        return TestGateway.start(TlsYaml.httpsControl(ca.chainPem(), ca.keyPem()));
    }

    /** The certificate failures' own reason, as each transport words it. */
    private static String untrusted(PhpTransport transport) {
        return transport == PhpTransport.CURL ? "SSL certificate problem: " : "certificate verify failed";
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(PhpTransport.class)
    void phpClientTrustsItsCaFileAndSaysWhatToSetWithoutIt(PhpTransport transport) throws Exception {
        String php = transport.php();
        TestCa ca = TestCa.create(dir, "gw");
        TestCa other = TestCa.create(dir, "other");
        String script = transport.strictClient() + """
                Gateway::$apiUrl = $argv[1];
                if ($argv[2] !== '') Gateway::$caFile = $argv[2];
                try {
                    $delivered = Gateway::sendToAll('over https');
                    echo "ok $delivered\\n";
                } catch (\\Gatewayd\\GatewayException $e) {
                    echo $e->getErrorCode(), ': ', $e->getMessage(), "\\n";
                }
                """;
        try (TestGateway gw = gateway(ca); WsClient client = gw.client()) {
            String url = "https://127.0.0.1:" + gw.gateway().controlPort();

            assertThat(run(List.of(php, "-r", script, url, ca.caPem().toString()))).isEqualTo("ok 1\n");
            assertThat(client.next()).isEqualTo("over https");

            assertThat(run(List.of(php, "-r", script, url, ""))).startsWith("unreachable: gatewayd at " + url
                            + " did not answer: its TLS certificate is not trusted (" + untrusted(transport))
                    .contains("set Gateway::$caFile to the PEM file of that CA").doesNotContain("operation failed");
            assertThat(run(List.of(php, "-r", script, url, other.caPem().toString())))
                    .contains("its TLS certificate is not trusted")
                    .contains("Gateway::$caFile '" + other.caPem() + "' does not vouch for it");
            assertThat(run(List.of(php, "-r", script, url, dir.resolve("missing.pem").toString())))
                    .startsWith("invalid_config: Gateway::$caFile '" + dir.resolve("missing.pem")
                            + "' is not a readable file;");
            java.nio.file.Path notPem = java.nio.file.Files.writeString(dir.resolve("not.pem"), "not a certificate\n");
            assertThat(run(List.of(php, "-r", script, url, notPem.toString())))
                    .startsWith("unreachable: gatewayd at " + url + " did not answer: ")
                    .containsPattern("Gateway::\\$caFile '" + java.util.regex.Pattern.quote(notPem.toString())
                            + "' (could not be loaded|does not vouch for it)");
            String byName = "https://localhost:" + gw.gateway().controlPort();
            assertThat(run(List.of(php, "-r", script, byName, ca.caPem().toString())))
                    .as("the certificate names 127.0.0.1 only")
                    .startsWith("unreachable: gatewayd at " + byName + " did not answer: its TLS certificate does not"
                            + " name the host of Gateway::$apiUrl (")
                    .contains("use a host name the certificate names");
            assertThat(client.poll()).as("nothing pushed by the refused calls").isNull();
        }
    }

    /**
     * Gateway::$caFile means that CA only, not that CA besides those of a CA directory the transport
     * has: there a certificate from any public CA would pass where the application pinned its own.
     * Streams get one from php.ini (openssl.capath); curl from its build (--with-ca-path, e.g.
     * /etc/ssl/certs on Debian), which a test cannot change, so here every curl handle starts with
     * that directory set as such a build sets it, through a Gatewayd\curl_init that PHP calls before
     * the global one. The directory holds the gateway's CA, and $caFile is another one.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(PhpTransport.class)
    void phpCaFileIsTheOnlyCaTrustedWhateverCaDirectoryTheTransportHas(PhpTransport transport) throws Exception {
        String php = transport.php();
        TestCa ca = TestCa.create(dir, "gw");
        TestCa other = TestCa.create(dir, "other");
        // a CA directory as OpenSSL reads it: each CA under the hash of its subject
        String hash = run(List.of(php, "-r", "echo openssl_x509_parse(file_get_contents($argv[1]))['hash'];",
                ca.caPem().toString()));
        Path caDir = java.nio.file.Files.createDirectory(dir.resolve("capath"));
        java.nio.file.Files.copy(ca.caPem(), caDir.resolve(hash + ".0"));
        String script = """
                namespace Gatewayd {
                    function curl_init($url) {
                        $ch = \\curl_init($url);
                        \\curl_setopt($ch, CURLOPT_CAPATH, $GLOBALS['argv'][3]);
                        return $ch;
                    }
                }
                namespace {
                """ + transport.strictClient() + """
                Gateway::$apiUrl = $argv[1];
                if ($argv[2] !== '') Gateway::$caFile = $argv[2];
                try {
                    $delivered = Gateway::sendToAll('over https');
                    echo "ok $delivered\n";
                } catch (\\Gatewayd\\GatewayException $e) {
                    echo $e->getErrorCode(), ': ', $e->getMessage(), "\n";
                }
                }
                """;
        try (TestGateway gw = gateway(ca); WsClient client = gw.client()) {
            String url = "https://127.0.0.1:" + gw.gateway().controlPort();
            List<String> withCaDir = List.of(php, "-d", "openssl.capath=" + caDir, "-r", script, url);

            assertThat(run(concat(withCaDir, "", caDir.toString()))).as("without $caFile, the directory's CAs are trusted")
                    .isEqualTo("ok 1\n");
            assertThat(client.next()).isEqualTo("over https");
            assertThat(run(concat(withCaDir, other.caPem().toString(), caDir.toString())))
                    .startsWith("unreachable: gatewayd at " + url + " did not answer: its TLS certificate is not trusted")
                    .contains("Gateway::$caFile '" + other.caPem() + "' does not vouch for it");
            assertThat(client.poll()).as("nothing pushed by the refused call").isNull();
            assertThat(run(concat(withCaDir, ca.caPem().toString(), caDir.toString()))).isEqualTo("ok 1\n");
            assertThat(client.next()).isEqualTo("over https");
        }
    }

    private static List<String> concat(List<String> command, String... args) {
        List<String> all = new java.util.ArrayList<>(command);
        all.addAll(List.of(args));
        return all;
    }

    @Test
    void pythonClientTrustsItsCafileAndSaysWhatToPassWithoutIt() throws Exception {
        String python = onPath("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed; skipping the Python client test");
        TestCa ca = TestCa.create(dir, "gw");
        TestCa other = TestCa.create(dir, "other");
        String script = """
                import sys
                sys.path.insert(0, "clients/python")
                from gateway import Gateway, GatewayError
                try:
                    print("ok", Gateway(sys.argv[1], cafile=sys.argv[2] or None).sendToAll("over https"))
                except GatewayError as e:
                    print("%s: %s" % (e.code, e))
                """;
        try (TestGateway gw = gateway(ca); WsClient client = gw.client()) {
            String url = "https://127.0.0.1:" + gw.gateway().controlPort();

            assertThat(run(List.of(python, "-c", script, url, ca.caPem().toString()))).isEqualTo("ok 1\n");
            assertThat(client.next()).isEqualTo("over https");

            assertThat(run(List.of(python, "-c", script, url, ""))).startsWith("unreachable: gatewayd at " + url
                            + " did not answer: its TLS certificate is not trusted (")
                    .contains("pass cafile= the PEM file of that CA").doesNotContain("CERTIFICATE_VERIFY_FAILED");
            assertThat(run(List.of(python, "-c", script, url, other.caPem().toString())))
                    .contains("its TLS certificate is not trusted")
                    .contains("cafile '" + other.caPem() + "' does not vouch for it");
            assertThat(run(List.of(python, "-c", script, url, dir.resolve("missing.pem").toString())))
                    .startsWith("invalid_config: cafile '" + dir.resolve("missing.pem") + "' cannot be loaded");
            assertThat(client.poll()).as("nothing pushed by the refused calls").isNull();
        }
    }
}
