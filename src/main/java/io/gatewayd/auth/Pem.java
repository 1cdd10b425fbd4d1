package io.gatewayd.auth;

import io.gatewayd.config.ConfigException;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads PEM keys with the JDK alone: public keys (or a certificate's) and PKCS#8 private keys. */
public final class Pem {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]+)-----END \\1-----");

    private Pem() {
    }

    static PublicKey publicKey(String file, String configKey) {
        String text = read(file, configKey);
        Matcher m = BLOCK.matcher(text);
        if (!m.find()) {
            throw new ConfigException(configKey, configKey + ": " + file + " holds no PEM block; expected "
                    + "\"-----BEGIN PUBLIC KEY-----\" (e.g. from `openssl pkey -in private.pem -pubout`)");
        }
        byte[] der = decode(m.group(2), file, configKey);
        try {
            switch (m.group(1)) {
                case "PUBLIC KEY" -> {
                    for (String alg : new String[] {"RSA", "EC"}) {
                        try {
                            return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
                        } catch (GeneralSecurityException ignored) {
                            // try the next algorithm
                        }
                    }
                    throw new GeneralSecurityException("neither an RSA nor an EC public key");
                }
                case "CERTIFICATE" -> {
                    return CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(
                            ("-----BEGIN CERTIFICATE-----" + m.group(2) + "-----END CERTIFICATE-----")
                                    .getBytes(StandardCharsets.US_ASCII))).getPublicKey();
                }
                default -> throw new GeneralSecurityException("a \"" + m.group(1) + "\" block is not a public key");
            }
        } catch (GeneralSecurityException e) {
            throw new ConfigException(configKey, configKey + ": " + file + ": " + e.getMessage()
                    + "; expected \"-----BEGIN PUBLIC KEY-----\" (RSA or EC) or a certificate");
        }
    }

    /** A PKCS#8 ("BEGIN PRIVATE KEY") RSA or EC private key. */
    public static PrivateKey privateKey(String file, String configKey) {
        String text = read(file, configKey);
        Matcher m = BLOCK.matcher(text);
        if (!m.find() || !m.group(1).equals("PRIVATE KEY")) {
            throw new ConfigException(configKey, configKey + ": " + file + " holds no \"-----BEGIN PRIVATE KEY-----\" "
                    + "block (PKCS#8); convert with `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.pk8.pem`");
        }
        byte[] der = decode(m.group(2), file, configKey);
        for (String alg : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException ignored) {
                // try the next algorithm
            }
        }
        throw new ConfigException(configKey, configKey + ": " + file + " is neither an RSA nor an EC private key");
    }

    private static byte[] decode(String base64, String file, String configKey) {
        try {
            return Base64.getMimeDecoder().decode(base64.trim());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(configKey, configKey + ": " + file + ": the PEM block is not valid base64");
        }
    }

    private static String read(String file, String configKey) {
        Path path = Path.of(file);
        if (Files.isDirectory(path)) {
            throw new ConfigException(configKey, configKey + ": " + path.toAbsolutePath() + " is a directory; "
                    + "give the PEM file in it");
        }
        try {
            return Files.readString(path, StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            throw new ConfigException(configKey, configKey + ": " + path.toAbsolutePath() + " does not exist");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ConfigException(configKey, configKey + ": cannot read " + path.toAbsolutePath()
                    + ": permission denied");
        } catch (IOException e) {
            throw new ConfigException(configKey, configKey + ": cannot read " + file + ": " + e.getMessage());
        }
    }
}
