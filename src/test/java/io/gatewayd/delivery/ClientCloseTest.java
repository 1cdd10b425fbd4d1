package io.gatewayd.delivery;

import io.gatewayd.Gateway;
import io.gatewayd.registry.Connection;
import io.gatewayd.routing.Router;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that closes (sends its close frame) right after the backend was told a push reached
 * it must still get that push before the gateway's answering close frame. The push may still
 * wait in the lane when the close frame is read: a broadcast is written in slices with reads in
 * between, and io_uring can read before the loop runs its queued writes (a soak with clients
 * closing while pushes flowed lost about one such push in a few thousand closes; 200 clients closing
 * right after a sendToAll with write-slice 1 lost it on every one). Here the pushes and the
 * client's close frame, fed to the pipeline as the bytes a read would bring, come in one task on
 * the client's loop, so the pushes are certain to be queued, unwritten, when the close frame
 * arrives: on every transport.
 */
class ClientCloseTest {
    @ParameterizedTest
    @ValueSource(strings = {"io_uring", "epoll", "nio"})
    void pushesAnsweredBeforeTheClientsCloseFrameReachItBeforeTheAnsweringCloseFrame(String transport)
            throws Exception {
        String yaml = "node:\n  transport: " + transport + "\nlisteners:\n  - url: websocket://127.0.0.1:0\n"
                + "control:\n  listen: http://127.0.0.1:0\n";
        try (TestGateway gw = TestGateway.start(Gateway.builder(TestGateway.config(yaml)));
             RawClient client = new RawClient(gw.wsUri().getPort())) {
            assertThat(client.upgrade()).contains(" 101 ");
            String id = WsClient.json(client.readFrame().text()).get("client_id").asText();
            Router router = gw.gateway().router();
            Connection c = gw.gateway().registry().get(id);
            byte[] closeFrame = RawClient.frame(true, 0, 8, true, new byte[] {0x03, (byte) 0xe8});

            c.channel().eventLoop().submit(() -> {
                router.sendToAll(OutboundMessage.text("to all"), null, Set.of());
                router.sendToClient(id, OutboundMessage.text("to you"));
                c.channel().pipeline().fireChannelRead(Unpooled.wrappedBuffer(closeFrame));
                c.channel().pipeline().fireChannelReadComplete();
            }).get(10, TimeUnit.SECONDS);

            List<String> received = client.framesUntilEnd();
            assertThat(received).as("what was pushed before the client's close frame, then the answering close frame")
                    .containsExactly("to all", "to you", "close frame 1000");
        }
    }
}
