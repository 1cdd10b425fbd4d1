package io.gatewayd.server;

import io.gatewayd.config.ConfigException;

import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The certificate chain and private key of tls.cert-file and tls.key-file, checked before a TLS
 * context is built from them. Netty reports a key it cannot read as "does not contain valid
 * private key" whatever the cause, and builds a context from a key that does not belong to the
 * certificate (every handshake then fails with internal_error, gatewayctl's too, so the gateway
 * cannot even be stopped through its control port). A renewal caught between writing the new
 * certificate and the new key would do that on reload. So the files are read here, and each
 * problem is named with its fix.
 */
record TlsKeyMaterial(X509Certificate[] chain, PrivateKey key) {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final String TO_PKCS8 = "`openssl pkcs8 -topk8 -nocrypt -in %s -out %s.pk8`";

    /** Reads and checks the chain and key; {@code now} decides whether the certificate is current. */
    static TlsKeyMaterial read(Path certFile, byte[] certPem, Path keyFile, byte[] keyPem, String password,
                               Instant now) {
        X509Certificate[] chain = chain(certFile, certPem);
        checkValidity(certFile, chain[0], now);
        PrivateKey key = key(keyFile, keyPem, password);
        checkPair(certFile, chain, keyFile, key);
        return new TlsKeyMaterial(chain, key);
    }

    private static X509Certificate[] chain(Path file, byte[] pem) {
        List<X509Certificate> certs = new ArrayList<>();
        try {
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
                certs.add((X509Certificate) c);
            }
        } catch (CertificateException e) {
            throw new ConfigException("tls.cert-file", "tls.cert-file: " + file + " holds no readable PEM certificate ("
                    + e.getMessage() + "); expected \"-----BEGIN CERTIFICATE-----\" blocks, leaf first"
                    + (text(pem).contains("PRIVATE KEY-----") ? " (it holds a private key: are cert-file and "
                    + "key-file swapped?)" : ""));
        }
        if (certs.isEmpty()) {
            throw new ConfigException("tls.cert-file", "tls.cert-file: " + file + " holds no PEM certificate; "
                    + "expected \"-----BEGIN CERTIFICATE-----\" blocks, leaf first (Let's Encrypt: fullchain.pem)");
        }
        return certs.toArray(new X509Certificate[0]);
    }

    /** Clients refuse an expired certificate, so serving one is an outage that only looks like a start. */
    private static void checkValidity(Path file, X509Certificate leaf, Instant now) {
        String who = leaf.getSubjectX500Principal().getName();
        if (now.isAfter(leaf.getNotAfter().toInstant())) {
            throw new ConfigException("tls.cert-file", "tls.cert-file: " + file + ": the certificate " + who
                    + " expired on " + leaf.getNotAfter().toInstant() + "; put the renewed certificate there "
                    + "(e.g. `certbot renew`) and start or reload again");
        }
        if (now.isBefore(leaf.getNotBefore().toInstant())) {
            throw new ConfigException("tls.cert-file", "tls.cert-file: " + file + ": the certificate " + who
                    + " is not valid before " + leaf.getNotBefore().toInstant() + "; check this host's clock, "
                    + "or use a certificate valid now");
        }
    }

    private static PrivateKey key(Path file, byte[] pem, String password) {
        String text = text(pem);
        Matcher m = BLOCK.matcher(text);
        String convert = String.format(TO_PKCS8, file, file);
        while (m.find()) {
            String type = m.group(1);
            String body = m.group(2);
            switch (type) {
                case "PRIVATE KEY" -> {
                    return pkcs8(file, decode(file, body));
                }
                case "ENCRYPTED PRIVATE KEY" -> {
                    if (password == null) {
                        throw new ConfigException("tls.key-password", "tls.key-file: " + file + " is encrypted and "
                                + "tls.key-password is not set; set it (e.g. key-password: ${GATEWAYD_TLS_KEY_PASSWORD}) "
                                + "or decrypt the file with `openssl pkcs8 -in " + file + " -out " + file + ".plain`");
                    }
                    return pkcs8(file, decrypt(file, decode(file, body), password));
                }
                case "RSA PRIVATE KEY", "EC PRIVATE KEY" -> {
                    boolean encrypted = body.contains("ENCRYPTED");
                    throw new ConfigException("tls.key-file", "tls.key-file: " + file + " is "
                            + (encrypted ? "an encrypted " : "a ") + (type.startsWith("RSA") ? "PKCS#1 RSA" : "SEC1 EC")
                            + " key (\"BEGIN " + type + "\"); gatewayd reads PKCS#8 (\"BEGIN PRIVATE KEY\"): convert it with "
                            + (encrypted ? "`openssl pkcs8 -topk8 -in " + file + " -out " + file + ".pk8` (asks for the "
                            + "password; set tls.key-password to the new one)" : convert));
                }
                case "CERTIFICATE" -> {
                    // a chain's certificates may share the file with the key; keep looking
                }
                default -> throw new ConfigException("tls.key-file", "tls.key-file: " + file + " holds a \"" + type
                        + "\" block, not a private key; expected \"-----BEGIN PRIVATE KEY-----\" (PKCS#8)");
            }
        }
        throw new ConfigException("tls.key-file", "tls.key-file: " + file + " holds no PEM private key"
                + (text.contains("-----BEGIN CERTIFICATE-----") ? " (only certificates: are cert-file and key-file "
                + "swapped?)" : "") + "; expected \"-----BEGIN PRIVATE KEY-----\" (PKCS#8; Let's Encrypt: privkey.pem)");
    }

    private static PrivateKey pkcs8(Path file, byte[] der) {
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException ignored) {
                // not this algorithm: try the next
            }
        }
        throw new ConfigException("tls.key-file", "tls.key-file: " + file + " holds a PKCS#8 key gatewayd cannot "
                + "read (neither RSA, EC nor EdDSA); issue the certificate for an RSA or EC key");
    }

    /** PKCS#8 encryption as `openssl pkcs8 -topk8` writes it (PBES2 with AES, or the older PBES1). */
    private static byte[] decrypt(Path file, byte[] der, String password) {
        EncryptedPrivateKeyInfo info;
        try {
            info = new EncryptedPrivateKeyInfo(der);
        } catch (java.io.IOException e) {
            throw new ConfigException("tls.key-file", "tls.key-file: " + file + ": the encrypted key is damaged ("
                    + e.getMessage() + ")");
        }
        String alg = info.getAlgParameters() == null ? info.getAlgName() : info.getAlgParameters().toString();
        try {
            var secret = SecretKeyFactory.getInstance(alg).generateSecret(new PBEKeySpec(password.toCharArray()));
            Cipher cipher = Cipher.getInstance(alg);
            cipher.init(Cipher.DECRYPT_MODE, secret, info.getAlgParameters());
            return info.getKeySpec(cipher).getEncoded();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new ConfigException("tls.key-file", "tls.key-file: " + file + " is encrypted with " + alg
                    + ", which this Java cannot decrypt; re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in "
                    + file + " -out " + file + ".new`, or decrypt it");
        } catch (GeneralSecurityException e) {
            throw new ConfigException("tls.key-password", "tls.key-password does not decrypt " + file
                    + "; set the password the key was encrypted with");
        }
    }

    /**
     * The key must belong to the first certificate. A signature made with the key and checked
     * with the certificate's public key tells, for any key type.
     */
    private static void checkPair(Path certFile, X509Certificate[] chain, Path keyFile, PrivateKey key) {
        if (matches(key, chain[0].getPublicKey())) {
            return;
        }
        for (int i = 1; i < chain.length; i++) {
            if (matches(key, chain[i].getPublicKey())) {
                throw new ConfigException("tls.cert-file", "tls.cert-file: " + certFile + ": the key in " + keyFile
                        + " belongs to certificate " + (i + 1) + " of " + chain.length + " ("
                        + chain[i].getSubjectX500Principal().getName() + "), not to the first; the file must list the "
                        + "server's certificate first, then its intermediates (Let's Encrypt: fullchain.pem)");
            }
        }
        throw new ConfigException("tls.key-file", "tls.key-file: " + keyFile + " is not the key of the certificate "
                + chain[0].getSubjectX500Principal().getName() + " in " + certFile + "; use the key it was issued "
                + "for (Let's Encrypt: privkey.pem from the same live/ directory as fullchain.pem)");
    }

    private static boolean matches(PrivateKey key, PublicKey pub) {
        if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
            return false;
        }
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            default -> key.getAlgorithm(); // Ed25519, Ed448
        };
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(probe);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(probe);
            return v.verify(sig);
        } catch (GeneralSecurityException e) {
            return false; // e.g. EC keys on different curves
        }
    }

    private static byte[] decode(Path file, String body) {
        StringBuilder b64 = new StringBuilder();
        for (String line : body.split("\\R")) {
            if (!line.contains(":")) { // skip RFC 1421 headers (Proc-Type, DEK-Info)
                b64.append(line.trim());
            }
        }
        try {
            return Base64.getDecoder().decode(b64.toString());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("tls.key-file", "tls.key-file: " + file + ": the PEM block is not valid base64");
        }
    }

    private static String text(byte[] pem) {
        return new String(pem, StandardCharsets.US_ASCII);
    }
}
