package io.gatewayd.server;

import io.gatewayd.GatewayStartException;
import io.gatewayd.config.ConfigException;
import io.gatewayd.config.IoTransport;
import io.gatewayd.config.NodeConfig;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each transport node.transport can name serves clients and the control port alike. */
class TransportTest {
    static boolean available(String transport) {
        return switch (transport) {
            case "io_uring" -> IoUring.isAvailable();
            case "epoll" -> Epoll.isAvailable();
            default -> true;
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void everyTransportDeliversUnicastsAndBroadcasts(String transport) {
        Assumptions.assumeTrue(available(transport), transport + " is not available on this machine");
        try (TestGateway gw = TestGateway.start("node:\n  io-threads: 2\n  transport: " + transport + "\n");
             WsClient a = gw.client(); WsClient b = gw.client()) {
            assertThat(gw.get("/api/status").json().path("result").path("transport").asText()).isEqualTo(transport);
            // two clients accepted one after the other live on different loops, so one of these
            // pushes is read on a loop other than its target's
            for (WsClient c : new WsClient[] {a, b}) {
                assertThat(gw.call("sendToClient", Map.of("client_id", c.clientId(), "message", "to " + c.clientId()))
                        .path("delivered").asLong()).isEqualTo(1);
                assertThat(c.next()).isEqualTo("to " + c.clientId());
            }
            assertThat(gw.call("sendToAll", Map.of("message", "to all")).path("delivered").asLong()).isEqualTo(2);
            assertThat(a.next()).isEqualTo("to all");
            assertThat(b.next()).isEqualTo("to all");
        }
    }

    @Test
    void automaticLoopCountIsOnePerCpuButOne() {
        NodeConfig automatic = new NodeConfig(null, 0, null);
        assertThat(automatic.eventLoops(1)).isEqualTo(1);
        assertThat(automatic.eventLoops(2)).isEqualTo(1);
        assertThat(automatic.eventLoops(16)).isEqualTo(15);
        assertThat(new NodeConfig(null, 3, null).eventLoops(2)).as("io-threads set: as set").isEqualTo(3);
    }

    @Test
    void autoTakesIoUringWhereTheKernelAllowsItElseEpoll() {
        Transport t = Transport.create(IoTransport.AUTO, 1, "transport-test");
        try {
            IoTransport expected = IoUring.isAvailable() ? IoTransport.IO_URING
                    : Epoll.isAvailable() ? IoTransport.EPOLL : IoTransport.NIO;
            assertThat(t.kind()).isEqualTo(expected);
            assertThat(t.fallbackReason() == null).isEqualTo(expected == IoTransport.IO_URING);
        } finally {
            t.shutdown(5);
        }
    }

    @Test
    void reusePortOnNioIsRefusedWithTheReasonAndTheKey() {
        assertThatThrownBy(() -> TestGateway.start("node:\n  transport: nio\nlisteners:\n"
                + "  - url: websocket://127.0.0.1:0\n    reuse-port: true\n"))
                .isInstanceOf(GatewayStartException.class)
                .hasMessageContaining("reuse-port needs a native transport (io_uring or epoll)")
                .hasMessageContaining("runs on nio (node.transport)");
    }

    @Test
    void anUnknownTransportNamesTheKeyAndTheChoices() {
        assertThatThrownBy(() -> TestGateway.config("node:\n  transport: uring\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("test.yaml:2")
                .hasMessageContaining("node.transport")
                .hasMessageContaining("expected one of auto, io_uring, epoll, nio");
    }
}
