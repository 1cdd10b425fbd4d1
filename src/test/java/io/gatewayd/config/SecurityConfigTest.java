package io.gatewayd.config;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The security sections refuse unsafe or inconsistent settings with the key and the fix. */
class SecurityConfigTest {
    static GatewayConfig parse(String yaml) {
        return new ConfigLoader(Map.of()).parse(yaml, "gw.yaml");
    }

    static void refused(String yaml, String key, String... fragments) {
        assertThatThrownBy(() -> parse(yaml))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> {
                    assertThat(((ConfigException) e).key()).isEqualTo(key);
                    assertThat(e.getMessage()).startsWith("gw.yaml").contains(fragments);
                });
    }

    @Test
    void unsafeOrInconsistentSettingsNameTheKeyAndTheFix() {
        refused("webhooks:\n  url: http://127.0.0.1:9/hook\n", "webhooks.secret", "required", "openssl rand");
        refused("webhooks:\n  url: http://127.0.0.1:9/hook\n  secret: short\n", "webhooks.secret", "16 bytes");
        refused("webhooks:\n  url: ftp://x/hook\n  secret: 0123456789abcdef\n", "webhooks.url", "http://");
        refused("auth:\n  connect: token\n", "auth.connect", "secret", "public-key-file");
        refused("auth:\n  connect: token\n  token:\n    secret: tooshort\n", "auth.token.secret", "32 bytes");
        refused("auth:\n  connect: webhook\n", "auth.connect", "webhooks.url");
        refused("auth:\n  connect: maybe\n", "auth.connect", "none, token, webhook");
        refused("auth:\n  allowed-origins: [app.example.com/path]\n", "auth.allowed-origins[0]", "scheme://host");
        refused("client-messages:\n  policy: webhook\n", "client-messages.policy", "webhooks.url");
        refused("listeners:\n  - url: wss://0.0.0.0:8443\n", "tls", "cert-file");
        refused("control:\n  listen: https://127.0.0.1:8283\n", "tls", "https");
        refused("tls:\n  cert-file: a.pem\n", "tls.key-file", "key-file");
        refused("tls:\n  cert-file: a.pem\n  key-file: b.pem\n  protocols: [TLSv1.1]\n", "tls.protocols[0]", "TLSv1.2");
        refused("limits:\n  max-connections: -1\n", "limits.max-connections", "0 (no limit)");
        refused("limits:\n  trusted-proxies: [proxy.local]\n", "limits.trusted-proxies[0]", "host names");
        refused("limits:\n  handshake-timeout: 1ms\n", "limits.handshake-timeout", "100ms");
    }

    @Test
    void aTcpListenerUnderConnectAuthMustSayItAcceptsClientsUnchecked() {
        String auth = "auth:\n  connect: token\n  token:\n    secret: 0123456789abcdef0123456789abcdef\n";
        String listeners = "listeners:\n  - url: websocket://127.0.0.1:8282\n  - url: text://127.0.0.1:8284\n";
        refused(listeners + auth, "listeners[1].unauthenticated", "text://127.0.0.1:8284", "any client", "token");
        GatewayConfig c = parse(listeners + "    unauthenticated: true\n" + auth);
        assertThat(c.listeners().get(1).unauthenticated()).isTrue();
        assertThat(c.listeners().get(0).unauthenticated()).isFalse();
        refused("listeners:\n  - url: websocket://127.0.0.1:8282\n    unauthenticated: true\n",
                "listeners[0].unauthenticated", "text:// and frame://");
        assertThat(parse("listeners:\n  - url: frame://127.0.0.1:8285\n").listeners().get(0).unauthenticated())
                .as("without connect auth every listener is open anyway").isFalse();
    }

    @Test
    void wssImpliesTlsAndGoodSettingsLoad() {
        GatewayConfig c = parse("""
                listeners:
                  - url: wss://127.0.0.1:8443
                tls:
                  cert-file: /etc/ssl/fullchain.pem
                  key-file: /etc/ssl/privkey.pem
                limits:
                  trusted-proxies: [127.0.0.1, 10.0.0.0/8, "fd00::/8"]
                webhooks:
                  url: http://127.0.0.1:8080/hook
                  secret: 0123456789abcdef
                """);
        assertThat(c.listeners().get(0).tls()).isTrue();
        assertThat(c.listeners().get(0).protocol()).isEqualTo(Protocol.WEBSOCKET);
        assertThat(c.listeners().get(0).urlWithPort(8443)).isEqualTo("wss://127.0.0.1:8443");
        assertThat(c.webhooks().urlFor(WebhookEvent.CONNECT, ClientMessagePolicy.ECHO_TYPE)).endsWith("/hook");
        assertThat(c.webhooks().urlFor(WebhookEvent.MESSAGE, ClientMessagePolicy.ECHO_TYPE)).isNull();
        assertThat(c.webhooks().toString()).doesNotContain("0123456789abcdef");
    }

    @Test
    void aHalfClosedClientWaitsForItsAnswersOneEventsWebhookBudgetAtMostAMinute() {
        String hook = "webhooks:\n  url: http://127.0.0.1:9/hook\n  secret: 0123456789abcdef\n";
        // 4 attempts of 5 s, backoffs of 0.2, 0.4 and 0.8 s before the retries
        assertThat(parse(hook).webhooks().answerWait()).isEqualTo(java.time.Duration.ofMillis(21_400));
        // backoffs double up to max-retry-backoff: 1 + 2 + 2 s
        assertThat(parse(hook + "  timeout: 1s\n  retry-backoff: 1s\n  max-retry-backoff: 2s\n").webhooks().answerWait())
                .isEqualTo(java.time.Duration.ofSeconds(4 * 1 + 1 + 2 + 2));
        assertThat(parse(hook + "  timeout: 1s\n  retries: 0\n").webhooks().answerWait()).isEqualTo(java.time.Duration.ofSeconds(1));
        assertThat(parse(hook + "  timeout: 5m\n  retries: 20\n  max-retry-backoff: 100d\n  retry-backoff: 50d\n")
                .webhooks().answerWait()).isEqualTo(WebhooksConfig.MAX_ANSWER_WAIT);
    }

    @Test
    void theBackoffBeforeEachRetryDoublesUpToItsMaximumAndNeverOverflows() {
        WebhooksConfig w = parse("webhooks:\n  url: http://127.0.0.1:9/hook\n  secret: 0123456789abcdef\n"
                + "  retry-backoff: 300ms\n  max-retry-backoff: 1s\n").webhooks();
        assertThat(java.util.stream.IntStream.rangeClosed(1, 4).mapToLong(w::backoffBeforeRetry).toArray())
                .containsExactly(300, 600, 1000, 1000);
        assertThat(w.backoffBeforeRetry(63)).as("far past any shift a long holds").isEqualTo(1000);
        assertThat(w.backoffBeforeRetry(Integer.MAX_VALUE)).isEqualTo(1000);
    }

    @Test
    void cidrRangesMatchAddresses() throws Exception {
        assertThat(Cidr.parse("10.0.0.0/8").contains(InetAddress.getByName("10.200.3.4"))).isTrue();
        assertThat(Cidr.parse("10.0.0.0/8").contains(InetAddress.getByName("11.0.0.1"))).isFalse();
        assertThat(Cidr.parse("192.168.1.128/25").contains(InetAddress.getByName("192.168.1.200"))).isTrue();
        assertThat(Cidr.parse("192.168.1.128/25").contains(InetAddress.getByName("192.168.1.100"))).isFalse();
        assertThat(Cidr.parse("127.0.0.1").contains(InetAddress.getByName("127.0.0.1"))).isTrue();
        assertThat(Cidr.parse("fd00::/8").contains(InetAddress.getByName("fd12::1"))).isTrue();
        assertThat(Cidr.parse("fd00::/8").contains(InetAddress.getByName("10.0.0.1"))).isFalse();
        assertThatThrownBy(() -> Cidr.parse("cafe")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33")).isInstanceOf(IllegalArgumentException.class);
    }
}
