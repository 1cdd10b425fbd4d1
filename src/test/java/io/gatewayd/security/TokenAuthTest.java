package io.gatewayd.security;

import io.gatewayd.auth.TokenMinter;
import io.gatewayd.cli.GatewayCtl;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TokenAuthTest {
    static final String SECRET = "a-shared-secret-of-at-least-32-bytes!";
    static TestGateway gw;

    @BeforeAll
    static void start() {
        gw = TestGateway.start("""
                auth:
                  connect: token
                  token:
                    secret: %s
                  allowed-origins: [https://app.example.com, https://*.example.org]
                """.formatted(SECRET));
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static String token(String uid, List<String> groups, Duration ttl) {
        return TokenMinter.hs256(SECRET).mint(uid, groups, Map.of("name", "ann"), ttl, null, null);
    }

    @Test
    void aValidTokenBindsUidGroupsAndSessionAtConnect() {
        String t = token("42", List.of("a", "b"), Duration.ofHours(1));
        try (WsClient c = WsClient.connectAndInit(gw.wsUri("/?token=" + t))) {
            assertThat(gw.call("getUidByClientId", Map.of("client_id", c.clientId())).asText()).isEqualTo("42");
            assertThat(gw.call("getClientIdListByGroup", Map.of("groups", List.of("a", "b"))).toString())
                    .contains(c.clientId());
            assertThat(gw.call("getSession", Map.of("client_id", c.clientId())).get("name").asText()).isEqualTo("ann");
        }
    }

    @Test
    void theTokenMayComeAsASubprotocol() {
        String t = token("7", List.of(), Duration.ofMinutes(5));
        var builder = Handshakes.HTTP.newWebSocketBuilder().subprotocols("gatewayd", t);
        try (WsClient c = WsClient.connect(builder, gw.wsUri())) {
            c.init();
            assertThat(c.socket().getSubprotocol()).isEqualTo("gatewayd");
            assertThat(gw.call("getUidByClientId", Map.of("client_id", c.clientId())).asText()).isEqualTo("7");
        }
    }

    @Test
    void aTokenOfferedWithoutGatewaydIsRefusedWith400NamingTheFix() throws java.io.IOException {
        // new WebSocket(url, [token]) was accepted with no subprotocol in the answer, which
        // browsers treat as a failed handshake and report without a reason
        String t = token("7", List.of(), Duration.ofMinutes(5));
        try (RawClient c = new RawClient(gw.gateway().port("websocket"))) {
            c.write(RawClient.handshake("/", "Sec-WebSocket-Protocol: " + t));
            String head = c.readHead();
            assertThat(RawClient.status(head)).isEqualTo(400);
            assertThat(head).doesNotContain(t);
            assertThat(c.readBody(head)).contains("offers a token without \"gatewayd\"", "['gatewayd', token]");
        }
    }

    @Test
    void missingInvalidExpiredAndUnsignedTokensGet401AndAllocateNothing() {
        long refusedBefore = gw.gateway().guard().rejectedCount(io.gatewayd.server.Rejection.TOKEN);
        String expired = token("42", List.of(), Duration.ofMinutes(-5));
        String wrongKey = TokenMinter.hs256("another-secret-that-is-32-bytes-long!").mint("42", List.of(), null,
                Duration.ofHours(1), null, null);
        String claims = Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("{\"sub\":\"42\",\"exp\":" + (System.currentTimeMillis() / 1000 + 3600) + "}").getBytes(StandardCharsets.UTF_8));
        String unsigned = "eyJhbGciOiJub25lIn0." + claims + ".";
        String valid = token("42", List.of(), Duration.ofHours(1));
        String tampered = valid.substring(0, valid.lastIndexOf('.') - 4) + "AAAA" + valid.substring(valid.lastIndexOf('.'));
        String blankUid = token("  ", List.of(), Duration.ofHours(1)); // a key the control API would refuse too
        for (String query : List.of("/", "/?token=", "/?token=" + expired, "/?token=" + wrongKey,
                "/?token=" + unsigned, "/?token=" + tampered, "/?token=not.a.jwt", "/?token=" + "x".repeat(3000),
                "/?token=" + blankUid)) {
            assertThat(Handshakes.refusedStatus(gw.wsUri(query))).as(query.substring(0, Math.min(80, query.length()))).isEqualTo(401);
        }
        assertThat(gw.gateway().guard().rejectedCount(io.gatewayd.server.Rejection.TOKEN) - refusedBefore).isEqualTo(9);
        Await.until("nothing stays allocated for refused clients", () -> gw.gateway().registry().size() == 0
                && gw.gateway().guard().openSockets() == 0);
        assertThat(gw.gateway().stats().connectionsAccepted.sum()).as("no connection was ever opened for them")
                .isLessThanOrEqualTo(11);
    }

    @Test
    void originsOutsideTheAllowListGet403() {
        String t = token("1", List.of(), Duration.ofHours(1));
        assertThat(Handshakes.refusedStatus(Handshakes.HTTP.newWebSocketBuilder().header("Origin", "https://evil.example.com"),
                gw.wsUri("/?token=" + t))).isEqualTo(403);
        assertThat(Handshakes.refusedStatus(Handshakes.HTTP.newWebSocketBuilder().header("Origin", "https://example.org"),
                gw.wsUri("/?token=" + t))).as("the wildcard covers subdomains only").isEqualTo(403);
        for (String ok : List.of("https://app.example.com", "https://chat.example.org", "HTTPS://App.Example.com")) {
            try (WsClient c = WsClient.connect(Handshakes.HTTP.newWebSocketBuilder().header("Origin", ok),
                    gw.wsUri("/?token=" + t))) {
                c.init();
            }
        }
    }

    @Test
    void rs256AndEs256TokensVerifyAgainstAPublicKeyFile(@TempDir Path dir) throws Exception {
        KeyPairGenerator rsaGen = KeyPairGenerator.getInstance("RSA");
        rsaGen.initialize(2048);
        KeyPairGenerator ecGen = KeyPairGenerator.getInstance("EC");
        ecGen.initialize(new ECGenParameterSpec("secp256r1"));
        for (KeyPair kp : List.of(rsaGen.generateKeyPair(), ecGen.generateKeyPair())) {
            Path pub = dir.resolve(kp.getPublic().getAlgorithm() + ".pub.pem");
            Files.writeString(pub, pem("PUBLIC KEY", kp.getPublic().getEncoded()));
            try (TestGateway g = TestGateway.start("""
                    auth:
                      connect: token
                      token:
                        public-key-file: %s
                    """.formatted(pub))) {
                String t = TokenMinter.forPrivateKey(kp.getPrivate()).mint("99", List.of("g"), null,
                        Duration.ofHours(1), null, null);
                try (WsClient c = WsClient.connectAndInit(g.wsUri("/?token=" + t))) {
                    assertThat(g.call("getUidByClientId", Map.of("client_id", c.clientId())).asText()).isEqualTo("99");
                }
                // an HS256 token "signed" with the public key bytes must not pass (algorithm confusion)
                String confused = TokenMinter.hs256(new String(Files.readAllBytes(pub), StandardCharsets.ISO_8859_1))
                        .mint("99", List.of(), null, Duration.ofHours(1), null, null);
                assertThat(Handshakes.refusedStatus(g.wsUri("/?token=" + confused))).isEqualTo(401);
            }
        }
    }

    @Test
    void gatewayctlTokenMintsATokenTheGatewayAccepts(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("gw.yaml");
        Files.writeString(conf, "auth:\n  connect: token\n  token:\n    secret: " + SECRET + "\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = GatewayCtl.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute("token", "--config", conf.toString(), "--uid", "42", "--groups", "a,b", "--ttl", "1h",
                "--session", "{\"name\":\"ann\"}");
        assertThat(code).as(err.toString()).isZero();
        String t = out.toString().trim();
        try (WsClient c = WsClient.connectAndInit(gw.wsUri("/?token=" + t))) {
            assertThat(gw.call("getUidByClientId", Map.of("client_id", c.clientId())).asText()).isEqualTo("42");
            assertThat(gw.call("getClientIdListByGroup", Map.of("group", "b")).toString()).contains(c.clientId());
        }
        // without a secret in the config it says what to do
        Files.writeString(conf, "welcome:\n  enabled: true\n");
        err.getBuffer().setLength(0);
        assertThat(cl.execute("token", "--config", conf.toString(), "--uid", "1")).isEqualTo(2);
        assertThat(err.toString()).contains("auth.token.secret");
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }
}
