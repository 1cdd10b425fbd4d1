package io.gatewayd.routing;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A backend that retries a push after a timeout or a lost connection sends the same msg_id, as the
 * PHP and Python clients tell it to: a single node (no cluster:) delivers it once, as a cluster
 * node does, and answers a repeat as a push that reached nobody.
 */
class MsgIdSingleNodeTest {
    static final Duration WAIT = Duration.ofSeconds(20);

    /** A client that is bound to uid "u" and in group "g", so every push method reaches it. */
    private static WsClient target(TestGateway gw) {
        WsClient c = gw.client();
        gw.call("bindUid", Map.of("client_id", c.clientId(), "uid", "u"));
        gw.call("joinGroup", Map.of("client_id", c.clientId(), "group", "g"));
        return c;
    }

    private static Map<String, Object> push(String method, WsClient to, String message, String msgId) {
        Map<String, Object> p = new HashMap<>();
        switch (method) {
            case "sendToClient" -> p.put("client_id", to.clientId());
            case "sendToUid" -> p.put("uid", "u");
            case "sendToGroup" -> p.put("group", "g");
            default -> {
            }
        }
        p.put("message", message);
        if (msgId != null) {
            p.put("msg_id", msgId);
        }
        return p;
    }

    /** A push of {@code method} that reaches no client. */
    private static Map<String, Object> toNobody(String method, WsClient only) {
        return switch (method) {
            case "sendToAll" -> Map.of("message", "x", "exclude_client_ids", List.of(only.clientId()));
            case "sendToClient" -> Map.of("message", "x", "client_id", "7f0000011f9000000001");
            case "sendToUid" -> Map.of("message", "x", "uid", "nobody");
            default -> Map.of("message", "x", "group", "nobody");
        };
    }

    /** What {@code c} received up to a final marker pushed after everything else. */
    private static List<String> received(TestGateway gw, WsClient c) {
        gw.call("sendToClient", Map.of("client_id", c.clientId(), "message", "end"));
        List<String> got = new ArrayList<>();
        for (String m = c.next(WAIT); !m.equals("end"); m = c.next(WAIT)) {
            got.add(m);
        }
        return got;
    }

    private static long dropped(TestGateway gw) {
        return gw.get("/api/status").json().at("/result/api/duplicates_dropped").asLong(-1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"sendToAll", "sendToClient", "sendToUid", "sendToGroup"})
    void aRepeatedMsgIdIsDeliveredOnceAndAnsweredAsAPushThatReachedNobody(String method) {
        try (TestGateway gw = TestGateway.start(); WsClient c = target(gw)) {
            JsonNode first = gw.call(method, push(method, c, "m1", "id-1"));
            assertThat(first.path("delivered").asLong()).isEqualTo(1);

            TestGateway.Response repeat = gw.post(method, push(method, c, "m1", "id-1"));
            assertThat(repeat.status()).isEqualTo(200);
            assertThat(repeat.json().get("result")).isEqualTo(WsClient.json("{\"delivered\":0}"));
            // byte for byte what a push that reached nobody answers (a cluster node says delivered 0 too)
            assertThat(repeat.body()).isEqualTo(gw.post(method, toNobody(method, c)).body());

            assertThat(gw.call(method, push(method, c, "m2", "id-2")).path("delivered").asLong()).isEqualTo(1);
            assertThat(gw.call(method, push(method, c, "m3", null)).path("delivered").asLong()).isEqualTo(1);
            assertThat(gw.call(method, push(method, c, "m3", null)).path("delivered").asLong()).isEqualTo(1);

            assertThat(received(gw, c)).containsExactly("m1", "m2", "m3", "m3");
            assertThat(dropped(gw)).isEqualTo(1);
        }
    }

    private static long delivered(TestGateway gw, String message, String msgId) {
        return gw.call("sendToAll", push("sendToAll", null, message, msgId)).path("delivered").asLong();
    }

    @Test
    void onceTheWindowHasPassedTheSameIdIsDeliveredAgainAndAReloadedWindowApplies() {
        try (TestGateway gw = TestGateway.start(); WsClient c = target(gw)) {
            assertThat(delivered(gw, "w", "w")).isEqualTo(1);
            assertThat(delivered(gw, "w", "w")).as("within the default 5m window").isZero();

            List<String> notes = gw.gateway().reload(TestGateway.config(
                    "control:\n  listen: http://127.0.0.1:0\n  dedup-window: 200ms\n"));
            assertThat(notes).as("applied by the reload, not noted as waiting for a restart").isEmpty();
            // the id seen before the reload is kept, and now forgotten 200ms after it was seen
            Await.until("the same id is delivered again after the 200ms window", WAIT,
                    () -> delivered(gw, "w", "w") == 1);
            assertThat(received(gw, c)).containsExactly("w", "w");
        }
    }

    @Test
    void theBoundForgetsTheOldestIdsFirst() {
        try (TestGateway gw = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  dedup-max-entries: 2\n");
             WsClient c = target(gw)) {
            for (String id : List.of("a", "b", "c")) {
                assertThat(delivered(gw, id, id)).isEqualTo(1);
            }
            assertThat(delivered(gw, "a", "a")).as("the oldest of three, over a bound of two").isEqualTo(1);
            assertThat(delivered(gw, "c", "c")).as("still one of the two newest").isZero();
            assertThat(received(gw, c)).containsExactly("a", "b", "c", "a");
        }
    }

    @Test
    void anEmbedderPushingThroughTheRouterGetsTheSameDedup() {
        try (TestGateway gw = TestGateway.start(); WsClient c = target(gw)) {
            Router router = gw.gateway().router();
            assertThat(router.sendToGroups(List.of("g"), OutboundMessage.text("e").msgId("e1"), Set.of()).join().count())
                    .isEqualTo(1);
            assertThat(router.sendToUids(List.of("u"), OutboundMessage.text("e").msgId("e1"), Set.of()).join())
                    .isEqualTo(Router.Delivered.NONE);
            assertThat(router.sendToClient(c.clientId(), OutboundMessage.text("n")).join().count()).isEqualTo(1);
            assertThat(router.sendToClient(c.clientId(), OutboundMessage.text("n")).join().count()).isEqualTo(1);
            assertThat(received(gw, c)).containsExactly("e", "n", "n");
        }
    }

    @Test
    void aPushRefusedAtOnceLeavesItsIdFreeForTheRetry() {
        try (TestGateway gw = TestGateway.start("outbound:\n  max-pending-bytes: 64KiB\n"); WsClient c = target(gw)) {
            TestGateway.Response tooLarge = gw.post("sendToAll", push("sendToAll", c, "x".repeat(64 * 1024 + 1), "r1"));
            assertThat(tooLarge.status()).isEqualTo(413);
            // nothing was queued: the retry with the same id, now small enough, is delivered
            assertThat(delivered(gw, "small", "r1")).isEqualTo(1);
            assertThat(delivered(gw, "small", "r1")).isZero();
            assertThat(received(gw, c)).containsExactly("small");
        }
    }
}
