package io.gatewayd;

import io.gatewayd.config.GatewayConfig;
import io.gatewayd.registry.Connection;
import io.gatewayd.server.ClientEvents;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The facade as code embedding gatewayd uses it: built in code, driven from its own threads and callbacks. */
class EmbeddingTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void stopCalledFromAClientEventCallbackStopsTheGateway() {
        Gateway[] self = new Gateway[1];
        ClientEvents stopOnMessage = new ClientEvents() {
            @Override
            public void onMessage(Connection c, ByteBuf content, boolean binary) {
                self[0].stop(Duration.ofSeconds(5)); // on the connection's event loop
            }
        };
        TestGateway gw = TestGateway.start(Gateway.builder(GatewayConfig.ephemeral()).clientEvents(stopOnMessage));
        self[0] = gw.gateway();
        try (WsClient client = gw.client()) {
            client.send("stop please");

            gw.gateway().terminated().orTimeout(LONG.toSeconds(), TimeUnit.SECONDS).join();
            assertThat(gw.gateway().state()).isEqualTo(Gateway.State.STOPPED);
            assertThat(client.awaitClose(LONG)).isEqualTo(1001);
        } finally {
            closeWithin(gw.gateway());
        }
    }

    @Test
    void aNullStopTimeoutIsRefusedAndTheGatewayStillStops() {
        TestGateway gw = TestGateway.start();
        try {
            assertThatThrownBy(() -> gw.gateway().stop(null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Duration.ofSeconds");
            assertThatThrownBy(() -> gw.gateway().drain(null, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Duration.ofSeconds");
            assertThat(gw.gateway().state()).isEqualTo(Gateway.State.RUNNING);
        } finally {
            closeWithin(gw.gateway());
        }
        assertThat(gw.gateway().state()).isEqualTo(Gateway.State.STOPPED);
    }

    /** close() on another thread, failing the test rather than hanging it if the stop never ends. */
    private static void closeWithin(Gateway gateway) {
        CompletableFuture.runAsync(gateway::close).orTimeout(LONG.toSeconds(), TimeUnit.SECONDS).join();
    }
}
