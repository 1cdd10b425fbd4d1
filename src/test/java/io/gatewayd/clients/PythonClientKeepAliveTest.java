package io.gatewayd.clients;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static io.gatewayd.clients.ClientLibrariesTest.onPath;
import static io.gatewayd.clients.ClientLibrariesTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Python client's kept-alive connection against a server that shows what the gateway only does
 * under a race or a crash: it reads a request on a reused connection and closes it without answering.
 * To the client that is the gateway closing an idle connection just as the request came (nothing was
 * done) and a gateway that carried the request out and died before answering alike, so only a call
 * that is harmless twice and answers the same twice may be sent again.
 */
class PythonClientKeepAliveTest {
    private static final String PRELUDE = """
            import sys, time
            sys.path.insert(0, "clients/python")
            from gateway import Gateway, GatewayError
            def attempt(label, f):
                try:
                    print(label, f())
                except GatewayError as e:
                    print(label, e.code, e)
            """;

    private String python;

    @BeforeEach
    void needsPython() {
        python = onPath("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed; skipping the Python client test");
    }

    /**
     * The answer to the request whose head is given: a push's report, a batch's list, true, false, or a
     * count. closeClient and destroyClient answer false, as the gateway does once an earlier attempt
     * closed the client; ungroup answers 0 (the count's default), as it does once an earlier one emptied it.
     */
    private static void answer(String head, String headerLines, OutputStream out) throws IOException {
        String json = head.startsWith("POST /api/sendTo") ? "{\"result\":{\"delivered\":1}}"
                : head.startsWith("POST /api/batch") ? "{\"result\":[{\"result\":0}]}"
                : head.startsWith("POST /api/cron/run") ? "{\"result\":{\"name\":\"j\",\"started\":true}}"
                : head.matches("POST /api/(bindUid|leaveGroup) [\\s\\S]*") ? "{\"result\":true}"
                : head.matches("POST /api/(closeClient|destroyClient) [\\s\\S]*") ? "{\"result\":false}"
                : "{\"result\":0}";
        out.write(RawServer.answer(json, headerLines));
        out.flush();
    }

    /** Answers the first request of each connection and keeps it open; reads the second and closes. */
    private static RawServer.Conversation answersOnceThenDrops() {
        return (index, head, out) -> {
            if (index > 0) {
                return false;
            }
            answer(head, "", out);
            return true;
        };
    }

    /**
     * What attempt() prints after its label for a call that went out and was not sent again; advice:
     * what makes a retry safe, "" for a call that has nothing to make it so.
     */
    private static String lost(RawServer server, String advice) {
        return " connection_lost the connection to gatewayd at " + server.url() + " broke before a whole answer came"
                + " (Remote end closed connection without response); the call may still have been carried out"
                + advice + "\n";
    }

    @Test
    void aPushIsNotSentAgainWhenTheReusedConnectionBreaksAfterItWentOut() throws Exception {
        try (RawServer server = new RawServer(answersOnceThenDrops())) {
            String out = run(List.of(python, "-c", PRELUDE + """
                    for label, call in [("push", lambda g: g.sendToAll("x")),
                                        ("pushInBatch", lambda g: g.batch([("getAllUidCount",), ("sendToUid", {"uid": 1, "message": "x"})])),
                                        ("pushByName", lambda g: g.call("sendToGroup", {"group": "g", "message": "x"}))]:
                        with Gateway(sys.argv[1], timeout=5) as g:
                            g.getAllClientIdCount()
                            attempt(label, lambda: call(g))
                    """, server.url()));
            String lost = lost(server, " (retry it with the same msg_id)");
            assertThat(out).isEqualTo("push" + lost + "pushInBatch" + lost(server, " (retry its pushes with the same msg_id)")
                    + "pushByName" + lost);
            assertThat(server.requestLines()).as("each reached the server once, and no new connection was opened to"
                    + " send one again").containsExactly(
                    "POST /api/getAllClientIdCount HTTP/1.1", "POST /api/sendToAll HTTP/1.1",
                    "POST /api/getAllClientIdCount HTTP/1.1", "POST /api/batch HTTP/1.1",
                    "POST /api/getAllClientIdCount HTTP/1.1", "POST /api/sendToGroup HTTP/1.1");
            assertThat(server.connections()).isEqualTo(3);
        }
    }

    /**
     * A call that answers false or 0 once an earlier attempt was carried out (closeClient, destroyClient:
     * the client is gone; ungroup: the group is empty) or that does something again (cron/run) is not
     * sent again either: its retry would tell the caller "was offline" or "had no members" of what the
     * first attempt closed or emptied. The server answers such a retry as the gateway would.
     */
    @Test
    void aCallThatWouldAnswerDifferentlyTheSecondTimeIsNotSentAgain() throws Exception {
        try (RawServer server = new RawServer(answersOnceThenDrops())) {
            String out = run(List.of(python, "-c", PRELUDE + """
                    for label, call in [("close", lambda g: g.closeClient("7f0000011f9300000001")),
                                        ("destroy", lambda g: g.destroyClient("7f0000011f9300000001")),
                                        ("ungroup", lambda g: g.ungroup("room")),
                                        ("cronRun", lambda g: g.call("cron/run", {"name": "j"})),
                                        ("closeInBatch", lambda g: g.batch([("getAllUidCount",), ("closeClient", {"client_id": "7f0000011f9300000001"})]))]:
                        with Gateway(sys.argv[1], timeout=5) as g:
                            g.getAllClientIdCount()
                            attempt(label, lambda: call(g))
                    """, server.url()));
            String lost = lost(server, "");
            assertThat(out).isEqualTo("close" + lost + "destroy" + lost + "ungroup" + lost + "cronRun" + lost
                    + "closeInBatch" + lost);
            assertThat(server.requestLines()).as("each reached the server once").containsExactly(
                    "POST /api/getAllClientIdCount HTTP/1.1", "POST /api/closeClient HTTP/1.1",
                    "POST /api/getAllClientIdCount HTTP/1.1", "POST /api/destroyClient HTTP/1.1",
                    "POST /api/getAllClientIdCount HTTP/1.1", "POST /api/ungroup HTTP/1.1",
                    "POST /api/getAllClientIdCount HTTP/1.1", "POST /api/cron/run HTTP/1.1",
                    "POST /api/getAllClientIdCount HTTP/1.1", "POST /api/batch HTTP/1.1");
            assertThat(server.connections()).isEqualTo(5);
        }
    }

    /** What the gateway answers the same twice (queries, and writes answering "true, or false if offline"). */
    @Test
    void aCallThatAnswersTheSameTwiceIsSentAgainOnANewConnection() throws Exception {
        try (RawServer server = new RawServer(answersOnceThenDrops())) {
            String out = run(List.of(python, "-c", PRELUDE + """
                    for label, call in [("query", lambda g: g.getAllUidCount()),
                                        ("bind", lambda g: g.bindUid("7f0000011f9300000001", 1)),
                                        ("leave", lambda g: g.leaveGroup("7f0000011f9300000001", "room")),
                                        ("queryBatch", lambda g: g.batch([("getAllUidCount",)]))]:
                        with Gateway(sys.argv[1], timeout=5) as g:
                            g.getAllClientIdCount()
                            attempt(label, lambda: call(g))
                    """, server.url()));
            assertThat(out).isEqualTo("query 0\nbind True\nleave True\nqueryBatch [{'result': 0}]\n");
            assertThat(server.requestLines()).containsExactly(
                    "POST /api/getAllClientIdCount HTTP/1.1", "POST /api/getAllUidCount HTTP/1.1",
                    "POST /api/getAllUidCount HTTP/1.1",
                    "POST /api/getAllClientIdCount HTTP/1.1", "POST /api/bindUid HTTP/1.1", "POST /api/bindUid HTTP/1.1",
                    "POST /api/getAllClientIdCount HTTP/1.1", "POST /api/leaveGroup HTTP/1.1",
                    "POST /api/leaveGroup HTTP/1.1",
                    "POST /api/getAllClientIdCount HTTP/1.1", "POST /api/batch HTTP/1.1", "POST /api/batch HTTP/1.1");
            assertThat(server.connections()).as("each call once again on a new connection").isEqualTo(8);
        }
    }

    /** 'unreachable' says nothing was sent; after an attempt that went out, that would be false. */
    @Test
    void aRetryThatCannotConnectIsAConnectionLostNotUnreachable() throws Exception {
        AtomicReference<RawServer> self = new AtomicReference<>();
        try (RawServer server = new RawServer((index, head, out) -> {
            if (index == 0) {
                answer(head, "", out);
                return true;
            }
            self.get().close(); // no new connection is taken from here on: connecting again is refused
            return false;
        })) {
            self.set(server);
            String out = run(List.of(python, "-c", PRELUDE + """
                    g = Gateway(sys.argv[1], timeout=5)
                    g.getAllClientIdCount()
                    attempt("query", g.getAllUidCount)
                    """, server.url()));
            assertThat(out).startsWith("query connection_lost the connection to gatewayd at " + server.url()
                    + " broke before a whole answer came (Remote end closed connection without response), and"
                    + " connecting again failed (").contains("Connection refused")
                    .endsWith("); the call may still have been carried out\n");
            assertThat(server.requestLines()).containsExactly("POST /api/getAllClientIdCount HTTP/1.1",
                    "POST /api/getAllUidCount HTTP/1.1");
        }
    }

    /**
     * A connection idle for nearly as long as the answer's Keep-Alive: timeout=N says the gateway keeps
     * it is not reused: a new one is opened rather than race the gateway's close. Without the header
     * the client reuses the connection as long as it is open.
     */
    @Test
    void aConnectionIdleForNearlyTheAdvertisedTimeoutIsNotReused() throws Exception {
        String script = PRELUDE + """
                g = Gateway(sys.argv[1], timeout=5)
                g.getAllClientIdCount()
                g.getAllClientIdCount()
                time.sleep(3.2)  # idle past 4 s less the client's 1 s margin (the two calls above would need a 3 s stall)
                g.getAllClientIdCount()
                """;
        try (RawServer advertising = new RawServer((index, head, out) -> {
            answer(head, "Keep-Alive: timeout=4\r\n", out);
            return true;
        }); RawServer silent = new RawServer((index, head, out) -> {
            answer(head, "", out);
            return true;
        })) {
            run(List.of(python, "-c", script, advertising.url()));
            assertThat(advertising.requests()).isEqualTo(3);
            assertThat(advertising.connections()).as("reused at once, not after the idle").isEqualTo(2);
            run(List.of(python, "-c", script, silent.url()));
            assertThat(silent.requests()).isEqualTo(3);
            assertThat(silent.connections()).isEqualTo(1);
        }
    }
}
