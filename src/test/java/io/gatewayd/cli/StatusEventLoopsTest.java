package io.gatewayd.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The transport row of `gatewayctl status`: the event loops' connections and backlogs, side by side. */
class StatusEventLoopsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void eachLoopsConnectionsAndBacklogInLoopOrder() throws Exception {
        assertThat(StatusCommand.eventLoops(JSON.readTree(
                "[{\"connections\":406,\"backlog\":0},{\"connections\":407,\"backlog\":12}]")))
                .isEqualTo(", 2 event loops: 406 / 407 connections, backlog 0 / 12");
        assertThat(StatusCommand.eventLoops(JSON.readTree("[{\"connections\":3,\"backlog\":0}]")))
                .isEqualTo(", 1 event loop: 3 connections, backlog 0");
        assertThat(StatusCommand.eventLoops(JSON.readTree("[{\"connections\":1,\"backlog\":0}]")))
                .isEqualTo(", 1 event loop: 1 connection, backlog 0");
    }

    @Test
    void aGatewayWithoutTheSectionShowsJustItsTransport() throws Exception {
        assertThat(StatusCommand.eventLoops(JSON.readTree("{}").path("event_loops"))).isEmpty();
    }
}
