package io.gatewayd.lifecycle;

import io.gatewayd.testing.TestCa;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.TlsYaml;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A reload says which of its changes wait for a restart, instead of dropping them silently. */
class ReloadNotesTest {
    @Test
    void changesFixedAtStartAreNamedAndTheRestApplies(@TempDir Path dir) {
        String base = "paths:\n  run-dir: " + dir.resolve("a") + "\n";
        try (TestGateway gw = TestGateway.start(base)) {
            assertThat(gw.gateway().reload(TestGateway.config(base))).as("nothing changed").isEmpty();
            assertThat(gw.gateway().reload(TestGateway.config("paths:\n  run-dir: " + dir.resolve("b") + "\n")))
                    .containsExactly("paths settings changed; they apply after a restart");
            assertThat(gw.gateway().reload(TestGateway.config("paths:\n  run-dir: " + dir.resolve("b") + "\n"
                    + "heartbeat:\n  ping-interval: 30\n")))
                    .as("reloaded again: the change still waits for the restart")
                    .containsExactly("paths settings changed; they apply after a restart");
            assertThat(gw.gateway().reload(TestGateway.config("node:\n  io-threads: 3\n" + base)))
                    .as("back to the started paths: nothing left to note for them")
                    .containsExactly("node settings changed; they apply after a restart");
            assertThat(gw.gateway().reload(TestGateway.config(base + "heartbeat:\n  ping-interval: 30\n")))
                    .as("a live setting needs no note").isEmpty();
        }
    }

    @Test
    void aMaxConnectionsAboveWhatTheOpenFileLimitAllowsIsNotedAndCappedAtIt() {
        try (TestGateway gw = TestGateway.start("")) {
            int cap = gw.gateway().guard().descriptors().effectiveMax(0);
            assertThat(cap).as("capped by the test JVM's open-file limit").isPositive();
            String over = "limits:\n  max-connections: " + (cap + 1) + "\n";
            assertThat(gw.gateway().reload(TestGateway.config(over))).singleElement().asString()
                    .contains("limits.max-connections is " + (cap + 1), "clients beyond " + cap + " are refused");
            assertThat(gw.get("/api/status").json().path("result").path("limits").path("connection_cap")
                    .path("effective").asInt()).isEqualTo(cap);
            assertThat(gw.gateway().reload(TestGateway.config(over))).as("said once, when set").isEmpty();
            assertThat(gw.gateway().reload(TestGateway.config("limits:\n  max-connections: " + cap + "\n")))
                    .as("within the cap").isEmpty();
        }
    }

    /**
     * The note says a changed control.listen waits for the restart, so the port must keep its
     * scheme too: it used to switch to TLS on the next connection, and a backend pushing over
     * http:// was cut off by a reload that promised to change nothing there.
     */
    @Test
    void aControlPortReloadedFromHttpToHttpsKeepsSpeakingHttpUntilTheRestart(@TempDir Path dir) throws Exception {
        TestCa ca = TestCa.create(dir, "gw");
        String tls = TlsYaml.section(ca.chainPem(), ca.keyPem());
        try (TestGateway gw = TestGateway.start(tls + "control:\n  listen: http://127.0.0.1:0\n")) {
            assertThat(gw.gateway().reload(TestGateway.config(tls + "control:\n  listen: https://127.0.0.1:0\n")))
                    .containsExactly("control.listen changed; it applies after a restart");
            TestGateway.Response health = gw.get("/health");
            assertThat(health.status()).as(health.body()).isEqualTo(200);
            assertThat(gw.gateway().controlUrl().getScheme()).isEqualTo("http");
        }
    }

    @Test
    void aControlCapRaisedPastWhatTheStartReservedIsNoted() {
        try (TestGateway gw = TestGateway.start("")) {
            assertThat(gw.gateway().reload(TestGateway.config("control:\n  listen: http://127.0.0.1:0\n  max-connections: 1000\n")))
                    .singleElement().asString()
                    .contains("control.max-connections changed to 1000", "keeps room for 256 control connections");
            assertThat(gw.gateway().reload(TestGateway.config("control:\n  listen: http://127.0.0.1:0\n  max-connections: 100\n")))
                    .as("lower than reserved: nothing to say").isEmpty();
        }
    }
}
