package io.gatewayd.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.RedisServer;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three nodes in this JVM on one real Redis, two clients on each: every push from every node to
 * every client, uid and group, broadcasts and exclusions arrive exactly where they should, once;
 * operations on a remote client are visible at once from any node; queries agree on every node.
 */
class ClusterRoutingTest {
    @RegisterExtension
    static final RedisServer REDIS = new RedisServer();

    static ClusterNodes cluster;
    /** clients[node][i] */
    static WsClient[][] clients = new WsClient[3][2];

    @BeforeAll
    static void form() {
        // fanout-threshold 4: a push to 6 uids takes the broadcast path, one to 4 groups the channel path
        cluster = new ClusterNodes(REDIS.url(), 3, "  fanout-threshold: 4\n");
        for (int n = 0; n < 3; n++) {
            for (int i = 0; i < 2; i++) {
                clients[n][i] = cluster.connect(n);
            }
        }
        cluster.awaitClientCount(6);
    }

    /** Tests share the clients: each starts with none bound to a uid. */
    @org.junit.jupiter.api.BeforeEach
    void unbindAll() {
        for (int n = 0; n < 3; n++) {
            for (int i = 0; i < 2; i++) {
                node(n).call("unbindUid", Map.of("client_id", id(n, i)));
            }
        }
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static TestGateway node(int n) {
        return cluster.get(n);
    }

    private static String id(int n, int i) {
        return clients[n][i].clientId();
    }

    private static List<WsClient> all() {
        List<WsClient> out = new ArrayList<>();
        for (WsClient[] row : clients) {
            Collections.addAll(out, row);
        }
        return out;
    }

    /** Sends a sentinel to every client from its own node and returns what each got before it. */
    private static Map<String, List<String>> drain() {
        String sentinel = "sentinel-" + UUID.randomUUID();
        Map<String, List<String>> got = new HashMap<>();
        for (int n = 0; n < 3; n++) {
            for (int i = 0; i < 2; i++) {
                node(n).call("sendToClient", Map.of("client_id", id(n, i), "message", sentinel));
            }
        }
        for (WsClient c : all()) {
            List<String> msgs = new ArrayList<>();
            for (String m = c.next(Duration.ofSeconds(30)); !m.equals(sentinel); m = c.next(Duration.ofSeconds(30))) {
                msgs.add(m);
            }
            Collections.sort(msgs);
            got.put(c.clientId(), msgs);
        }
        return got;
    }

    private static long delivered(JsonNode result) {
        return result.path("delivered").asLong(-1);
    }

    @Test
    void everyPushFromEveryNodeReachesExactlyItsTargetsOnce() {
        Map<String, List<String>> expected = new HashMap<>();
        for (WsClient c : all()) {
            expected.put(c.clientId(), new ArrayList<>());
        }
        // uid u<n><i>, bound through another node; group g<n> joined through a third; the first
        // client of each node is also in "shared" (so in two groups)
        for (int n = 0; n < 3; n++) {
            for (int i = 0; i < 2; i++) {
                assertThat(node((n + 1) % 3).call("bindUid", Map.of("client_id", id(n, i), "uid", "u" + n + i))
                        .asBoolean()).isTrue();
                assertThat(node((n + 2) % 3).call("joinGroup", Map.of("client_id", id(n, i), "group", "g" + n))
                        .asBoolean()).isTrue();
                if (i == 0) {
                    assertThat(node(n).call("joinGroup", Map.of("client_id", id(n, i), "group", "shared")).asBoolean())
                            .isTrue();
                }
            }
        }
        List<String> uids = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            for (int i = 0; i < 2; i++) {
                uids.add("u" + n + i);
            }
        }
        for (int s = 0; s < 3; s++) {
            TestGateway from = node(s);
            for (int n = 0; n < 3; n++) {
                for (int i = 0; i < 2; i++) {
                    String m = "client:" + s + ":" + n + i;
                    JsonNode r = from.call("sendToClient", Map.of("client_id", id(n, i), "message", m));
                    assertThat(delivered(r)).as(m).isEqualTo(1);
                    expected.get(id(n, i)).add(m);
                    m = "uid:" + s + ":" + n + i;
                    r = from.call("sendToUid", Map.of("uid", "u" + n + i, "message", m));
                    assertThat(delivered(r)).as(m).isEqualTo(1);
                    expected.get(id(n, i)).add(m);
                }
                String m = "group:" + s + ":" + n;
                JsonNode r = from.call("sendToGroup", Map.of("group", "g" + n, "message", m));
                assertThat(delivered(r)).as(m).isEqualTo(2);
                assertThat(r.path("delivered_local").asLong()).as(m).isEqualTo(s == n ? 2 : 0);
                expected.get(id(n, 0)).add(m);
                expected.get(id(n, 1)).add(m);
            }
            String m = "uids:" + s;
            JsonNode r = from.call("sendToUid", Map.of("uids", uids, "message", m));
            assertThat(delivered(r)).as(m).isEqualTo(6);
            all().forEach(c -> expected.get(c.clientId()).add(m));

            String mg = "groups:" + s; // a "shared" member is in two of these groups: still once
            r = from.call("sendToGroup", Map.of("groups", List.of("g0", "g1", "g2", "shared"), "message", mg));
            assertThat(delivered(r)).as(mg).isEqualTo(6);
            all().forEach(c -> expected.get(c.clientId()).add(mg));

            String mx = "shared-but:" + s;
            r = from.call("sendToGroup", Map.of("group", "shared", "message", mx, "exclude_client_ids", List.of(id(1, 0))));
            assertThat(delivered(r)).as(mx).isEqualTo(2);
            expected.get(id(0, 0)).add(mx);
            expected.get(id(2, 0)).add(mx);

            String ma = "all:" + s;
            r = from.call("sendToAll", Map.of("message", ma));
            assertThat(delivered(r)).as(ma).isEqualTo(6);
            assertThat(r.path("delivered_local").asLong()).isEqualTo(2);
            assertThat(r.path("remote_nodes").asLong()).isEqualTo(2);
            all().forEach(c -> expected.get(c.clientId()).add(ma));

            String me = "all-but:" + s;
            r = from.call("sendToAll", Map.of("message", me, "exclude_client_ids", List.of(id(0, 0), id(2, 1))));
            assertThat(delivered(r)).as(me).isEqualTo(4);
            all().stream().filter(c -> !c.clientId().equals(id(0, 0)) && !c.clientId().equals(id(2, 1)))
                    .forEach(c -> expected.get(c.clientId()).add(me));

            String ml = "listed:" + s;
            r = from.call("sendToAll", Map.of("message", ml, "client_ids", List.of(id(0, 0), id(1, 1), id(2, 1)),
                    "exclude_client_ids", List.of(id(2, 1))));
            assertThat(delivered(r)).as(ml).isEqualTo(2);
            expected.get(id(0, 0)).add(ml);
            expected.get(id(1, 1)).add(ml);
        }
        expected.values().forEach(Collections::sort);
        assertThat(drain()).isEqualTo(expected);
    }

    @Test
    void bindOrJoinThroughOneNodeThenPushThroughAnotherReachesTheClientAtOnce() {
        for (int k = 0; k < 30; k++) {
            int owner = k % 3;
            WsClient c = clients[owner][k % 2];
            String uid = "ryw-" + k;
            String group = "ryw-g-" + k;
            TestGateway binder = node((owner + 1) % 3);
            TestGateway pusher = node((owner + 2) % 3);
            assertThat(binder.call("bindUid", Map.of("client_id", c.clientId(), "uid", uid)).asBoolean()).isTrue();
            assertThat(delivered(pusher.call("sendToUid", Map.of("uid", uid, "message", "to-" + uid)))).isEqualTo(1);
            assertThat(c.next()).isEqualTo("to-" + uid);
            assertThat(pusher.call("isUidOnline", Map.of("uid", uid)).asBoolean()).isTrue();
            assertThat(pusher.call("getClientIdByUid", Map.of("uid", uid)).toString())
                    .isEqualTo("[\"" + c.clientId() + "\"]");

            assertThat(binder.call("joinGroup", Map.of("client_id", c.clientId(), "group", group)).asBoolean()).isTrue();
            assertThat(delivered(pusher.call("sendToGroup", Map.of("group", group, "message", "to-" + group))))
                    .isEqualTo(1);
            assertThat(c.next()).isEqualTo("to-" + group);

            assertThat(binder.call("leaveGroup", Map.of("client_id", c.clientId(), "group", group)).asBoolean()).isTrue();
            assertThat(pusher.call("getClientIdCountByGroup", Map.of("group", group)).asInt()).isZero();
        }
        // unbind through a remote node: gone at once everywhere
        WsClient c = clients[2][0];
        assertThat(node(0).call("bindUid", Map.of("client_id", c.clientId(), "uid", "gone-soon")).asBoolean()).isTrue();
        assertThat(node(0).call("unbindUid", Map.of("client_id", c.clientId())).asBoolean()).isTrue();
        for (int n = 0; n < 3; n++) {
            assertThat(node(n).call("isUidOnline", Map.of("uid", "gone-soon")).asBoolean()).isFalse();
        }
        assertThat(delivered(node(1).call("sendToUid", Map.of("uid", "gone-soon", "message", "x")))).isZero();
        assertThat(drain().values()).allMatch(List::isEmpty);
    }

    @Test
    void queriesAgreeOnEveryNode() {
        String tag = "q" + UUID.randomUUID().toString().substring(0, 6);
        node(0).call("bindUid", Map.of("client_id", id(1, 0), "uid", tag + "-a"));
        node(2).call("bindUid", Map.of("client_id", id(0, 1), "uid", tag + "-a")); // two connections, one uid
        node(1).call("bindUid", Map.of("client_id", id(2, 1), "uid", tag + "-b"));
        node(1).call("joinGroup", Map.of("client_id", id(0, 0), "group", tag));
        node(2).call("joinGroup", Map.of("client_id", id(1, 0), "group", tag));
        node(0).call("joinGroup", Map.of("client_id", id(2, 1), "group", tag));
        node(0).call("setSession", Map.of("client_id", id(2, 0), "session", Map.of("name", "zoe", "n", 1)));
        node(1).call("updateSession", Map.of("client_id", id(2, 0), "session", Map.of("n", 2)));

        Map<String, Object> group = Map.of("group", tag);
        List<Map.Entry<String, Map<String, Object>>> queries = List.of(
                Map.entry("getAllClientIdCount", Map.of()),
                Map.entry("getAllClientIdList", Map.of()),
                Map.entry("getClientIdByUid", Map.of("uid", tag + "-a")),
                Map.entry("batchGetClientIdByUid", Map.of("uids", List.of(tag + "-a", tag + "-b", tag + "-none"))),
                Map.entry("isUidsOnline", Map.of("uids", List.of(tag + "-a", tag + "-none"))),
                Map.entry("getClientIdCountByGroup", group),
                Map.entry("batchGetClientIdCountByGroup", Map.of("groups", List.of(tag, tag + "-none"))),
                Map.entry("getClientIdListByGroup", group),
                Map.entry("getUidListByGroup", group),
                Map.entry("getUidCountByGroup", group),
                Map.entry("getClientSessionsByGroup", group),
                Map.entry("getAllClientSessions", Map.of()),
                Map.entry("getAllGroupClientIdList", Map.of()),
                Map.entry("getAllGroupUidCount", Map.of()),
                Map.entry("isOnline", Map.of("client_id", id(2, 0))),
                Map.entry("getUidByClientId", Map.of("client_id", id(2, 1))),
                Map.entry("getSession", Map.of("client_id", id(2, 0))));
        Map<String, String> first = new LinkedHashMap<>();
        for (int n = 0; n < 3; n++) {
            for (var q : queries) {
                TestGateway.Response r = node(n).post(q.getKey(), q.getValue());
                assertThat(r.status()).as(q.getKey() + " on node " + n + ": " + r.body()).isEqualTo(200);
                assertThat(r.json().has("partial")).as(q.getKey()).isFalse();
                String result = r.json().get("result").toString();
                String before = first.putIfAbsent(q.getKey(), result);
                if (before != null) {
                    assertThat(result).as(q.getKey() + " on node " + n + " vs node 0").isEqualTo(before);
                }
            }
        }
        assertThat(first.get("getAllClientIdCount")).isEqualTo("6");
        TreeSet<String> ids = new TreeSet<>();
        all().forEach(c -> ids.add(c.clientId()));
        assertThat(first.get("getAllClientIdList")).isEqualTo(JsonNodeText.list(ids));
        assertThat(first.get("getClientIdByUid")).isEqualTo(JsonNodeText.list(new TreeSet<>(List.of(id(1, 0), id(0, 1)))));
        assertThat(first.get("isUidsOnline")).isEqualTo("{\"" + tag + "-a\":true,\"" + tag + "-none\":false}");
        assertThat(first.get("getClientIdCountByGroup")).isEqualTo("3");
        assertThat(first.get("getUidListByGroup")).isEqualTo("[\"" + tag + "-a\",\"" + tag + "-b\"]");
        assertThat(first.get("getUidCountByGroup")).isEqualTo("2");
        assertThat(first.get("isOnline")).isEqualTo("true");
        assertThat(first.get("getUidByClientId")).isEqualTo("\"" + tag + "-b\"");
        assertThat(WsClient.json(first.get("getSession"))).isEqualTo(WsClient.json("{\"name\":\"zoe\",\"n\":2}"));
        assertThat(node(0).call("getAllClientSessions", Map.of()).size()).isEqualTo(6);

        // ungroup from one node empties the group everywhere
        assertThat(node(1).call("ungroup", Map.of("group", tag)).asInt()).isEqualTo(3);
        for (int n = 0; n < 3; n++) {
            assertThat(node(n).call("getClientIdCountByGroup", group).asInt()).isZero();
        }
    }

    @Test
    void aRetryWithTheSameMsgIdIsDeliveredOnce() {
        String mid = "m-" + UUID.randomUUID();
        JsonNode r = node(0).call("sendToAll", Map.of("message", "once", "msg_id", mid));
        assertThat(delivered(r)).isEqualTo(6);
        r = node(1).call("sendToAll", Map.of("message", "once", "msg_id", mid));
        assertThat(delivered(r)).isZero();
        assertThat(node(1).get("/api/status").json().at("/result/api/duplicates_dropped").asLong())
                .as("status counts the repeat as a single node does").isPositive();
        String mid2 = "m-" + UUID.randomUUID();
        assertThat(delivered(node(2).call("sendToClient", Map.of("client_id", id(0, 1), "message", "one", "msg_id", mid2))))
                .isEqualTo(1);
        assertThat(delivered(node(2).call("sendToClient", Map.of("client_id", id(0, 1), "message", "one", "msg_id", mid2))))
                .isZero();
        Map<String, List<String>> got = drain();
        for (WsClient c : all()) {
            List<String> want = c.clientId().equals(id(0, 1)) ? List.of("once", "one") : List.of("once");
            assertThat(got.get(c.clientId())).as(c.clientId()).isEqualTo(new ArrayList<>(new TreeSet<>(want)));
        }
    }

    @Test
    void closingARemoteClientRemovesItEverywhere() {
        WsClient extra = cluster.connect(2);
        cluster.awaitClientCount(7);
        for (int n = 0; n < 3; n++) {
            assertThat(node(n).call("isOnline", Map.of("client_id", extra.clientId())).asBoolean()).isTrue();
        }
        assertThat(node(0).call("closeClient", Map.of("client_id", extra.clientId(), "message", "bye")).asBoolean())
                .isTrue();
        assertThat(extra.next()).isEqualTo("bye");
        for (int n = 0; n < 3; n++) {
            assertThat(node(n).call("isOnline", Map.of("client_id", extra.clientId())).asBoolean()).isFalse();
            assertThat(node(n).call("getAllClientIdCount", Map.of()).asInt()).isEqualTo(6);
        }
        assertThat(node(1).call("closeClient", Map.of("client_id", extra.clientId())).asBoolean()).isFalse();
    }

    /** JSON text of a sorted list of strings. */
    static final class JsonNodeText {
        static String list(java.util.Collection<String> items) {
            StringBuilder sb = new StringBuilder("[");
            for (String s : items) {
                if (sb.length() > 1) {
                    sb.append(',');
                }
                sb.append('"').append(s).append('"');
            }
            return sb.append(']').toString();
        }
    }
}
