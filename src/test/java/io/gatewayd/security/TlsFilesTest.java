package io.gatewayd.security;

import io.gatewayd.config.ConfigException;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.TlsYaml;
import io.gatewayd.testing.WsClient;
import io.netty.handler.ssl.util.SelfSignedCertificate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.PBEParameterSpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.AlgorithmParameters;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Date;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The certificate and key files as operators get them wrong: each mistake stops the start (or
 * the reload, keeping the certificate in use) with the key, the file and the fix, instead of a
 * gateway whose every TLS handshake fails.
 */
class TlsFilesTest {
    private static SelfSignedCertificate a;
    private static SelfSignedCertificate b;

    @BeforeAll
    static void certificates() throws Exception {
        a = new SelfSignedCertificate("a.test");
        b = new SelfSignedCertificate("b.test");
    }

    @AfterAll
    static void delete() {
        a.delete();
        b.delete();
    }

    private static String yaml(Path cert, Path key, String extra) {
        return TlsYaml.wssAndHttpsControl(cert, key) + (extra == null ? "" : "  " + extra + "\n");
    }

    private static ConfigException startFails(Path cert, Path key, String extra) {
        try (TestGateway ignored = TestGateway.start(yaml(cert, key, extra))) {
            throw new AssertionError("started with " + cert + " and " + key);
        } catch (ConfigException e) {
            return e;
        }
    }

    @Test
    void aKeyThatIsNotTheCertificatesStopsTheStart(@TempDir Path dir) throws Exception {
        Path key = Files.copy(b.privateKey().toPath(), dir.resolve("privkey.pem"));
        Path cert = Files.copy(a.certificate().toPath(), dir.resolve("fullchain.pem"));
        ConfigException e = startFails(cert, key, null);
        assertThat(e.key()).isEqualTo("tls.key-file");
        assertThat(e.getMessage()).contains(key.toString()).contains("is not the key of the certificate")
                .contains("a.test").contains(cert.toString());
    }

    @Test
    void aChainWithTheLeafNotFirstIsNamedAsSuch(@TempDir Path dir) throws Exception {
        Path cert = dir.resolve("fullchain.pem");
        Files.writeString(cert, Files.readString(b.certificate().toPath()) + Files.readString(a.certificate().toPath()));
        ConfigException e = startFails(cert, a.privateKey().toPath(), null);
        assertThat(e.key()).isEqualTo("tls.cert-file");
        assertThat(e.getMessage()).contains("belongs to certificate 2 of 2").contains("first");
    }

    @Test
    void anExpiredCertificateStopsTheStart() throws Exception {
        SelfSignedCertificate old = new SelfSignedCertificate("old.test", new Date(1_577_836_800_000L),
                new Date(1_580_515_200_000L)); // January 2020
        try {
            ConfigException e = startFails(old.certificate().toPath(), old.privateKey().toPath(), null);
            assertThat(e.key()).isEqualTo("tls.cert-file");
            assertThat(e.getMessage()).contains(old.certificate().getPath()).contains("expired on 2020-02-01")
                    .contains("renewed");
        } finally {
            old.delete();
        }
    }

    @Test
    void pkcs1AndSec1KeysAreNamedWithTheCommandThatConvertsThem(@TempDir Path dir) throws Exception {
        String body = Base64.getMimeEncoder().encodeToString(new byte[64]);
        for (String type : new String[] {"RSA PRIVATE KEY", "EC PRIVATE KEY"}) {
            Path key = dir.resolve(type.charAt(0) + ".key");
            Files.writeString(key, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n");
            ConfigException e = startFails(a.certificate().toPath(), key, null);
            assertThat(e.key()).isEqualTo("tls.key-file");
            assertThat(e.getMessage()).contains(key.toString()).contains("BEGIN " + type)
                    .contains("openssl pkcs8 -topk8 -nocrypt -in " + key);
        }
    }

    @Test
    void anEncryptedKeyNeedsItsPasswordAndServesWithIt(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("privkey.pem");
        Files.writeString(key, encrypted(a.key().getEncoded(), "s3cret"));
        Path cert = a.certificate().toPath();

        ConfigException missing = startFails(cert, key, null);
        assertThat(missing.key()).isEqualTo("tls.key-password");
        assertThat(missing.getMessage()).contains(key.toString()).contains("is encrypted")
                .contains("tls.key-password is not set");

        ConfigException wrong = startFails(cert, key, "key-password: wrong");
        assertThat(wrong.key()).isEqualTo("tls.key-password");
        assertThat(wrong.getMessage()).contains("does not decrypt " + key);

        try (TestGateway gw = TestGateway.start(yaml(cert, key, "key-password: s3cret"))) {
            TlsTest.Recording client = new TlsTest.Recording();
            try (WsClient c = WsClient.connectAndInit(client.http,
                    URI.create("wss://127.0.0.1:" + gw.gateway().port("websocket") + "/"))) {
                assertThat(client.seen.get()).isEqualTo(a.cert());
            }
        }
    }

    @Test
    void aReloadCaughtBetweenTheNewCertificateAndTheNewKeyKeepsTheOldPair(@TempDir Path dir) throws Exception {
        Path cert = Files.copy(a.certificate().toPath(), dir.resolve("fullchain.pem"));
        Path key = Files.copy(a.privateKey().toPath(), dir.resolve("privkey.pem"));
        String yaml = yaml(cert, key, null);
        try (TestGateway gw = TestGateway.start(yaml)) {
            URI uri = URI.create("wss://127.0.0.1:" + gw.gateway().port("websocket") + "/");
            Files.copy(b.certificate().toPath(), cert, StandardCopyOption.REPLACE_EXISTING); // the key comes later

            assertThatThrownBy(() -> gw.gateway().reload(TestGateway.config(yaml)))
                    .isInstanceOf(ConfigException.class).hasMessageContaining("is not the key of the certificate");

            TlsTest.Recording client = new TlsTest.Recording();
            try (WsClient c = WsClient.connectAndInit(client.http, uri)) {
                assertThat(client.seen.get()).as("new connections still get the old, working pair")
                        .isEqualTo(a.cert());
            }
        }
    }

    /** PKCS#8 encrypted as `openssl pkcs8 -topk8` does by default: PBES2, PBKDF2-SHA256, AES-256-CBC. */
    private static String encrypted(byte[] pkcs8, String password) throws Exception {
        SecureRandom random = new SecureRandom();
        byte[] salt = new byte[16];
        byte[] iv = new byte[16];
        random.nextBytes(salt);
        random.nextBytes(iv);
        String alg = "PBEWithHmacSHA256AndAES_256";
        var secret = SecretKeyFactory.getInstance(alg).generateSecret(new PBEKeySpec(password.toCharArray()));
        Cipher cipher = Cipher.getInstance(alg);
        cipher.init(Cipher.ENCRYPT_MODE, secret, new PBEParameterSpec(salt, 2048, new IvParameterSpec(iv)));
        // named PBES2 so that EncryptedPrivateKeyInfo writes the PBES2 OID the cipher's name has none of
        AlgorithmParameters pbes2 = AlgorithmParameters.getInstance("PBES2");
        pbes2.init(cipher.getParameters().getEncoded());
        byte[] der = new EncryptedPrivateKeyInfo(pbes2, cipher.doFinal(pkcs8)).getEncoded();
        return "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END ENCRYPTED PRIVATE KEY-----\n";
    }
}
