package io.gatewayd.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Every GatewayClient method over the real control port, against real WebSocket clients. */
class ControlApiTest {
    static TestGateway gw;
    final List<WsClient> clients = new ArrayList<>();

    @BeforeAll
    static void start() {
        gw = TestGateway.start();
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @AfterEach
    void disconnect() {
        clients.forEach(WsClient::close);
        Await.until("all test clients are gone", () -> gw.gateway().registry().size() == 0);
    }

    WsClient client() {
        WsClient c = gw.client();
        clients.add(c);
        return c;
    }

    static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void sendToUidReachesEveryConnectionOfTheUid() {
        WsClient a1 = client();
        WsClient a2 = client();
        WsClient b = client();
        gw.call("bindUid", Map.of("client_id", a1.clientId(), "uid", "42"));
        gw.call("bindUid", Map.of("client_id", a2.clientId(), "uid", 42)); // number and string are one key
        gw.call("bindUid", Map.of("client_id", b.clientId(), "uid", "7"));

        JsonNode r = gw.call("sendToUid", Map.of("uid", "42", "message", Map.of("type", "PORTAL_BIND")));
        assertThat(r.get("delivered").asInt()).isEqualTo(2);
        assertThat(a1.nextJson().get("type").asText()).isEqualTo("PORTAL_BIND");
        assertThat(a2.nextJson().get("type").asText()).isEqualTo("PORTAL_BIND");

        r = gw.call("sendToUid", Map.of("uids", List.of("42", "7"), "message", "both"));
        assertThat(r.get("delivered").asInt()).isEqualTo(3);
        assertThat(b.next()).isEqualTo("both");
        assertThat(a1.next()).isEqualTo("both");

        assertThat(strings(gw.call("getClientIdByUid", Map.of("uid", 42))))
                .containsExactlyInAnyOrder(a1.clientId(), a2.clientId());
        assertThat(gw.call("isUidOnline", Map.of("uid", "42")).asBoolean()).isTrue();
        assertThat(gw.call("isUidOnline", Map.of("uid", "nobody")).asBoolean()).isFalse();
        JsonNode online = gw.call("isUidsOnline", Map.of("uids", List.of("42", "x")));
        assertThat(online.get("42").asBoolean()).isTrue();
        assertThat(online.get("x").asBoolean()).isFalse();
        JsonNode batch = gw.call("batchGetClientIdByUid", Map.of("uids", List.of("7", "x")));
        assertThat(strings(batch.get("7"))).containsExactly(b.clientId());
        assertThat(batch.get("x").size()).isZero();
        assertThat(gw.call("getUidByClientId", Map.of("client_id", b.clientId())).asText()).isEqualTo("7");
        assertThat(strings(gw.call("getAllUidList", Map.of()))).containsExactlyInAnyOrder("42", "7");
        assertThat(gw.call("getAllUidCount", Map.of()).asInt()).isEqualTo(2);
    }

    @Test
    void bindingAgainReplacesTheUidAndUnbindRemovesIt() {
        WsClient a = client();
        gw.call("bindUid", Map.of("client_id", a.clientId(), "uid", "1"));
        gw.call("bindUid", Map.of("client_id", a.clientId(), "uid", "2"));
        assertThat(gw.call("isUidOnline", Map.of("uid", "1")).asBoolean()).isFalse();
        assertThat(gw.call("getUidByClientId", Map.of("client_id", a.clientId())).asText()).isEqualTo("2");
        // GatewayWorker ignores unbindUid's uid argument; so do we (documented)
        assertThat(gw.call("unbindUid", Map.of("client_id", a.clientId(), "uid", "whatever")).asBoolean()).isTrue();
        assertThat(gw.call("getUidByClientId", Map.of("client_id", a.clientId())).isNull()).isTrue();
        assertThat(gw.call("getAllUidCount", Map.of()).asInt()).isZero();
    }

    @Test
    void zeroIsAValidUidAndGroup() {
        WsClient a = client();
        assertThat(gw.call("bindUid", Map.of("client_id", a.clientId(), "uid", "0")).asBoolean()).isTrue();
        assertThat(gw.call("joinGroup", Map.of("client_id", a.clientId(), "group", 0)).asBoolean()).isTrue();
        assertThat(gw.call("sendToGroup", Map.of("group", "0", "message", "g0")).get("delivered").asInt()).isEqualTo(1);
        assertThat(a.next()).isEqualTo("g0");
    }

    @Test
    void groupsJoinLeaveExcludeAndUngroup() {
        WsClient a = client();
        WsClient b = client();
        WsClient c = client();
        for (WsClient x : List.of(a, b)) {
            gw.call("joinGroup", Map.of("client_id", x.clientId(), "group", "room1"));
        }
        gw.call("joinGroup", Map.of("client_id", b.clientId(), "group", "room2"));
        gw.call("joinGroup", Map.of("client_id", c.clientId(), "group", "room2"));
        gw.call("bindUid", Map.of("client_id", a.clientId(), "uid", "ua"));
        gw.call("bindUid", Map.of("client_id", b.clientId(), "uid", "ub"));

        JsonNode r = gw.call("sendToGroup", Map.of("group", "room1", "message", "hi room1",
                "exclude_client_ids", List.of(a.clientId())));
        assertThat(r.get("delivered").asInt()).isEqualTo(1);
        assertThat(b.next()).isEqualTo("hi room1");

        // b is in both groups and gets the message once
        r = gw.call("sendToGroup", Map.of("groups", List.of("room1", "room2"), "message", "both rooms"));
        assertThat(r.get("delivered").asInt()).isEqualTo(3);
        assertThat(a.next()).isEqualTo("both rooms");
        assertThat(b.next()).isEqualTo("both rooms");
        assertThat(c.next()).isEqualTo("both rooms");

        assertThat(gw.call("getClientIdCountByGroup", Map.of("group", "room1")).asInt()).isEqualTo(2);
        assertThat(gw.call("getClientCountByGroup", Map.of()).asInt()).as("no group: all clients").isEqualTo(3);
        JsonNode counts = gw.call("batchGetClientIdCountByGroup", Map.of("groups", List.of("room1", "room2", "none")));
        assertThat(counts.get("room1").asInt()).isEqualTo(2);
        assertThat(counts.get("room2").asInt()).isEqualTo(2);
        assertThat(counts.get("none").asInt()).isZero();
        assertThat(strings(gw.call("getClientIdListByGroup", Map.of("group", "room2"))))
                .containsExactlyInAnyOrder(b.clientId(), c.clientId());
        assertThat(strings(gw.call("getUidListByGroup", Map.of("group", "room1")))).containsExactly("ua", "ub");
        assertThat(gw.call("getUidCountByGroup", Map.of("group", "room2")).asInt()).isEqualTo(1);
        assertThat(strings(gw.call("getAllGroupIdList", Map.of()))).containsExactly("room1", "room2");

        // the whole scan, without GatewayWorker's early `break`: c has no uid, yet is counted
        JsonNode all = gw.call("getAllGroupClientIdCount", Map.of());
        assertThat(all.get("room1").asInt()).isEqualTo(2);
        assertThat(all.get("room2").asInt()).isEqualTo(2);
        assertThat(strings(gw.call("getAllGroupClientIdList", Map.of()).get("room2")))
                .containsExactlyInAnyOrder(b.clientId(), c.clientId());
        assertThat(strings(gw.call("getAllGroupUidList", Map.of()).get("room1"))).containsExactly("ua", "ub");
        assertThat(gw.call("getAllGroupUidCount", Map.of()).get("room2").asInt()).isEqualTo(1);

        gw.call("leaveGroup", Map.of("client_id", a.clientId(), "group", "room1"));
        assertThat(gw.call("getClientIdCountByGroup", Map.of("group", "room1")).asInt()).isEqualTo(1);

        assertThat(gw.call("ungroup", Map.of("group", "room2")).asInt()).isEqualTo(2);
        assertThat(strings(gw.call("getAllGroupIdList", Map.of()))).containsExactly("room1");
        assertThat(gw.call("sendToGroup", Map.of("group", "room2", "message", "x")).get("delivered").asInt()).isZero();
    }

    @Test
    void sendToAllWithClientListAndExclusions() {
        WsClient a = client();
        WsClient b = client();
        WsClient c = client();
        JsonNode r = gw.call("sendToAll", Map.of("message", "everyone", "exclude_client_ids", List.of(c.clientId())));
        assertThat(r.get("delivered").asInt()).isEqualTo(2);
        assertThat(a.next()).isEqualTo("everyone");
        assertThat(b.next()).isEqualTo("everyone");

        r = gw.call("sendToAll", Map.of("message", "only b", "client_ids", List.of(b.clientId())));
        assertThat(r.get("delivered").asInt()).isEqualTo(1);
        assertThat(b.next()).isEqualTo("only b");

        r = gw.call("sendToAll", Map.of("message", "nobody", "client_ids", List.of()));
        assertThat(r.get("delivered").asInt()).as("an empty list sends nothing, as in GatewayWorker").isZero();

        // PHP GatewayClient sends id maps such as {"id":"id"}; accept them too
        r = gw.call("sendToAll", Map.of("message", "php style", "exclude_client_ids",
                Map.of(a.clientId(), a.clientId(), b.clientId(), b.clientId())));
        assertThat(r.get("delivered").asInt()).isEqualTo(1);
        assertThat(c.next()).isEqualTo("php style");
        assertThat(a.poll()).isNull();
    }

    /**
     * A PHP user writing the call from GatewayWorker's signature sends client_id_array: ignored, it
     * would make a message meant for one client a broadcast to all. Nobody may get it, and the error
     * names our spelling.
     */
    @Test
    void aParameterTheMethodDoesNotTakeIsRefusedNotIgnored() {
        WsClient a = client();
        WsClient b = client();
        TestGateway.Response r = gw.post("sendToAll", Map.of("message", "for a only", "client_id_array",
                List.of(a.clientId())));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("invalid_param");
        assertThat(r.errorMessage()).isEqualTo("field \"client_id_array\" is not a parameter of sendToAll (it takes"
                + " message | message_base64, client_ids?, exclude_client_ids?, msg_id?); GatewayWorker's"
                + " $client_id_array is \"client_ids\" here");
        assertThat(gw.post("sendToGroup", Map.of("group", "g", "message", "m", "exclude_client_id", a.clientId()))
                .errorMessage()).endsWith("GatewayWorker's $exclude_client_id is \"exclude_client_ids\" here");
        assertThat(gw.post("sendToUid", Map.of("uid", "u", "mesage", "m")).errorMessage())
                .isEqualTo("field \"mesage\" is not a parameter of sendToUid (it takes uid | uids, message |"
                        + " message_base64, exclude_client_ids?, msg_id?); did you mean \"message\"?");
        assertThat(gw.post("getAllClientIdCount", Map.of("group", "g")).errorMessage())
                .isEqualTo("field \"group\" is not a parameter of getAllClientIdCount, which takes none");
        assertThat(gw.get("/api/getUidByClientId?client_id=" + a.clientId() + "&uid=1").errorCode())
                .as("a GET's query is checked too").isEqualTo("invalid_param");

        // what each method documents is still taken, an ignored uid and a msg_id included
        gw.call("sendToAll", Map.of("message", "for b", "client_ids", List.of(b.clientId()), "msg_id", "m1"));
        assertThat(gw.call("unbindUid", Map.of("client_id", a.clientId(), "uid", "ignored")).asBoolean()).isTrue();
        assertThat(b.next()).isEqualTo("for b");
        assertThat(a.poll()).as("the refused calls sent nothing").isNull();
    }

    @Test
    void sessionsSetUpdateDeepMergeAndGet() {
        WsClient a = client();
        WsClient b = client();
        assertThat(gw.call("getSession", Map.of("client_id", a.clientId())).size()).as("never set: {}").isZero();
        gw.call("setSession", Map.of("client_id", a.clientId(),
                "session", Map.of("name", "ann", "prefs", Map.of("lang", "en", "theme", "dark"), "tags", List.of(1, 2))));
        gw.call("updateSession", Map.of("client_id", a.clientId(),
                "session", Map.of("prefs", Map.of("lang", "zh"), "tags", List.of(3))));
        JsonNode s = gw.call("getSession", Map.of("client_id", a.clientId()));
        assertThat(s.get("name").asText()).isEqualTo("ann");
        assertThat(s.get("prefs").get("lang").asText()).isEqualTo("zh");
        assertThat(s.get("prefs").get("theme").asText()).as("deep merge keeps siblings").isEqualTo("dark");
        assertThat(s.get("tags").toString()).as("arrays are replaced").isEqualTo("[3]");

        gw.call("setSession", Map.of("client_id", a.clientId(), "session", Map.of("only", true)));
        assertThat(gw.call("getSession", Map.of("client_id", a.clientId())).toString()).isEqualTo("{\"only\":true}");

        gw.call("joinGroup", Map.of("client_id", b.clientId(), "group", "g"));
        gw.call("setSession", Map.of("client_id", b.clientId(), "session", Map.of("n", 2)));
        JsonNode all = gw.call("getAllClientSessions", Map.of());
        assertThat(all.get(a.clientId()).get("only").asBoolean()).isTrue();
        assertThat(all.get(b.clientId()).get("n").asInt()).isEqualTo(2);
        JsonNode byGroup = gw.call("getClientSessionsByGroup", Map.of("group", "g"));
        assertThat(byGroup.size()).isEqualTo(1);
        assertThat(byGroup.get(b.clientId()).get("n").asInt()).isEqualTo(2);
        assertThat(gw.call("getAllClientSessions", Map.of("group", "g")).size()).isEqualTo(1);
    }

    @Test
    void closingAConnectionLeavesItsUidGroupsAndSession() {
        WsClient a = client();
        WsClient b = client();
        gw.call("bindUid", Map.of("client_id", a.clientId(), "uid", "u"));
        gw.call("joinGroup", Map.of("client_id", a.clientId(), "group", "solo"));
        gw.call("joinGroup", Map.of("client_id", b.clientId(), "group", "shared"));
        gw.call("joinGroup", Map.of("client_id", a.clientId(), "group", "shared"));
        gw.call("setSession", Map.of("client_id", a.clientId(), "session", Map.of("k", 1)));
        a.close();
        Await.until("a is offline", () -> !gw.call("isOnline", Map.of("client_id", a.clientId())).asBoolean());
        assertThat(gw.call("getAllUidCount", Map.of()).asInt()).isZero();
        assertThat(strings(gw.call("getAllGroupIdList", Map.of()))).containsExactly("shared");
        assertThat(gw.call("getClientIdCountByGroup", Map.of("group", "shared")).asInt()).isEqualTo(1);
        assertThat(gw.call("getSession", Map.of("client_id", a.clientId())).isNull()).as("offline: null").isTrue();
        assertThat(gw.call("bindUid", Map.of("client_id", a.clientId(), "uid", "x")).asBoolean()).isFalse();
    }

    @Test
    void closeClientSendsTheMessageThenClosesAndDestroyCuts() {
        WsClient a = client();
        WsClient b = client();
        assertThat(gw.call("isOnline", Map.of("client_id", a.clientId())).asBoolean()).isTrue();
        assertThat(gw.call("closeClient", Map.of("client_id", a.clientId(), "message", "bye")).asBoolean()).isTrue();
        assertThat(a.next()).isEqualTo("bye");
        assertThat(a.awaitClose(Duration.ofSeconds(10))).isEqualTo(1000);
        assertThat(gw.call("destoryClient", Map.of("client_id", b.clientId())).asBoolean()).isTrue();
        b.awaitClose(Duration.ofSeconds(10));
        assertThat(gw.call("destroyClient", Map.of("client_id", b.clientId())).asBoolean()).isFalse();
        assertThat(gw.call("getAllClientIdCount", Map.of()).asInt()).isZero();
    }

    @Test
    void clientCountsAndLists() {
        WsClient a = client();
        WsClient b = client();
        assertThat(gw.call("getAllClientIdCount", Map.of()).asInt()).isEqualTo(2);
        assertThat(gw.call("getAllClientCount", Map.of()).asInt()).isEqualTo(2);
        assertThat(strings(gw.call("getAllClientIdList", Map.of())))
                .containsExactlyInAnyOrder(a.clientId(), b.clientId());
        // read-only methods also answer GET with a query string
        TestGateway.Response r = gw.get("/api/isOnline?client_id=" + a.clientId());
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().get("result").asBoolean()).isTrue();
    }

    @Test
    void batchRunsCallsInOrderAndReportsEachResult() {
        WsClient a = client();
        String body = """
                [{"method":"bindUid","params":{"client_id":"%s","uid":"b1"}},
                 {"method":"sendToUid","params":{"uid":"b1","message":"via batch"}},
                 {"method":"noSuchMethod","params":{}},
                 {"method":"sendToUid","params":{}},
                 {"method":"getUidByClientId","params":{"client_id":"%s"}}]
                """.formatted(a.clientId(), a.clientId());
        TestGateway.Response r = gw.post("batch", body);
        assertThat(r.status()).isEqualTo(200);
        JsonNode results = r.json().get("result");
        assertThat(results.size()).isEqualTo(5);
        assertThat(results.get(0).get("result").asBoolean()).isTrue();
        assertThat(results.get(1).get("result").get("delivered").asInt()).isEqualTo(1);
        assertThat(results.get(2).get("error").get("code").asText()).isEqualTo("unknown_method");
        assertThat(results.get(3).get("error").get("code").asText()).isEqualTo("missing_param");
        assertThat(results.get(4).get("result").asText()).isEqualTo("b1");
        assertThat(a.next()).isEqualTo("via batch");
    }

    @Test
    void formEncodedBodiesWorkLikePhpForms() {
        WsClient a = client();
        TestGateway.Response r = gw.send(HttpRequest.newBuilder(gw.controlUri("/api/bindUid"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("client_id=" + a.clientId() + "&uid=99")));
        assertThat(r.status()).isEqualTo(200);
        r = gw.send(HttpRequest.newBuilder(gw.controlUri("/api/sendToUid"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("uids[]=99&uids[]=100&message=hello+form")));
        assertThat(r.json().get("result").get("delivered").asInt()).isEqualTo(1);
        assertThat(a.next()).isEqualTo("hello form");
        // JSON labelled as a form (what `curl -d '{...}'` does) is still JSON
        r = gw.send(HttpRequest.newBuilder(gw.controlUri("/api/sendToUid"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("{\"uid\":\"99\",\"message\":{\"type\":\"PORTAL_BIND\"}}")));
        assertThat(r.json().get("result").get("delivered").asInt()).isEqualTo(1);
        assertThat(a.nextJson().get("type").asText()).isEqualTo("PORTAL_BIND");
    }

    @Test
    void errorsHaveStatusCodeAndAMessageNamingTheProblem() throws Exception {
        TestGateway.Response r = gw.post("sendToUid", "{\"uid\": ");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("bad_json");

        r = gw.post("sendToUid", Map.of("message", "x"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("missing_param");
        assertThat(r.errorMessage()).contains("\"uid\"");

        r = gw.post("sendToUid", Map.of("uid", Map.of("a", List.of()), "message", "x"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("invalid_param");

        r = gw.post("bindUid", Map.of("client_id", "not-an-id", "uid", "1"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorMessage()).contains("client_id").contains("20-character");

        r = gw.post("bindUid", Map.of("client_id", "7f0000010b5400000001", "uid", ""));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorMessage()).contains("\"uid\"").contains("empty");

        r = gw.post("setSession", Map.of("client_id", "7f0000010b5400000001", "session", "str"));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorMessage()).contains("session").contains("object");

        r = gw.post("sendToUdi", Map.of());
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.errorCode()).isEqualTo("unknown_method");
        assertThat(r.errorMessage()).contains("sendToUid");

        r = gw.get("/api/sendToAll?message=x");
        assertThat(r.status()).isEqualTo(405);
        for (var pathAndAllow : Map.of("/api/sendToAll", "POST", "/api/getAllClientIdCount", "GET, HEAD, POST").entrySet()) {
            HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    gw.controlUri(pathAndAllow.getKey())).method("PUT", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(raw.statusCode()).isEqualTo(405);
            assertThat(raw.headers().firstValue("allow")).as("what this path takes").hasValue(pathAndAllow.getValue());
        }

        r = gw.send(HttpRequest.newBuilder(gw.controlUri("/api/getAllClientIdCount")).DELETE());
        assertThat(r.status()).isEqualTo(405);

        r = gw.get("/nope");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.errorCode()).isEqualTo("not_found");

        r = gw.post("sendToAll", "[1,2]");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("bad_params");

        r = gw.post("getAllClientIdCount", "[]");
        assertThat(r.status()).as("PHP's json_encode([]) means no parameters").isEqualTo(200);

        r = gw.post("sendToAll", "{\"message\":\"x\"} trailing");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("bad_json");

        r = gw.post("sendToAll", "[".repeat(5000) + "]".repeat(5000));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errorCode()).isEqualTo("bad_json");
    }

    @Test
    void badJsonNamesTheProblemThePlaceAndTheFixWithoutParserInternals() {
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"uid\": ", "the body ends before the JSON value does");
        cases.put("{\"uid\":\"1\",}", "double-quote to start field name");
        cases.put("{\"uid\":NaN}", "NaN");
        cases.put("{\"uid\":1]", "Unexpected close marker");
        cases.put("{\"uid\":1 /* c */}", "comment");
        cases.put("[".repeat(5000) + "]".repeat(5000), "nested deeper than 1000 levels");
        cases.put("{\"uid\":" + "9".repeat(1500) + "}", "a number longer than 1000 digits");
        cases.put("{\"uid\":\"1\"} {}", "more data after the JSON value");
        cases.put("{\"uid\":\"1\",\"message\":\"x\",\"uid\":\"2\"}", "duplicate key \"uid\"");
        cases.put("{\"uid\":\"1\",\"message\":{\"a\":1,\"a\":2}}", "duplicate key \"a\"");
        cases.forEach((body, problem) -> {
            TestGateway.Response r = gw.post("sendToUid", body);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.errorCode()).as(body).isEqualTo("bad_json");
            assertThat(r.errorMessage()).as(body)
                    .contains(problem)
                    .containsPattern("at line \\d+, column \\d+: ")
                    .endsWith("the body must be one JSON object, e.g. {\"uid\":\"42\",\"message\":\"hi\"}")
                    .doesNotContain("Source", "REDACTED", "StreamRead", "Feature", "`", "Exception");
        });
        TestGateway.Response r = gw.post("batch", "[{\"method\":\"sendToAll\"");
        assertThat(r.errorCode()).isEqualTo("bad_json");
        assertThat(r.errorMessage()).contains("line 1, column").contains("must be one JSON array, e.g. [{\"method\":");
    }

    @Test
    void aBodyThatIsNotAnObjectIsRefusedAsSuchNotAsAMissingParameter() {
        Map<String, String> cases = Map.of("\"str\"", "got a string", "null", "got null", "42", "got a number",
                "true", "got a boolean", "[1,2]", "got an array");
        cases.forEach((body, got) -> {
            TestGateway.Response r = gw.post("sendToAll", body);
            assertThat(r.status()).as(body).isEqualTo(400);
            assertThat(r.errorCode()).as(body).isEqualTo("bad_params");
            assertThat(r.errorMessage()).as(body).contains("parameters of sendToAll must be a JSON object").contains(got);
        });
        // a body that is neither JSON nor a form (no key=value) is bad JSON, not a form with an odd key
        TestGateway.Response r = gw.post("sendToAll", "hello");
        assertThat(r.errorCode()).isEqualTo("bad_json");
        // PHP's json_encode([]) is how a PHP caller sends no parameters: still read as {}
        r = gw.post("sendToAll", "[]");
        assertThat(r.errorCode()).isEqualTo("missing_param");
        assertThat(r.errorMessage()).contains("\"message\"");
    }

    @Test
    void aBodyOverTheLimitGets413AndOtherRequestsAreUnaffected() {
        try (TestGateway small = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  max-body-size: 2KiB\n")) {
            TestGateway.Response r = small.post("sendToAll", Map.of("message", "x".repeat(5000)));
            assertThat(r.status()).isEqualTo(413);
            assertThat(r.errorCode()).isEqualTo("body_too_large");
            // one message cannot be split: the advice must not stop at "split it" (gatewayctl send shows this)
            assertThat(r.errorMessage()).contains("max-body-size", "raise control.max-body-size and reload");
            assertThat(small.call("getAllClientIdCount", Map.of()).asInt()).isZero();
        }
    }

    @Test
    void aBodyOverTheLimitAnnouncedWithExpectContinueGetsTheSameJson413() throws Exception {
        // curl, and so PHP's curl, send Expect: 100-continue for bodies over 1 KiB: the refusal must be
        // JSON there too, or json_decode() gives null
        try (TestGateway small = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  max-body-size: 2KiB\n");
             io.gatewayd.testing.RawClient c = new io.gatewayd.testing.RawClient(small.gateway().controlPort())) {
            c.write("POST /api/sendToAll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 5000\r\nExpect: 100-continue\r\n\r\n");
            String head = c.readHead();
            assertThat(io.gatewayd.testing.RawClient.status(head)).isEqualTo(413);
            JsonNode err = com.fasterxml.jackson.databind.json.JsonMapper.builder().build()
                    .readTree(c.readBody(head)).get("error");
            assertThat(err.get("code").asText()).isEqualTo("body_too_large");
            assertThat(err.get("message").asText()).contains("max-body-size");
            assertThat(c.closedByServer()).isTrue();

            // a body within the limit still gets 100 Continue and its answer
            TestGateway.Response r = small.send(HttpRequest.newBuilder(small.controlUri("/api/sendToAll"))
                    .expectContinue(true).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"" + "x".repeat(1500) + "\"}")));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().get("result").get("delivered").asInt()).isZero();

            // an expectation other than 100-continue is refused with JSON as well
            try (io.gatewayd.testing.RawClient d = new io.gatewayd.testing.RawClient(small.gateway().controlPort())) {
                d.write("POST /api/sendToAll HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: teapot\r\n\r\n");
                String h = d.readHead();
                assertThat(io.gatewayd.testing.RawClient.status(h)).isEqualTo(417);
                assertThat(d.readBody(h)).contains("\"expectation_failed\"").contains("100-continue");
            }
        }
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedAfterTheRequestTimeout() throws Exception {
        // the timeout runs from the connect until the first request too: 1 s, not 300 ms, so that
        // a test thread held up between its connect and its write does not find the socket closed
        try (TestGateway short_ = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  request-timeout: 1s\n");
             java.net.Socket s = new java.net.Socket("127.0.0.1", short_.gateway().controlPort())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] buf = new byte[4096];
            int n = s.getInputStream().read(buf);
            assertThat(new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
            // then nothing more is sent: the server hangs up (read returns -1) well before our 20 s read timeout
            int r;
            do {
                r = s.getInputStream().read(buf);
            } while (r > 0);
            assertThat(r).isEqualTo(-1);
        }
    }

    /**
     * A keep-alive answer says how long the gateway keeps the idle connection (control.request-timeout
     * in whole seconds, rounded down: 0 below a second), so a client can stop reusing it before the gateway
     * closes it; a reload applies to the next answer. An answer that closes the connection says nothing.
     */
    @Test
    void keepAliveAnswersAdvertiseHowLongAnIdleConnectionIsKept() throws Exception {
        try (TestGateway g = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  request-timeout: 2900ms\n");
             io.gatewayd.testing.RawClient c = new io.gatewayd.testing.RawClient(g.gateway().controlPort())) {
            String post = "POST /api/getAllClientIdCount HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
            c.write(post);
            String head = c.readHead();
            assertThat(c.readBody(head)).contains("\"result\":0");
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("\r\nkeep-alive: timeout=2\r\n");

            assertThat(g.gateway().reload(TestGateway.config(
                    "control:\n  listen: http://127.0.0.1:0\n  request-timeout: 900ms\n"))).isNotNull();
            c.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            head = c.readHead();
            c.readBody(head);
            assertThat(head).as("below a second: 0, not a second the gateway does not keep it for")
                    .containsIgnoringCase("\r\nkeep-alive: timeout=0\r\n");

        }
        try (io.gatewayd.testing.RawClient c = new io.gatewayd.testing.RawClient(gw.gateway().controlPort())) {
            c.write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertThat(c.readHead()).containsIgnoringCase("connection: close").doesNotContainIgnoringCase("keep-alive");
        }
    }

    @Test
    void tokensAreRequiredWhenConfigured() {
        try (TestGateway secured = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  tokens: [s3cret, other]\n")) {
            TestGateway.Response r = secured.post("getAllClientIdCount", Map.of());
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.errorMessage()).contains("Authorization: Bearer");
            secured.withToken("wrong");
            assertThat(secured.post("getAllClientIdCount", Map.of()).status()).isEqualTo(401);
            secured.withToken("other");
            assertThat(secured.post("getAllClientIdCount", Map.of()).status()).isEqualTo(200);
            r = secured.send(HttpRequest.newBuilder(secured.controlUri("/api/getAllClientIdCount"))
                    .header("X-Api-Key", "s3cret").POST(HttpRequest.BodyPublishers.noBody()));
            assertThat(r.status()).isEqualTo(200);
            secured.withToken(null);
            assertThat(secured.get("/health").status()).as("health needs no token").isEqualTo(200);
        }
    }

    @Test
    void headHealthAnswersLikeGetWithoutABody() throws Exception {
        TestGateway.Response r = gw.send(HttpRequest.newBuilder(gw.controlUri("/health"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEmpty();
        // on one keep-alive connection: the HEAD answer carries no body bytes, so the next answer follows at once
        try (io.gatewayd.testing.RawClient c = new io.gatewayd.testing.RawClient(gw.gateway().controlPort())) {
            c.write("HEAD /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n");
            String head = c.readHead();
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-type: application/json");
            String get = c.readHead();
            assertThat(get).startsWith("HTTP/1.1 200");
            assertThat(c.readBody(get)).contains("\"status\":\"ok\"");
        }
    }

    @Test
    void unknownMethodMessagesReadAsSentences() {
        TestGateway.Response r = gw.post("nope", Map.of());
        assertThat(r.errorCode()).isEqualTo("unknown_method");
        assertThat(r.errorMessage()).isEqualTo("unknown method \"nope\"; GET /api/methods lists them all");
        r = gw.post("sendToUdi", Map.of());
        assertThat(r.errorMessage()).startsWith("unknown method \"sendToUdi\"; did you mean sendToUid")
                .endsWith("? GET /api/methods lists them all");
        r = gw.post("", Map.of());
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.errorMessage()).isEqualTo("no method named: the API is POST /api/<method>; "
                + "GET /api/methods lists them all");
        JsonNode items = gw.call("batch", List.of(Map.of("method", "nope")));
        assertThat(items.get(0).get("error").get("message").asText())
                .isEqualTo("unknown method \"nope\"; GET /api/methods lists them all");
    }

    @Test
    void methodsListsEveryPathUnderApiWithItsParameters() {
        JsonNode list = gw.get("/api/methods").json().get("result");
        Map<String, JsonNode> byName = new java.util.TreeMap<>();
        list.forEach(m -> byName.put(m.get("name").asText(), m));
        assertThat(byName).containsKeys("status", "batch", "methods", "sendToUid", "getAllClientIdCount");
        assertThat(byName.get("batch").get("http").asText()).isEqualTo("POST");
        assertThat(byName.get("batch").get("params").asText()).contains("method").contains("params");
        assertThat(byName.get("status").get("http").asText()).isEqualTo("GET or POST");
        assertThat(byName.get("methods").get("result").asText()).isNotEmpty();
        List<String> names = new ArrayList<>();
        list.forEach(m -> names.add(m.get("name").asText()));
        assertThat(names).as("sorted by name").isSorted();
    }

    @Test
    void lifecycleAdminMethodsAreRefusedInsideABatchAndTheOtherCallsStillRun() {
        try (TestGateway admin = TestGateway.start()) {
            java.util.concurrent.atomic.AtomicInteger stops = new java.util.concurrent.atomic.AtomicInteger();
            java.util.concurrent.atomic.AtomicInteger reloads = new java.util.concurrent.atomic.AtomicInteger();
            io.gatewayd.lifecycle.AdminApi.install(admin.gateway(), new io.gatewayd.lifecycle.AdminApi.Control() {
                @Override
                public Map<String, Object> stop(boolean graceful, Duration timeout) {
                    stops.incrementAndGet();
                    return Map.of("state", "stopping");
                }

                @Override
                public java.util.concurrent.CompletableFuture<Map<String, Object>> reload() {
                    reloads.incrementAndGet();
                    return java.util.concurrent.CompletableFuture.completedFuture(Map.of());
                }
            });
            JsonNode items = admin.call("batch", List.of(
                    Map.of("method", "getAllClientIdCount"),
                    Map.of("method", "admin/stop"),
                    Map.of("method", "admin/reload", "params", Map.of()),
                    Map.of("method", "admin/connections"),
                    Map.of("method", "status"),
                    Map.of("method", "batch", "params", List.of())));
            assertThat(items.get(0).get("result").asInt()).isZero();
            JsonNode err = items.get(1).get("error");
            assertThat(err.get("code").asText()).isEqualTo("not_batchable");
            assertThat(err.get("message").asText())
                    .isEqualTo("admin/stop cannot be batched; call POST /api/admin/stop on its own");
            assertThat(items.get(2).get("error").get("code").asText()).isEqualTo("not_batchable");
            assertThat(items.get(3).get("result").get("total").asInt()).as("a read-only admin method may be batched")
                    .isZero();
            assertThat(items.get(4).get("error").get("message").asText()).as("/api/methods lists it, as not batchable")
                    .isEqualTo("status cannot be batched; call /api/status on its own");
            assertThat(items.get(5).get("error").get("code").asText()).isEqualTo("not_batchable");
            assertThat(stops.get()).isZero();
            assertThat(reloads.get()).isZero();
            // alone, they work as before
            assertThat(admin.call("admin/stop", Map.of()).get("state").asText()).isEqualTo("stopping");
            assertThat(stops.get()).isEqualTo(1);
        }
    }

    @Test
    void numbersInMessagesArriveWithTheirValueAndNumericKeysAreReadAsPhpPrintsThem() {
        WsClient a = client();
        String cid = a.clientId();
        // a double turned 1e400 into "Infinity" and rounded long fractions
        assertThat(gw.post("sendToClient", "{\"client_id\":\"" + cid + "\",\"message\":1e400}").status()).isEqualTo(200);
        assertThat(new java.math.BigDecimal(a.next())).isEqualByComparingTo("1e400");
        gw.call("sendToClient", "{\"client_id\":\"" + cid + "\",\"message\":{\"f\":0.1000000000000000000001,"
                + "\"g\":1.10,\"i\":123456789012345678901234567890}}");
        assertThat(a.next()).isEqualTo("{\"f\":0.1000000000000000000001,\"g\":1.10,\"i\":123456789012345678901234567890}");

        // integral numbers are the integer key, as PHP's (string)1000.0 is "1000"
        Map<String, String> keys = Map.of("1e3", "1000", "1.0", "1", "1000.0", "1000", "1.5", "1.5", "-2.50", "-2.5",
                "0.0001", "0.0001", "99999999999999.0", "99999999999999");
        keys.forEach((json, key) -> {
            gw.call("bindUid", "{\"client_id\":\"" + cid + "\",\"uid\":" + json + "}");
            assertThat(gw.call("getUidByClientId", Map.of("client_id", cid)).asText()).as(json).isEqualTo(key);
        });
        gw.call("bindUid", "{\"client_id\":\"" + cid + "\",\"uid\":1e3}");
        assertThat(gw.call("isUidOnline", "{\"uid\":\"1000\"}").asBoolean()).as("1e3 and \"1000\" are one key").isTrue();

        // numbers PHP would print rounded or in exponent form have no exact key text
        for (String json : List.of("1e400", "1e14", "0.00001", "0.30000000000000004", "1e999999999")) {
            TestGateway.Response r = gw.post("joinGroup", "{\"client_id\":\"" + cid + "\",\"group\":" + json + "}");
            assertThat(r.errorCode()).as(json).isEqualTo("invalid_param");
            assertThat(r.errorMessage()).as(json).contains("\"group\"").contains("send the key as a string");
        }
        assertThat(gw.call("getAllGroupIdList", Map.of()).size()).isZero();
    }

    @Test
    void textThatWouldNotArriveAsSentIsRefused() {
        WsClient a = client();
        String cid = a.clientId();
        // a lone surrogate cannot be UTF-8: it reached the client as '?'
        TestGateway.Response r = gw.post("sendToClient", "{\"client_id\":\"" + cid + "\",\"message\":\"x\\ud800\"}");
        assertThat(r.errorCode()).isEqualTo("invalid_param");
        assertThat(r.errorMessage()).contains("\"message\"").contains("not valid UTF-16/Unicode text").contains("U+D800");
        // a valid pair (an emoji) goes through
        gw.call("sendToClient", "{\"client_id\":\"" + cid + "\",\"message\":\"\\ud83d\\ude00\"}");
        assertThat(a.next()).isEqualTo("\ud83d\ude00");

        Map<String, String> badKeys = Map.of(
                "\" \"", "must not be blank",
                "\"\\u3000\\u00a0\"", "must not be blank",
                "\"a\\u0000b\"", "control characters",
                "\"a\\nb\"", "control characters",
                "\"\\udc00\"", "not valid UTF-16/Unicode text");
        badKeys.forEach((json, problem) -> {
            for (String method : List.of("bindUid", "joinGroup")) {
                String field = method.equals("bindUid") ? "uid" : "group";
                TestGateway.Response e = gw.post(method, "{\"client_id\":\"" + cid + "\",\"" + field + "\":" + json + "}");
                assertThat(e.errorCode()).as(method + " " + json).isEqualTo("invalid_param");
                assertThat(e.errorMessage()).as(method + " " + json).contains("\"" + field + "\"").contains(problem);
            }
        });
        assertThat(gw.call("getAllUidCount", Map.of()).asInt()).isZero();
        assertThat(gw.call("getAllGroupIdList", Map.of()).size()).isZero();
    }

    @Test
    void aKeyListIsAStringANumberOrAnArrayNotAnyObject() {
        WsClient a = client();
        gw.call("bindUid", Map.of("client_id", a.clientId(), "uid", "1"));
        // {"a":1} was read as its values and sent to uid 1
        TestGateway.Response r = gw.post("sendToUid", Map.of("uid", Map.of("a", 1), "message", "x"));
        assertThat(r.errorCode()).isEqualTo("invalid_param");
        assertThat(r.errorMessage()).contains("\"uid\"").contains("got an object").contains("array_values");
        assertThat(gw.post("isUidsOnline", Map.of("uids", Map.of("x", "1"))).errorCode()).isEqualTo("invalid_param");
        // what PHP's json_encode(array_unique(...)) makes of a list with gaps still works
        r = gw.post("sendToUid", "{\"uids\":{\"0\":\"1\",\"2\":\"9\"},\"message\":\"gaps\"}");
        assertThat(r.json().get("result").get("delivered").asInt()).isEqualTo(1);
        assertThat(a.next()).isEqualTo("gaps");
        // one client id as a string where a list is expected is fine (GatewayWorker takes either)
        r = gw.post("sendToAll", Map.of("client_ids", a.clientId(), "message", "one"));
        assertThat(r.json().get("result").get("delivered").asInt()).isEqualTo(1);
        assertThat(a.next()).isEqualTo("one");
    }

    @Test
    void healthAndStatus() {
        WsClient a = client();
        gw.call("bindUid", Map.of("client_id", a.clientId(), "uid", "s"));
        TestGateway.Response h = gw.get("/health");
        assertThat(h.status()).isEqualTo(200);
        assertThat(h.json().get("status").asText()).isEqualTo("ok");
        JsonNode s = gw.get("/api/status").json().get("result");
        assertThat(s.get("connections").get("current").asInt()).isEqualTo(1);
        assertThat(s.get("connections").get("total").asInt()).isPositive();
        assertThat(s.get("uids").asInt()).isEqualTo(1);
        assertThat(s.get("listeners").get(0).get("protocol").asText()).isEqualTo("websocket");
        assertThat(s.get("listeners").get(0).get("connections").asInt()).isEqualTo(1);
        assertThat(s.get("jvm").get("heap_used").asLong()).isPositive();
        assertThat(s.has("uptime_s")).isTrue();
        assertThat(s.get("node_id").asText()).isEqualTo(gw.gateway().nodeId());
        JsonNode loops = s.get("event_loops");
        assertThat(loops.size()).as("one entry per event loop: one per CPU but one")
                .isEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors() - 1));
        int owned = 0;
        for (JsonNode l : loops) {
            owned += l.get("connections").asInt();
        }
        assertThat(owned).as("every connection belongs to one loop").isEqualTo(1);
        // a loop takes its finished writes off the backlog at the end of its turn: idle, it is 0
        Await.until("every loop's backlog is 0 when idle", () -> {
            for (JsonNode l : gw.get("/api/status").json().get("result").get("event_loops")) {
                if (l.get("backlog").asLong() != 0) {
                    return false;
                }
            }
            return true;
        });
    }
}
