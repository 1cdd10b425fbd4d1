package io.gatewayd.testing;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;

/**
 * A private CA written to {@code dir}: {@code <name>-ca.pem}, and a server certificate for
 * 127.0.0.1 it signed ({@code <name>-chain.pem}, {@code <name>-key.pem}), as a gateway's
 * tls.cert-file and tls.key-file.
 */
public record TestCa(Path caPem, Path chainPem, Path keyPem) {

    public static TestCa create(Path dir, String name) throws Exception {
        return create(dir, name, java.time.Duration.ofDays(1));
    }

    /** With a server certificate that ends {@code validFor} from now (e.g. one about to expire). */
    public static TestCa create(Path dir, String name, java.time.Duration validFor) throws Exception {
        KeyPair caKeys = keys();
        X509Certificate ca = sign("CN=" + name + " CA", caKeys, "CN=" + name + " CA", caKeys.getPrivate(), true, null,
                java.time.Duration.ofDays(1));
        KeyPair leafKeys = keys();
        X509Certificate leaf = sign("CN=127.0.0.1", leafKeys, "CN=" + name + " CA", caKeys.getPrivate(), false,
                new GeneralName(GeneralName.iPAddress, "127.0.0.1"), validFor);
        return new TestCa(pem(dir.resolve(name + "-ca.pem"), ca), pem(dir.resolve(name + "-chain.pem"), leaf, ca),
                privateKey(dir.resolve(name + "-key.pem"), leafKeys.getPrivate()));
    }

    /** An EC P-256 key pair. */
    public static KeyPair keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    /** A certificate for {@code subjectKeys}, valid from a minute ago for {@code validFor}, signed by {@code issuerKey}. */
    public static X509Certificate sign(String subject, KeyPair subjectKeys, String issuer, PrivateKey issuerKey,
                                       boolean ca, GeneralName san, java.time.Duration validFor) throws Exception {
        long now = System.currentTimeMillis();
        var b = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.valueOf(now),
                new Date(now - 60_000), new Date(now + validFor.toMillis()), new X500Name(subject), subjectKeys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        if (san != null) {
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san));
        }
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    }

    /** The certificates as PEM, in this order. */
    public static Path pem(Path file, X509Certificate... certs) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (X509Certificate c : certs) {
            sb.append("-----BEGIN CERTIFICATE-----\n").append(mime(c.getEncoded())).append("\n-----END CERTIFICATE-----\n");
        }
        return Files.writeString(file, sb);
    }

    /** The key as an unencrypted PKCS#8 PEM, the form tls.key-file takes. */
    public static Path privateKey(Path file, PrivateKey key) throws Exception {
        return Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n" + mime(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n");
    }

    private static String mime(byte[] der) {
        return Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    }
}
