package io.gatewayd.routing;

import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An embedder pushing through {@code Gateway.router()} bypasses the control API's size check: the
 * router itself refuses a message no client could take, before any recipient is touched.
 */
class OversizedRouterPushTest {
    static final int MAX_PENDING = 64 * 1024;

    @Test
    void everyRouterPushFailsWithTheSizeTheLimitAndTheFixAndNobodyIsDisconnected() {
        try (TestGateway gw = TestGateway.start("outbound:\n  max-pending-bytes: 64KiB\n")) {
            List<WsClient> clients = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                clients.add(gw.client());
            }
            try {
                Router router = gw.gateway().router();
                WsClient first = clients.get(0);
                gw.call("bindUid", Map.of("client_id", first.clientId(), "uid", "u1"));
                gw.call("joinGroup", Map.of("client_id", first.clientId(), "group", "g1"));
                List<Function<OutboundMessage, CompletableFuture<Router.Delivered>>> pushes = List.of(
                        m -> router.sendToAll(m, null, Set.of()),
                        m -> router.sendToAll(m, List.of(first.clientId()), Set.of()),
                        m -> router.sendToClient(first.clientId(), m),
                        m -> router.sendToUids(List.of("u1"), m, Set.of()),
                        m -> router.sendToGroups(List.of("g1"), m, Set.of()));
                for (var push : pushes) {
                    CompletableFuture<Router.Delivered> f = push.apply(OutboundMessage.text("x".repeat(MAX_PENDING + 1)));
                    assertThatThrownBy(f::join).isInstanceOf(CompletionException.class)
                            .cause().isInstanceOf(MessageTooLargeException.class)
                            .hasMessageContaining("is " + (MAX_PENDING + 1) + " bytes")
                            .hasMessageContaining("outbound.max-pending-bytes (64KiB = 65536 bytes)")
                            .hasMessageContaining("nothing was sent")
                            .hasMessageContaining("at most 65536 bytes, or raise outbound.max-pending-bytes");
                }

                String atTheBound = "y".repeat(MAX_PENDING);
                assertThat(router.sendToAll(OutboundMessage.text(atTheBound), null, Set.of()).join().count()).isEqualTo(3);
                for (WsClient c : clients) {
                    assertThat(c.next(Duration.ofSeconds(20))).as("the first thing after the refused pushes")
                            .isEqualTo(atTheBound);
                }
                assertThat(gw.gateway().stats().slowClientsDropped.sum()).as("closed as slow consumers").isZero();
                assertThat(gw.call("getAllClientIdCount", Map.of()).asInt()).isEqualTo(clients.size());
                for (WsClient c : clients) {
                    assertThat(c.isClosed()).as(c.clientId() + " closed: " + c.closeReason()).isFalse();
                }
            } finally {
                clients.forEach(WsClient::close);
            }
        }
    }
}
