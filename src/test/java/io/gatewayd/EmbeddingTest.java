package io.gatewayd;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.gatewayd.config.ConfigException;
import io.gatewayd.config.CronConfig;
import io.gatewayd.config.CronJobConfig;
import io.gatewayd.config.GatewayConfig;
import io.gatewayd.config.ListenerConfig;
import io.gatewayd.config.PathsConfig;
import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.registry.Registry;
import io.gatewayd.testing.Await;
import io.gatewayd.registry.Connection;
import io.gatewayd.server.ClientEvents;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The facade as code embedding gatewayd uses it: built in code, driven from its own threads and callbacks. */
class EmbeddingTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    /** The README's "Embedding" example, as an embedder writes it: no Netty type, no 15-argument record. */
    @Test
    void anEmbedderStartsAGatewayHearsItsClientsAndAddsACronJobInAFewLines(@TempDir Path runDir) throws Exception {
        BlockingQueue<String> heard = new LinkedBlockingQueue<>();
        ClientEvents events = new ClientEvents() {
            @Override
            public void onConnect(Connection c, HandshakeInfo handshake) {
                heard.add(handshake.path() + " room=" + handshake.query().get("room") + " app="
                        + handshake.header("x-app"));
            }

            @Override
            public void onMessage(Connection c, Message message) {
                heard.add(message.text() + " (" + message.length() + " bytes)");
            }
        };
        // a run-on: one job keeps its lock files under paths.run-dir: here, not in the working directory
        GatewayConfig config = GatewayConfig.ephemeral().withPaths(new PathsConfig(runDir.toString(), null, null));
        try (Gateway gw = Gateway.builder(config).clientEvents(events).start();
             WsClient client = WsClient.connect(HttpClient.newHttpClient().newWebSocketBuilder()
                     .header("X-App", "demo"), URI.create("ws://127.0.0.1:" + gw.port("websocket") + "/chat?room=7"))) {
            client.init();
            assertThat(heard.poll(LONG.toSeconds(), TimeUnit.SECONDS)).isEqualTo("/chat room=[7] app=demo");
            client.send("hi");
            assertThat(heard.poll(LONG.toSeconds(), TimeUnit.SECONDS)).isEqualTo("hi (2 bytes)");

            gw.reload(gw.config().withCron(gw.config().cron().withJob(CronJobConfig.builder("tick")
                    .every(Duration.ofSeconds(1)).push("all", "tick from ${job}").build())));
            assertThat(client.next()).isEqualTo("tick from tick");
            assertThat(runDir.resolve("cron")).isDirectory();
        }
    }

    @Test
    void aCronJobBuiltInCodeIsValidatedAsTheConfigFileWouldBe() {
        CronJobConfig job = CronJobConfig.builder("report").schedule("0 0 * * *").http("http://127.0.0.1/report")
                .build();
        assertThat(job.overlap()).isEqualTo(CronJobConfig.Overlap.FORBID);
        assertThat(job.misfireGrace()).isEqualTo(Duration.ofSeconds(5));
        assertThat(job.http().timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> CronJobConfig.builder("tick").push("all", "tick").build())
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("schedule is missing");
        assertThatThrownBy(() -> CronConfig.defaults().withJob(job).withJob(job))
                .isInstanceOf(ConfigException.class).hasMessageContaining("\"report\" is used by an earlier job");
    }

    @Test
    void stopCalledFromAClientEventCallbackStopsTheGateway() {
        Gateway[] self = new Gateway[1];
        CompletableFuture<Gateway.State> stateAfterStop = new CompletableFuture<>();
        ClientEvents stopOnMessage = new ClientEvents() {
            @Override
            public void onMessage(Connection c, ClientEvents.Message message) {
                self[0].stop(Duration.ofSeconds(5)); // on the connection's event loop
                stateAfterStop.complete(self[0].state());
            }
        };
        TestGateway gw = TestGateway.start(Gateway.builder(GatewayConfig.ephemeral()).clientEvents(stopOnMessage));
        self[0] = gw.gateway();
        try (WsClient client = gw.client()) {
            client.send("stop please");

            assertThat(stateAfterStop.orTimeout(LONG.toSeconds(), TimeUnit.SECONDS).join())
                    .isIn(Gateway.State.STOPPING, Gateway.State.STOPPED);
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

    @Test
    void aListenerThatThrowsLeavesTheConnectionAndTheOtherListenersAlone() throws Exception {
        ClientEvents broken = new ClientEvents() {
            @Override
            public void onConnect(Connection c, HandshakeInfo handshake) {
                throw new IllegalStateException("listener bug on connect");
            }

            @Override
            public void onMessage(Connection c, ClientEvents.Message message) {
                throw new IllegalStateException("listener bug on message");
            }

            @Override
            public void onClose(Connection c, Registry.Snapshot snapshot, int closeCode, String reason) {
                throw new IllegalStateException("listener bug on close");
            }
        };
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        ClientEvents recorder = new ClientEvents() {
            @Override
            public void onConnect(Connection c, HandshakeInfo handshake) {
                seen.add("connect");
            }

            @Override
            public void onMessage(Connection c, ClientEvents.Message message) {
                seen.add("message " + message.text());
            }

            @Override
            public void onClose(Connection c, Registry.Snapshot snapshot, int closeCode, String reason) {
                seen.add("close " + closeCode);
            }
        };
        try (TestGateway gw = TestGateway.start(Gateway.builder(GatewayConfig.ephemeral())
                .clientEvents(broken).clientEvents(recorder))) {
            WsClient client = gw.client();
            assertThat(seen.poll(LONG.toSeconds(), TimeUnit.SECONDS)).isEqualTo("connect");
            client.send("hello");
            assertThat(seen.poll(LONG.toSeconds(), TimeUnit.SECONDS)).isEqualTo("message hello");

            assertThat(gw.gateway().router().sendToClient(client.clientId(), OutboundMessage.text("still here"))
                    .get(LONG.toSeconds(), TimeUnit.SECONDS).count()).isEqualTo(1);
            assertThat(client.next()).isEqualTo("still here");

            client.close();
            assertThat(seen.poll(LONG.toSeconds(), TimeUnit.SECONDS)).isEqualTo("close 1000");
        }
    }

    @Test
    void aListenerThatBlocksItsEventLoopIsWarnedAbout() {
        Logger log = (Logger) LoggerFactory.getLogger(ClientEvents.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        log.addAppender(logged);
        ClientEvents blocking = new ClientEvents() {
            @Override
            public void onMessage(Connection c, ClientEvents.Message message) {
                try {
                    Thread.sleep(300); // the mistake under test: blocking work on the event loop
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        try (TestGateway gw = TestGateway.start(Gateway.builder(GatewayConfig.ephemeral()).clientEvents(blocking));
             WsClient client = gw.client()) {
            client.send("slow");
            Await.until("a warning about the blocking listener", () -> List.copyOf(logged.list).stream()
                    .anyMatch(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains(
                            blocking.getClass().getName() + ".onMessage took")
                            && e.getFormattedMessage().contains("gatewayd-io")));
        } finally {
            log.detachAppender(logged);
        }
    }

    @Test
    void aConfigBuiltInCodeIsRefusedAsAConfigExceptionNamingTheKey() {
        assertThatThrownBy(() -> ListenerConfig.of("websocket://127.0.0.1:99999"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("url port 99999 in \"websocket://127.0.0.1:99999\" is out of range 0-65535")
                .extracting(e -> ((ConfigException) e).key()).isEqualTo("url");
        assertThatThrownBy(() -> GatewayConfig.ephemeral().withListeners(List.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("listeners is empty; configure at least one");
    }

    @Test
    void nullArgumentsAreRefusedSayingWhatToPass() {
        assertThatThrownBy(() -> Gateway.start(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("GatewayConfig.defaults()");
        assertThatThrownBy(() -> Gateway.builder(GatewayConfig.ephemeral()).clientEvents(null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("listener is null");
        try (TestGateway gw = TestGateway.start()) {
            assertThatThrownBy(() -> gw.gateway().reload(null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("config is null");
            assertThat(gw.gateway().state()).isEqualTo(Gateway.State.RUNNING);
        }
    }

    @Test
    void timersAndCronJobsAddedFromCodePushAndATimerAfterStopIsRefused(@TempDir Path runDir) throws Exception {
        TestGateway gw = TestGateway.start(Gateway.builder(
                GatewayConfig.ephemeral().withPaths(new PathsConfig(runDir.toString(), null, null))));
        Gateway gateway = gw.gateway();
        try (WsClient client = gw.client()) {
            gateway.timers().delay(Duration.ofMillis(10), () ->
                    gateway.router().sendToClient(client.clientId(), OutboundMessage.text("from a timer")));
            assertThat(client.next()).isEqualTo("from a timer");

            CronJobConfig job = CronJobConfig.builder("tick").every(Duration.ofSeconds(1))
                    .push("all", "tick from ${job}").build();
            assertThat(gateway.reload(gateway.config().withCron(CronConfig.ofJobs(List.of(job))))).isEmpty();
            assertThat(client.next()).isEqualTo("tick from tick");
            assertThat(runDir.resolve("cron")).isDirectory();
        } finally {
            closeWithin(gateway);
        }
        assertThatThrownBy(() -> gateway.timers().add(Duration.ofSeconds(1), () -> { }, true))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("stopped");
    }

    @Test
    void twentyGatewaysStartedAndStoppedInOneJvmLeaveNoThreadBehind() {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        for (int i = 0; i < 20; i++) {
            Gateway gateway = Gateway.start(GatewayConfig.ephemeral());
            gateway.timers().add(Duration.ofMinutes(1), () -> { }, true);
            gateway.close();
        }
        // threads end a moment after they are told to: wait for that, but never for a garbage collection
        try {
            Await.until("every thread the gateways started has ended", () -> newThreads(before).isEmpty());
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; still running: " + newThreads(before), e);
        }
    }

    private static String newThreads(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> !before.contains(t) && t.isAlive())
                .map(Thread::getName).sorted().collect(Collectors.joining(", "));
    }

    @Test
    void drainCalledFromAClientEventCallbackDrainsAndStops() {
        Gateway[] self = new Gateway[1];
        ClientEvents drainOnMessage = new ClientEvents() {
            @Override
            public void onMessage(Connection c, ClientEvents.Message message) {
                self[0].drain(Duration.ofMillis(200), Duration.ofSeconds(5));
            }
        };
        TestGateway gw = TestGateway.start(Gateway.builder(GatewayConfig.ephemeral()).clientEvents(drainOnMessage));
        self[0] = gw.gateway();
        try (WsClient client = gw.client()) {
            client.send("drain please");

            gw.gateway().terminated().orTimeout(LONG.toSeconds(), TimeUnit.SECONDS).join();
            assertThat(client.awaitClose(LONG)).isEqualTo(1001);
        } finally {
            closeWithin(gw.gateway());
        }
    }

    @Test
    void reloadCalledFromAClientEventCallbackIsRefusedAndTheGatewayStillReloads() throws Exception {
        Gateway[] self = new Gateway[1];
        CompletableFuture<Throwable> refused = new CompletableFuture<>();
        GatewayConfig withText = GatewayConfig.ephemeral().withListeners(List.of(
                GatewayConfig.ephemeral().listeners().get(0), ListenerConfig.of("text://127.0.0.1:0")));
        ClientEvents reloadOnMessage = new ClientEvents() {
            @Override
            public void onMessage(Connection c, ClientEvents.Message message) {
                try {
                    self[0].reload(withText);
                    refused.complete(null);
                } catch (RuntimeException e) {
                    refused.complete(e);
                }
            }
        };
        try (TestGateway gw = TestGateway.start(Gateway.builder(GatewayConfig.ephemeral())
                .clientEvents(reloadOnMessage)); WsClient client = gw.client()) {
            self[0] = gw.gateway();
            client.send("reload please");

            assertThat(refused.get(LONG.toSeconds(), TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("thread of your own");
            assertThat(gw.gateway().reload(withText)).isEmpty();
            assertThat(gw.gateway().port("text")).isPositive();
        }
    }

    @Test
    void stopCalledFromACloseCallbackDuringAStopDoesNotHoldUpItsEventLoop() {
        Gateway[] self = new Gateway[1];
        CompletableFuture<Boolean> returnedBeforeTheEnd = new CompletableFuture<>();
        ClientEvents stopOnClose = new ClientEvents() {
            @Override
            public void onClose(Connection c, Registry.Snapshot snapshot, int closeCode, String reason) {
                self[0].stop(Duration.ofSeconds(5)); // the stop going on waits for this very loop
                returnedBeforeTheEnd.complete(!self[0].terminated().isDone());
            }
        };
        TestGateway gw = TestGateway.start(Gateway.builder(GatewayConfig.ephemeral()).clientEvents(stopOnClose));
        self[0] = gw.gateway();
        try (WsClient client = gw.client()) {
            closeWithin(gw.gateway());

            assertThat(returnedBeforeTheEnd.orTimeout(LONG.toSeconds(), TimeUnit.SECONDS).join()).isTrue();
            assertThat(client.awaitClose(LONG)).isEqualTo(1001);
        }
    }
}
