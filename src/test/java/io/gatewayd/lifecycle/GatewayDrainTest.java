package io.gatewayd.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.Gateway;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The facade's DRAINING state (stop -g) and bind-then-serve (jsvc). */
class GatewayDrainTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    @Test
    void drainingClosesListenersKeepsServingAndStopsWhenTheLastClientLeaves() {
        TestGateway gw = TestGateway.start();
        try {
            WsClient client = gw.client();
            gw.call("bindUid", Map.of("client_id", client.clientId(), "uid", "u1"));
            CompletableFuture<Void> done = gw.gateway().drain(null, Duration.ofSeconds(5));

            assertThat(gw.gateway().state()).isEqualTo(Gateway.State.DRAINING);
            assertThatThrownBy(() -> WsClient.connect(gw.wsUri())).as("listener closed");
            assertThat(gw.call("sendToUid", Map.of("uid", "u1", "message", "during drain")).path("delivered").asInt())
                    .isEqualTo(1);
            assertThat(client.next()).isEqualTo("during drain");
            JsonNode status = gw.get("/api/status").json().path("result");
            assertThat(status.path("state").asText()).isEqualTo("draining");
            assertThat(status.path("draining").path("connections_left").asInt()).isEqualTo(1);
            assertThat(gw.get("/health").status()).isEqualTo(200);
            assertThatThrownBy(() -> gw.gateway().reload(gw.gateway().config()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("draining");
            assertThat(done).isNotDone();

            client.close();
            done.orTimeout(LONG.toSeconds(), TimeUnit.SECONDS).join();
            assertThat(gw.gateway().state()).isEqualTo(Gateway.State.STOPPED);
        } finally {
            gw.close();
        }
    }

    @Test
    void aDrainTimeoutStopsWithClientsStillConnectedAndCloses1001() {
        TestGateway gw = TestGateway.start();
        try (WsClient client = gw.client()) {
            gw.gateway().drain(Duration.ofMillis(300), Duration.ofSeconds(5))
                    .orTimeout(LONG.toSeconds(), TimeUnit.SECONDS).join();
            assertThat(client.awaitClose(LONG)).isEqualTo(1001);
        } finally {
            gw.close();
        }
    }

    @Test
    void aStopDuringTheDrainStopsAtOnce() {
        TestGateway gw = TestGateway.start();
        try (WsClient client = gw.client()) {
            CompletableFuture<Void> done = gw.gateway().drain(null, Duration.ofSeconds(5));
            gw.gateway().stop(Duration.ofSeconds(5));
            assertThat(done).isDone();
            assertThat(client.awaitClose(LONG)).isEqualTo(1001);
        } finally {
            gw.close();
        }
    }

    @Test
    void serveLaterBindsButAcceptsClientsOnlyAfterServe() {
        Gateway g = Gateway.builder(TestGateway.config("")).serveLater().start();
        try {
            assertThat(g.state()).isEqualTo(Gateway.State.STARTING);
            int port = g.port("websocket");
            assertThat(port).isPositive();
            // the control port already answers, with 503 "starting"
            var health = java.net.http.HttpClient.newHttpClient();
            var r = health.sendAsync(java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create("http://127.0.0.1:" + g.controlPort() + "/health")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).orTimeout(20, TimeUnit.SECONDS).join();
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.body()).contains("starting");

            // a client connecting now waits in the backlog and is served once serve() runs
            CompletableFuture<WsClient> pending = CompletableFuture.supplyAsync(() ->
                    WsClient.connectAndInit(java.net.URI.create("ws://127.0.0.1:" + port + "/")));
            assertThat(g.registry().size()).isZero();
            g.serve();
            assertThat(g.state()).isEqualTo(Gateway.State.RUNNING);
            WsClient c = pending.orTimeout(30, TimeUnit.SECONDS).join();
            assertThat(c.clientId()).hasSize(20);
            c.close();
        } finally {
            g.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    void registryEmptiesAndDrainFinishesEvenWithManyClients() {
        TestGateway gw = TestGateway.start();
        try {
            WsClient[] clients = new WsClient[5];
            for (int i = 0; i < clients.length; i++) {
                clients[i] = gw.client();
            }
            CompletableFuture<Void> done = gw.gateway().drain(null, Duration.ofSeconds(5));
            for (WsClient c : clients) {
                assertThat(done).isNotDone();
                c.close();
            }
            Await.until("drain finished", LONG, done::isDone);
        } finally {
            gw.close();
        }
    }
}
