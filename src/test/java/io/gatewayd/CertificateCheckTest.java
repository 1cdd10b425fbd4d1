package io.gatewayd;

import ch.qos.logback.classic.Level;
import io.gatewayd.server.ServerTls;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.LogCapture;
import io.gatewayd.testing.TestCa;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.TlsYaml;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The periodic certificate check runs while a listener or the control port serves TLS, and only
 * then: a reload that opens the first TLS listener starts it, one that closes the last ends it.
 */
class CertificateCheckTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final LogCapture log = new LogCapture(ServerTls.class);

    private String tls(TestCa ca) {
        return TlsYaml.section(ca.chainPem(), ca.keyPem());
    }

    private static TestGateway start(String yaml) {
        return TestGateway.start(Gateway.builder(TestGateway.config(yaml)).certificateCheckEvery(Duration.ofMillis(50)));
    }

    @Test
    void aGatewayServingNoTlsHasNoCheck() throws Exception {
        try (TestGateway gw = start("")) {
            assertThat(gw.gateway().certificateCheckScheduled()).isFalse();
        }
        TestCa ca = TestCa.create(dir, "unused", Duration.ofDays(5));
        try (TestGateway gw = start(tls(ca))) {
            assertThat(gw.gateway().certificateCheckScheduled()).as("a tls section no listener uses").isFalse();
        }
    }

    @Test
    void aGatewayServingTlsChecksAgainAndWarns() throws Exception {
        TestCa soon = TestCa.create(dir, "soon", Duration.ofDays(5));
        try (TestGateway gw = start(tls(soon) + "control:\n  listen: https://127.0.0.1:0\n")) {
            assertThat(gw.gateway().certificateCheckScheduled()).isTrue();
            Await.until("the check warns after the start did", () -> log.messages(Level.WARN).size() >= 3);
            assertThat(log.messages(Level.WARN)).allSatisfy(w -> assertThat(w).contains(soon.chainPem().toString(),
                    "renew it and run `gatewayctl reload`"));
        }
    }

    @Test
    void aReloadStartsTheCheckWithTheFirstTlsListenerAndEndsItWithTheLast() throws Exception {
        TestCa soon = TestCa.create(dir, "soon", Duration.ofDays(5));
        String plain = "listeners:\n  - url: text://127.0.0.1:0\n";
        try (TestGateway gw = start(plain)) {
            assertThat(gw.gateway().certificateCheckScheduled()).isFalse();

            gw.gateway().reload(TestGateway.config(tls(soon) + plain + "  - url: wss://127.0.0.1:0\n"));
            assertThat(gw.gateway().port("websocket")).as("the wss listener opened").isPositive();
            assertThat(gw.gateway().certificateCheckScheduled()).isTrue();
            Await.until("the check warns after the reload did", () -> log.messages(Level.WARN).size() >= 3);

            gw.gateway().reload(TestGateway.config(tls(soon) + plain));
            assertThat(gw.gateway().port("websocket")).as("the wss listener closed").isEqualTo(-1);
            assertThat(gw.gateway().certificateCheckScheduled()).isFalse();
        }
    }
}
