package io.gatewayd.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.InstallationTest;
import io.gatewayd.testing.TempInstallation;
import io.gatewayd.testing.TempInstallation.Result;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real bin/gatewayctl bench against a daemon of a temp installation: it finds the gateway
 * through the installation's config and runtime file, re-executes itself C1-only, and reports
 * exact counts.
 */
class BenchIT extends InstallationTest {
    @Test
    void benchFindsTheDaemonAndRunsC1Only() throws Exception {
        inst.startDaemon();
        // no JIT option of our own, so that bench's re-execution with C1 only is what runs
        Result r = inst.exec(List.of(inst.home().resolve("bin/gatewayctl").toString(), "bench", "unicast", "--n", "10",
                "--k", "40", "--warmup", "5", "--json", "-q"), Map.of("GATEWAYD_JAVA_OPTS", "-Xmx256m"));
        assertThat(r.exit()).as(r.toString()).isZero();
        JsonNode j = WsClient.json(r.out().trim());
        assertThat(j.path("client_jit").asText()).isEqualTo("c1");
        assertThat(j.path("ready").asInt()).isEqualTo(10);
        assertThat(j.path("pushes_ok").asInt()).isEqualTo(40);
        assertThat(j.path("received").asInt()).isEqualTo(40);
        assertThat(j.path("lost").asInt()).isZero();
        assertThat(j.path("misrouted").asInt()).isZero();
        assertThat(j.path("server_pid").asLong()).isPositive(); // a gateway on this machine: CPU from /proc
        assertThat(j.has("server_cpu_s")).isTrue();
    }

    /**
     * A load client short of direct memory used to crawl through the JVM's retries (a GC and a
     * sleep per buffer) until its grace time, measuring itself; it stops at the first
     * OutOfMemoryError and says how to give it more.
     */
    @Test
    void aLoadClientOutOfMemoryStopsAndSaysSo() throws Exception {
        inst.startDaemon();
        Result r = inst.exec(List.of(inst.home().resolve("bin/gatewayctl").toString(), "bench", "broadcast", "--n", "40",
                "--m", "20", "--s", "400000", "--warmup", "0", "--grace", "600", "-q"),
                Map.of("GATEWAYD_JAVA_OPTS", "-XX:MaxDirectMemorySize=2m"));
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).contains("gatewayctl: the load client ran out of memory (")
                .contains("give it more with GATEWAYD_JAVA_OPTS=-Xmx4g").doesNotContain("\tat ");
    }
}
