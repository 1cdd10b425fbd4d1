package io.gatewayd.delivery;

import io.gatewayd.Gateway;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;
import io.gatewayd.routing.Router;
import io.gatewayd.server.ClientEvents;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * destroyClient cuts a client without a close frame, but not before what it was pushed before:
 * a backend that pushes, then destroys, expects the push to arrive (GatewayWorker's gateway
 * writes it into the socket before it reads the destroy). Pushes answered a moment ago may still
 * wait in the lane: on io_uring the loop can read the next request, the destroy, before it runs
 * the writes it queued (1 run in 10 lost them with a backend calling sendToAll then
 * destoryClient). Here the pushes and the destroy run in one task on the client's loop, so the
 * pushes are certain to be queued, unwritten, when the destroy comes: on every transport.
 */
class DestroyTest {
    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void pushesQueuedBeforeADestroyReachTheClientThenTheSocketEndsWithoutACloseFrame(String transport)
            throws Exception {
        CompletableFuture<String> closeEvent = new CompletableFuture<>();
        ClientEvents closes = new ClientEvents() {
            @Override
            public void onClose(Connection c, Registry.Snapshot snapshot, int closeCode, String reason) {
                closeEvent.complete(closeCode + " " + reason);
            }
        };
        String yaml = "node:\n  transport: " + transport + "\nlisteners:\n  - url: websocket://127.0.0.1:0\n"
                + "control:\n  listen: http://127.0.0.1:0\n";
        try (TestGateway gw = TestGateway.start(Gateway.builder(TestGateway.config(yaml)).clientEvents(closes));
             RawClient client = new RawClient(gw.wsUri().getPort())) {
            assertThat(client.upgrade()).contains(" 101 ");
            String id = WsClient.json(client.readFrame().text()).get("client_id").asText();
            Router router = gw.gateway().router();
            Connection c = gw.gateway().registry().get(id);

            c.channel().eventLoop().submit(() -> {
                router.sendToAll(OutboundMessage.text("to all"), null, Set.of());
                router.sendToClient(id, OutboundMessage.text("to you"));
                router.destroyClient(id);
            }).get(10, TimeUnit.SECONDS);

            List<String> received = client.framesUntilEnd();
            assertThat(received).as("what was pushed before the destroy, then the end, without a close frame")
                    .containsExactly("to all", "to you");
            assertThat(closeEvent.get(10, TimeUnit.SECONDS)).isEqualTo("1006 destroyed");
            assertThat(gw.gateway().registry().get(id)).isNull();
        }
    }
}
