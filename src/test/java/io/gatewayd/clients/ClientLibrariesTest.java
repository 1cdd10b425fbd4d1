package io.gatewayd.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RefusedPort;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Runs the shipped PHP and Python clients (clients/) against a real gateway and a real client. */
class ClientLibrariesTest {
    static TestGateway gw;
    /** Not a gateway: what a client meets at a wrong URL or behind a proxy. Counts the requests it gets. */
    static HttpServer notGateway;
    static final AtomicInteger notGatewayRequests = new AtomicInteger();

    @BeforeAll
    static void start() throws IOException {
        gw = TestGateway.start();
        notGateway = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        notGateway.createContext("/", exchange -> {
            notGatewayRequests.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            if (exchange.getRequestURI().getPath().startsWith("/redirect/")) {
                exchange.getResponseHeaders().set("Location", notGatewayUrl("json") + "/api/x");
                exchange.sendResponseHeaders(302, -1);
                exchange.close();
                return;
            }
            if (exchange.getRequestURI().getPath().startsWith("/proxy/")) { // a proxy whose upstream is down
                byte[] page = "<html><h1>502 Bad Gateway</h1></html>".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(502, page.length);
                exchange.getResponseBody().write(page);
                exchange.close();
                return;
            }
            // /html/api/...: a web page; /json/api/...: JSON, but neither {"result": ...} nor {"error": ...}
            byte[] body = (exchange.getRequestURI().getPath().startsWith("/json/") ? "{\"ok\": true}" : "<html>")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        notGateway.start();
    }

    @AfterAll
    static void stop() {
        gw.close();
        notGateway.stop(0);
    }

    static String notGatewayUrl(String prefix) {
        return "http://127.0.0.1:" + notGateway.getAddress().getPort() + "/" + prefix;
    }

    static String onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    static String run(List<String> command) throws IOException, InterruptedException {
        return run(command, Map.of());
    }

    /** The command's output; with these environment variables changed (a null value removes one). */
    static String run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        env.forEach((name, value) -> {
            if (value == null) {
                builder.environment().remove(name);
            } else {
                builder.environment().put(name, value);
            }
        });
        Process p = builder.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish within 60 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(command + " printed:\n" + out).isZero();
        return out;
    }

    @Test
    void phpClient() throws Exception {
        String php = onPath("php");
        Assumptions.assumeTrue(php != null, "php is not installed (apt-get install php-cli); skipping the PHP client test");
        try (WsClient c = gw.client()) {
            String out = run(List.of(php, "clients/php/example.php", "http://127.0.0.1:" + gw.gateway().controlPort(),
                    c.clientId()));
            assertThat(out).contains("ok");
            assertThat(c.nextJson().get("type").asText()).isEqualTo("FROM_PHP");
            assertThat(c.next()).isEqualTo("group hello");
        }
    }

    @Test
    void pythonClient() throws Exception {
        String python = onPath("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed; skipping the Python client test");
        try (WsClient c = gw.client()) {
            String out = run(List.of(python, "clients/python/example.py",
                    "http://127.0.0.1:" + gw.gateway().controlPort(), c.clientId()));
            assertThat(out).contains("ok");
            assertThat(c.nextJson().get("type").asText()).isEqualTo("FROM_PYTHON");
            assertThat(c.next()).isEqualTo("group hello");
            assertThat(c.next()).isEqualTo("batched");
        }
    }

    /** A client parameter's name -> the API parameters it fills (by default its own name). */
    static final Map<String, List<String>> FILLS = Map.of(
            "client_id_array", List.of("client_ids"),
            "exclude_client_id", List.of("exclude_client_ids"),
            "uid", List.of("uid", "uids"),
            "group", List.of("group", "groups"),
            "message", List.of("message", "message_base64"));

    /** API paths that are not GatewayClient's push and query methods (administration, cron, introspection). */
    static boolean isPushOrQuery(String name) {
        return !name.contains("/") && !List.of("status", "methods", "batch").contains(name);
    }

    /**
     * Every push and query method of the API, read from /api/methods, has a method of the same name
     * in each client, and every parameter of the API method is one the client method takes (under
     * GatewayClient's name where it has one): a parameter the API gains and a client lacks fails here.
     */
    @Test
    void clientsTakeEveryParameterOfEveryPushAndQuery() throws Exception {
        String php = onPath("php");
        String python = onPath("python3");
        Assumptions.assumeTrue(php != null && python != null, "php or python3 is not installed; skipping");
        String phpScript = """
                require 'clients/php/Gateway.php';
                $out = [];
                foreach ((new ReflectionClass('Gatewayd\\Gateway'))->getMethods(ReflectionMethod::IS_PUBLIC) as $m) {
                    $out[$m->getName()] = array_map(function ($p) { return $p->getName(); }, $m->getParameters());
                }
                echo json_encode($out);
                """;
        String pythonScript = """
                import inspect, json, sys
                sys.path.insert(0, "clients/python")
                from gateway import Gateway
                print(json.dumps({name: [p for p in inspect.signature(f).parameters if p != "self"]
                                  for name, f in inspect.getmembers(Gateway, inspect.isfunction)
                                  if not name.startswith("_")}))
                """;
        Map<String, JsonNode> clients = Map.of("PHP", WsClient.json(run(List.of(php, "-r", phpScript))),
                "Python", WsClient.json(run(List.of(python, "-c", pythonScript))));
        JsonNode methods = gw.get("/api/methods").json().path("result");
        java.util.Set<String> checked = new java.util.TreeSet<>();
        clients.forEach((client, signatures) -> {
            Map<String, List<String>> lacking = new java.util.TreeMap<>();
            for (JsonNode m : methods) {
                String name = m.path("name").asText();
                if (!isPushOrQuery(name)) {
                    continue;
                }
                checked.add(name);
                JsonNode params = signatures.get(name);
                if (params == null) {
                    lacking.put(name, List.of("(no such method)"));
                    continue;
                }
                java.util.Set<String> filled = new java.util.HashSet<>();
                params.forEach(p -> filled.addAll(FILLS.getOrDefault(p.asText(), List.of(p.asText()))));
                List<String> missing = new java.util.ArrayList<>();
                for (String part : m.path("params").asText().replaceAll("\\([^)]*\\)", "").split("[,|]")) {
                    String param = part.trim().replace("?", "");
                    if (!param.isEmpty() && !filled.contains(param)) {
                        missing.add(param);
                    }
                }
                if (!missing.isEmpty()) {
                    lacking.put(name, missing);
                }
            }
            assertThat(lacking).as(client + " client methods lacking API parameters").isEmpty();
        });
        assertThat(checked).contains("sendToAll", "sendToUid", "getAllGroupClientIdCount", "destoryClient").hasSizeGreaterThan(40);
    }

    /**
     * The Python client sends a call again after a broken reused connection only when it answers the
     * same twice: every read-only method the gateway lists must be on that list (a new query would
     * otherwise lose its retry), and every name on it must be one the gateway has (a typo would).
     */
    @Test
    void thePythonClientRetriesEveryQueryAndNothingTheGatewayLacks() throws Exception {
        String python = onPath("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed; skipping");
        JsonNode retried = WsClient.json(run(List.of(python, "-c", """
                import json, sys
                sys.path.insert(0, "clients/python")
                import gateway
                print(json.dumps(sorted(gateway._SAME_ANSWER_TWICE)))
                """)));
        java.util.Set<String> onList = new java.util.TreeSet<>();
        retried.forEach(n -> onList.add(n.asText()));
        java.util.Set<String> all = new java.util.TreeSet<>();
        java.util.Set<String> readOnly = new java.util.TreeSet<>();
        for (JsonNode m : gw.get("/api/methods").json().path("result")) {
            all.add(m.path("name").asText());
            if (m.path("http").asText().startsWith("GET")) {
                readOnly.add(m.path("name").asText());
            }
        }
        assertThat(onList).as("retried by the Python client").containsAll(readOnly);
        all.add("admin/connections"); // registered by the daemon (lifecycle.AdminApi), not by an embedded gateway
        assertThat(all).as("the gateway's methods").containsAll(onList);
    }

    /**
     * The push options beyond GatewayClient's arguments: exclusions on sendToUid, msg_id on every push
     * (passed by name: PHP 8 named arguments, Python keywords), and the whole answer of the last call.
     * Each push has its own msg_id, so each is delivered; an empty one is refused, which shows it was sent.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(PhpTransport.class)
    void phpClientSendsMsgIdAndExclusionsOnEveryPush(PhpTransport transport) throws Exception {
        String php = transport.php();
        String phpScript = transport.strictClient() + """
                [, Gateway::$apiUrl, $a, $b] = $argv;
                function show($label, $f) {
                    try { $r = $f(); echo $label, ' ', json_encode($r), "\\n"; }
                    catch (\\Gatewayd\\GatewayException $e) {
                        echo $label, ' ', $e->getErrorCode(), ' ', $e->getStatus(), ' ', $e->getMessage(), "\\n";
                    }
                }
                Gateway::bindUid($a, 'u'); Gateway::bindUid($b, 'u'); Gateway::joinGroup($a, 'g');
                show('uidExcluding', fn() => Gateway::sendToUid('u', 'php to u', exclude_client_id: [$a], msg_id: 'p1'));
                show('answer', fn() => Gateway::lastAnswer());
                show('allMsgId', fn() => Gateway::sendToAll('php to all', null, $b, false, 'p2'));
                show('clientMsgId', fn() => Gateway::sendToClient($b, 'php to b', msg_id: 42));
                show('groupMsgId', fn() => Gateway::sendToGroup('g', 'php to g', msg_id: 'p3'));
                show('emptyMsgId', fn() => Gateway::sendToClient($b, 'never', msg_id: ''));
                show('answerAfterError', fn() => Gateway::lastAnswer());
                """;
        try (TestGateway own = TestGateway.start(); WsClient a = own.client(); WsClient b = own.client()) {
            String url = "http://127.0.0.1:" + own.gateway().controlPort();
            String phpOut = run(List.of(php, "-r", phpScript, url, a.clientId(), b.clientId()));
            assertThat(phpOut).isEqualTo("uidExcluding 1\nanswer {\"result\":{\"delivered\":1}}\nallMsgId 1\n"
                    + "clientMsgId true\ngroupMsgId 1\nemptyMsgId invalid_param 400 sendToClient: field \"msg_id\""
                    + " must be 1 to 200 characters\nanswerAfterError null\n");
            assertThat(b.next()).isEqualTo("php to u");
            assertThat(a.next()).isEqualTo("php to all");
            assertThat(b.next()).isEqualTo("php to b");
            assertThat(a.next()).isEqualTo("php to g");
        }
    }

    /** The same for Python. */
    @Test
    void pythonClientSendsMsgIdAndExclusionsOnEveryPush() throws Exception {
        String python = onPath("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed; skipping the Python client test");
        String pythonScript = """
                import json, sys
                sys.path.insert(0, "clients/python")
                from gateway import Gateway, GatewayError
                url, a, b = sys.argv[1:]
                gw = Gateway(url)
                gw.bindUid(a, "u"); gw.bindUid(b, "u"); gw.joinGroup(a, "g")
                def show(label, f):
                    try:
                        print(label, json.dumps(f()))
                    except GatewayError as e:
                        print(label, e.code, e.status, e)
                show("uidExcluding", lambda: gw.sendToUid("u", "py to u", exclude_client_ids=a, msg_id="y1"))
                show("answer", lambda: gw.last_answer)
                show("allMsgId", lambda: gw.sendToAll("py to all", None, [b], msg_id="y2"))
                show("clientMsgId", lambda: gw.sendToClient(b, "py to b", msg_id=43))
                show("groupMsgId", lambda: gw.sendToGroup("g", "py to g", msg_id="y3"))
                show("emptyMsgId", lambda: gw.sendToClient(b, "never", msg_id=""))
                show("answerAfterError", lambda: gw.last_answer)
                """;
        try (TestGateway own = TestGateway.start(); WsClient a = own.client(); WsClient b = own.client()) {
            String url = "http://127.0.0.1:" + own.gateway().controlPort();
            String pyOut = run(List.of(python, "-c", pythonScript, url, a.clientId(), b.clientId()));
            assertThat(pyOut).isEqualTo("uidExcluding 1\nanswer {\"result\": {\"delivered\": 1}}\nallMsgId 1\n"
                    + "clientMsgId true\ngroupMsgId 1\nemptyMsgId invalid_param 400 sendToClient: field \"msg_id\""
                    + " must be 1 to 200 characters\nanswerAfterError null\n");
            assertThat(b.next()).isEqualTo("py to u");
            assertThat(a.next()).isEqualTo("py to all");
            assertThat(b.next()).isEqualTo("py to b");
            assertThat(a.next()).isEqualTo("py to g");
        }
    }

    /** What a run of a client against {@link #failingEndpoints} printed, and the URLs it was given. */
    record FailureRun(String out, List<String> urls) {}

    /**
     * Runs a client's script with the URLs of every way a call can fail, in this order: a gateway
     * with a 1 KiB body limit and 1 request per second (413, 429), a cluster node whose Redis is
     * down (503 with delivered_local), a proxy's 502 page, a port that takes connections and never
     * answers (timeout) and no gateway at all. The script must push once to the cluster node.
     */
    static FailureRun failingEndpoints(List<String> script) throws Exception {
        try (RefusedPort redisDown = new RefusedPort();
             RefusedPort noGateway = new RefusedPort();
             TestGateway limited = TestGateway.start("""
                control:
                  listen: http://127.0.0.1:0
                  max-body-size: 1KiB
                  max-requests-per-second: 1
                """);
             TestGateway cluster = TestGateway.start("cluster:\n  redis: \"redis://127.0.0.1:" + redisDown.port()
                     + "/0\"\n");
             WsClient local = cluster.client();
             java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Await.until("the cluster node says it is degraded",
                    () -> "degraded".equals(cluster.get("/health").json().path("status").asText()));
            List<String> urls = List.of("http://127.0.0.1:" + limited.gateway().controlPort(),
                    "http://127.0.0.1:" + cluster.gateway().controlPort(), notGatewayUrl("proxy"),
                    "http://127.0.0.1:" + silent.getLocalPort(), noGateway.httpUrl());
            List<String> command = new java.util.ArrayList<>(script);
            command.addAll(urls);
            String out = run(command);
            assertThat(local.next()).as("the push reached the node's own client").isEqualTo("during the outage");
            return new FailureRun(out, urls);
        }
    }

    /**
     * Every way a call can fail is the client's exception with a message, a code and a status, and
     * the gateway's extra fields (delivered_local of a 503 push): see {@link #failingEndpoints}. A
     * timeout below a millisecond is one too (curl takes 0 ms as "wait forever"). The script turns
     * every warning into an uncaught ErrorException, as frameworks do, so a warning escaping the
     * client fails it.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(PhpTransport.class)
    void phpClientThrowsItsExceptionWithCodeAndStatusForEveryFailure(PhpTransport transport) throws Exception {
        String php = transport.php();
        String phpScript = transport.strictClient() + """
                [, $limited, $cluster, $proxy, $silent, $down] = $argv;
                Gateway::$timeout = 1;
                function show($label, $url, $f) {
                    Gateway::$apiUrl = $url;
                    try { $r = $f(); echo $label, ' ', json_encode($r), "\\n"; return false; }
                    catch (\\Gatewayd\\GatewayException $e) {
                        echo $label, ' ', $e->getErrorCode(), ' ', json_encode($e->getStatus()), ' ', $e->getCode(), ' ',
                            json_encode($e->getDetails()), ' ', $e->getMessage(), "\\n";
                        return true;
                    }
                }
                show('413', $limited, fn() => Gateway::sendToAll(str_repeat('x', 2000)));
                for ($i = 0; $i < 20 && !show('429', $limited, fn() => Gateway::getAllClientIdCount()); $i++);
                show('503', $cluster, fn() => Gateway::sendToAll('during the outage'));
                show('502', $proxy, fn() => Gateway::getAllClientIdCount());
                show('timeout', $silent, fn() => Gateway::sendToAll('maybe'));
                Gateway::$timeout = 0.0004;
                show('tinyTimeout', $silent, fn() => Gateway::getAllClientIdCount());
                Gateway::$timeout = 1;
                show('down', $down, fn() => Gateway::getAllClientIdCount());
                """;
        FailureRun run = failingEndpoints(List.of(php, "-r", phpScript));
        List<String> urls = run.urls();
        assertThat(run.out()).contains("413 body_too_large 413 413 [] sendToAll: request body is larger than the limit"
                + " of 1024 bytes (control.max-body-size)");
        assertThat(run.out()).contains("429 rate_limited 429 429 [] getAllClientIdCount: more than 1 requests per second");
        assertThat(run.out()).contains("503 cluster_unavailable 503 503 {\"delivered_local\":1} sendToAll: the cluster"
                + " is unavailable");
        assertThat(run.out()).contains("502 not_gatewayd 502 502 [] " + notGatewayUrl("proxy") + "/api/getAllClientIdCount"
                + " answered 502 but not with JSON (\"<html><h1>502 Bad Gateway</h1></html>\"); a proxy in front of"
                + " the gateway that cannot reach it, or not the control URL?\n");
        assertThat(run.out()).contains("timeout timeout null 0 [] gatewayd at " + urls.get(3) + " did not answer within"
                + " 1 s; the call may still have been carried out (retry it with the same msg_id)\n");
        // connected in time, or (a busy machine) not: the call's timeout covers connecting too
        assertThat(run.out()).containsPattern("tinyTimeout (timeout null 0 \\[\\] gatewayd at " + urls.get(3)
                + " did not answer within 0.0004 s;|unreachable null 0 \\[\\] gatewayd at " + urls.get(3)
                + " did not answer: no connection within 0.0004 s, so nothing was sent)");
        // the reason's wording is the transport's ("Failed to open stream: ..." or curl's), the system's cause in it
        assertThat(run.out()).containsPattern(java.util.regex.Pattern.quote("down unreachable null 0 [] gatewayd at "
                + urls.get(4) + " did not answer: ") + ".*Connection refused.*\n");
    }

    /** What a run of a client against {@link #brokenConnections} printed, and the servers it met. */
    record BrokenRun(String out, String refused, String unaccepting, RawServer dropping, RawServer cutting,
                     RawServer dribbling, RawServer notHttp) {}

    /**
     * Runs a client's script with the URLs of every way a connection can fail a call, in this order:
     * a port that refuses connections, one that takes none (so connecting times out), and three servers
     * that read the whole request and then close without answering, close halfway through the answer,
     * and send a whole answer a byte every 50 ms (each read is quick, the whole answer takes 5 s); and
     * a server that answers with something that is not HTTP.
     * The script calls each with a timeout of 1 s.
     */
    static BrokenRun brokenConnections(List<String> script) throws Exception {
        byte[] answer = RawServer.pushAnswer();
        try (RefusedPort refusing = new RefusedPort();
             RawServer.Unaccepting unaccepting = new RawServer.Unaccepting();
             RawServer dropping = new RawServer(out -> { });
             RawServer cutting = new RawServer(out -> out.write(answer, 0, answer.length - 10));
             RawServer dribbling = new RawServer(out -> {
                 for (byte b : answer) {
                     out.write(b);
                     out.flush();
                     Thread.sleep(50); // the pace of the answer, not a synchronisation
                 }
             });
             RawServer notHttp = new RawServer(out -> out.write("SSH-2.0-OpenSSH_9.2\r\n".getBytes(StandardCharsets.US_ASCII)))) {
            String refused = refusing.httpUrl();
            List<String> command = new java.util.ArrayList<>(script);
            command.addAll(List.of(refused, unaccepting.url(), dropping.url(), cutting.url(), dribbling.url(),
                    notHttp.url()));
            return new BrokenRun(run(command), refused, unaccepting.url(), dropping, cutting, dribbling, notHttp);
        }
    }

    /**
     * Only a call that sent nothing is {@code unreachable}, which tells a caller it may simply send it
     * again: a connection refused, or none made within the timeout. A connection that broke after the
     * request went out (a gateway that died while handling it, a proxy that cut it) is
     * {@code connection_lost}, and an answer that does not come whole within the timeout is
     * {@code timeout}, however quickly each of its bytes comes: the call may have been carried out.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(PhpTransport.class)
    void phpClientTellsACallThatSentNothingFromOneThatMayHaveBeenCarriedOut(PhpTransport transport) throws Exception {
        String php = transport.php();
        String script = transport.strictClient() + """
                Gateway::$timeout = 1;
                foreach (['refused', 'noConnection', 'dropped', 'cut', 'dribbled', 'notHttp'] as $i => $label) {
                    Gateway::$apiUrl = $argv[$i + 1];
                    try { $delivered = Gateway::sendToAll('maybe', null, null, false, 'm1'); echo $label, ' ', $delivered, "\\n"; }
                    catch (\\Gatewayd\\GatewayException $e) {
                        echo $label, ' ', $e->getErrorCode(), ' ', json_encode($e->getStatus()), ' ', $e->getMessage(), "\\n";
                    }
                }
                """;
        assertBrokenConnections(brokenConnections(List.of(php, "-r", script)));
    }

    /**
     * PHP's streams connect timer counts whole milliseconds and ends a little before the call's
     * deadline; the client used to take that for a plain connection failure and said "did not
     * answer: Connection timed out" (in 36 calls of 40 here) instead of naming its timeout.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(PhpTransport.class)
    void phpClientNamesItsTimeoutWhenNoConnectionIsMadeInTime(PhpTransport transport) throws Exception {
        String php = transport.php();
        String script = transport.strictClient() + """
                Gateway::$timeout = 0.3;
                Gateway::$apiUrl = $argv[1];
                for ($i = 0; $i < 10; $i++) {
                    try { Gateway::sendToAll('maybe'); echo "sent\\n"; }
                    catch (\\Gatewayd\\GatewayException $e) { echo $e->getErrorCode(), ' ', $e->getMessage(), "\\n"; }
                }
                """;
        try (RawServer.Unaccepting unaccepting = new RawServer.Unaccepting()) {
            String expected = "unreachable gatewayd at " + unaccepting.url()
                    + " did not answer: no connection within 0.3 s, so nothing was sent\n";
            assertThat(run(List.of(php, "-r", script, unaccepting.url()))).isEqualTo(expected.repeat(10));
        }
    }

    /** The same for Python. */
    @Test
    void pythonClientTellsACallThatSentNothingFromOneThatMayHaveBeenCarriedOut() throws Exception {
        String python = onPath("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed; skipping the Python client test");
        String script = """
                import json, sys
                sys.path.insert(0, "clients/python")
                from gateway import Gateway, GatewayError
                for label, url in zip(["refused", "noConnection", "dropped", "cut", "dribbled", "notHttp"], sys.argv[1:]):
                    try:
                        print(label, json.dumps(Gateway(url, timeout=1).sendToAll("maybe", msg_id="m1")))
                    except GatewayError as e:
                        print(label, e.code, json.dumps(e.status), e)
                """;
        assertBrokenConnections(brokenConnections(List.of(python, "-c", script)));
    }

    private static void assertBrokenConnections(BrokenRun run) {
        String lost = "; the call may still have been carried out (retry it with the same msg_id)\n";
        assertThat(run.out()).containsPattern("(?m)^" + java.util.regex.Pattern.quote("refused unreachable null gatewayd at "
                + run.refused() + " did not answer: ") + ".*Connection refused.*\n");
        assertThat(run.out()).startsWith("refused ").contains("\nnoConnection unreachable null gatewayd at " + run.unaccepting()
                + " did not answer: no connection within 1 s, so nothing was sent\n");
        assertThat(run.out()).containsPattern("(?m)^" + java.util.regex.Pattern.quote("dropped connection_lost null the connection"
                + " to gatewayd at " + run.dropping().url() + " broke before a whole answer came (") + ".+"
                + java.util.regex.Pattern.quote(")" + lost));
        assertThat(run.out()).containsPattern("(?m)^" + java.util.regex.Pattern.quote("cut connection_lost null the connection"
                + " to gatewayd at " + run.cutting().url() + " broke before a whole answer came (") + ".+"
                + java.util.regex.Pattern.quote(")" + lost));
        assertThat(run.out()).contains("\ndribbled timeout null gatewayd at " + run.dribbling().url()
                + " did not answer within 1 s" + lost);
        // the reason's wording is the transport's: "SSH-2.0-..." (streams), curl's, Python's BadStatusLine
        assertThat(run.out()).contains("\nnotHttp not_gatewayd null " + run.notHttp().url() + "/api/sendToAll answered"
                + " something that is not HTTP (").contains("); is this the gateway's control URL?\n");
        assertThat(List.of(run.dropping().requests(), run.cutting().requests(), run.dribbling().requests(),
                run.notHttp().requests())).as("the whole request reached each server that took the connection")
                .containsExactly(1, 1, 1, 1);
    }

    /** The same for Python. */
    @Test
    void pythonClientRaisesItsErrorWithCodeAndStatusForEveryFailure() throws Exception {
        String python = onPath("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed; skipping the Python client test");
        String pythonScript = """
                import json, sys
                sys.path.insert(0, "clients/python")
                from gateway import Gateway, GatewayError
                limited, cluster, proxy, silent, down = sys.argv[1:]
                def show(label, url, f):
                    try:
                        print(label, json.dumps(f(Gateway(url, timeout=1))))
                        return False
                    except GatewayError as e:
                        print(label, e.code, json.dumps(e.status), json.dumps(e.details), e)
                        return True
                show("413", limited, lambda gw: gw.sendToAll("x" * 2000))
                for i in range(20):
                    if show("429", limited, lambda gw: gw.getAllClientIdCount()):
                        break
                show("503", cluster, lambda gw: gw.sendToAll("during the outage"))
                show("502", proxy, lambda gw: gw.getAllClientIdCount())
                show("timeout", silent, lambda gw: gw.sendToAll("maybe"))
                show("down", down, lambda gw: gw.getAllClientIdCount())
                """;
        FailureRun run = failingEndpoints(List.of(python, "-c", pythonScript));
        List<String> urls = run.urls();
        String pyOut = run.out();
        assertThat(pyOut).contains("413 body_too_large 413 {} sendToAll: request body is larger than the limit");
        assertThat(pyOut).contains("429 rate_limited 429 {} getAllClientIdCount: more than 1 requests per second");
        assertThat(pyOut).contains("503 cluster_unavailable 503 {\"delivered_local\": 1} sendToAll: the cluster"
                + " is unavailable");
        assertThat(pyOut).contains("502 not_gatewayd 502 {} " + notGatewayUrl("proxy") + "/api/getAllClientIdCount"
                + " answered 502 but not with JSON (\"<html><h1>502 Bad Gateway</h1></html>\"); a proxy in front of"
                + " the gateway that cannot reach it, or not the control URL?\n");
        assertThat(pyOut).contains("timeout timeout null {} gatewayd at " + urls.get(3) + " did not answer within"
                + " 1 s; the call may still have been carried out (retry it with the same msg_id)\n");
        assertThat(pyOut).contains("down unreachable null {} gatewayd at " + urls.get(4) + " did not answer:");
    }

    /**
     * What a Python backend naturally passes: int uids, one id where a list may go (not its letters),
     * sets, tuples and dict views of ids, bytes (pushed as those bytes) and dicts as messages; and
     * GatewayClient's aliases, its '' defaults and its raw flag (refused). Results are Python's lists,
     * dicts, bools and ints; a failure is a GatewayError carrying the gateway's code and HTTP status.
     * Each line the script prints is one call's result as JSON.
     */
    @Test
    void pythonClientTakesWhatPythonCodePasses() throws Exception {
        String python = onPath("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed; skipping the Python client test");
        String script = """
                import json, sys
                sys.path.insert(0, "clients/python")
                from gateway import Gateway, GatewayError
                url, a, b = sys.argv[1:]
                gw = Gateway(url)
                def show(label, f):
                    try:
                        print(label, json.dumps(f(), ensure_ascii=False, sort_keys=True))
                    except GatewayError as e:
                        print(label, "GatewayError:", e, e.code, e.status)
                show("bind", lambda: [gw.bindUid(a, 7), gw.bindUid(b, "ab")])
                gw.joinGroup(a, "room/1 #ü"); gw.joinGroup(b, "room/1 #ü"); gw.joinGroup(b, "b")
                groups = gw.getAllGroupIdList()
                show("groups", lambda: groups)
                show("clientIdsOfSet", lambda: gw.getClientIdListByGroup(set(groups)) == sorted([a, b]))
                show("uidsOfTuple", lambda: gw.getUidListByGroup(tuple(groups)))
                show("oneUidOnline", lambda: gw.isUidsOnline("ab"))
                show("oneUidIds", lambda: gw.batchGetClientIdByUid("ab") == {"ab": [b]})
                show("oneGroupCount", lambda: gw.batchGetClientIdCountByGroup("b"))
                show("toDictKeys", lambda: gw.sendToUid(gw.isUidsOnline([7, "ab"]).keys(), "to uids"))
                show("toOneId", lambda: gw.sendToAll("to a", a))
                show("toAllExcludingEmpty", lambda: gw.sendToAll("to all", None, ""))
                show("toNoIds", lambda: gw.sendToAll("to nobody", []))
                show("bytesToGroups", lambda: gw.sendToGroup(groups, b"\\x00\\xff", exclude_client_ids={a}))
                show("dictToIntUid", lambda: gw.sendToUid(7, {"type": "dict"}))
                show("raw", lambda: gw.sendToAll("a whole frame", None, None, True))
                show("aliases", lambda: [gw.getAllClientCount(), gw.getClientCountByGroup(""),
                                         gw.getAllClientInfo("b") == {b: {}}, gw.getClientInfoByGroup("b") == {b: {}}])
                show("allSessions", lambda: len(gw.getAllClientSessions("")))
                show("batch", lambda: gw.batch([("getAllUidCount",), ("sendToClient", {"client_id": a, "message": b"\\x01"})]))
                show("badId", lambda: gw.bindUid("not-a-client-id", 1))
                show("dictAsUids", lambda: gw.sendToUid({"ab": True}, "x"))
                show("timeout", lambda: Gateway(url, timeout="5"))
                show("token", lambda: Gateway(url, token="s3cret\\n"))
                """;
        try (TestGateway own = TestGateway.start(); WsClient a = own.client(); WsClient b = own.client()) {
            String url = "http://127.0.0.1:" + own.gateway().controlPort();
            String out = run(List.of(python, "-c", script, url, a.clientId(), b.clientId()));
            assertThat(out).contains("bind [true, true]\n", "groups [\"b\", \"room/1 #ü\"]\n",
                    "clientIdsOfSet true\n", "uidsOfTuple [\"7\", \"ab\"]\n", "oneUidOnline {\"ab\": true}\n",
                    "oneUidIds true\n", "oneGroupCount {\"b\": 1}\n", "toDictKeys 2\n", "toOneId 1\n",
                    "toAllExcludingEmpty 2\n", "toNoIds 0\n", "bytesToGroups 1\n", "dictToIntUid 1\n");
            assertThat(out).contains("raw GatewayError: sendToAll: raw=True is not supported: gatewayd frames every"
                    + " message for the client's protocol itself, so pass the payload, not a frame, and leave raw out"
                    + " invalid_param None\n");
            assertThat(out).contains("aliases [2, 2, true, true]\n", "allSessions 2\n",
                    "batch [{\"result\": 2}, {\"result\": {\"delivered\": 1}}]\n");
            assertThat(out).contains("badId GatewayError: bindUid: ").containsPattern("badId .*client_id.* invalid_param 400\n");
            assertThat(out).contains("dictAsUids GatewayError: sendToUid: uids must be one id or a list, tuple or set"
                    + " of them, got dict");
            assertThat(out).contains("timeout GatewayError: timeout must be a number of seconds above 0");
            assertThat(out).contains("token GatewayError: the control token must be").doesNotContain("s3cret");
            assertThat(a.next()).isEqualTo("to uids");
            assertThat(b.next()).isEqualTo("to uids");
            assertThat(a.next()).isEqualTo("to a");
            for (WsClient c : List.of(a, b)) {
                assertThat(c.next()).isEqualTo("to all");
            }
            assertThat(b.next()).as("bytes arrive as a binary frame of them").isEqualTo("binary:AP8=");
            assertThat(a.nextJson().get("type").asText()).isEqualTo("dict");
            assertThat(a.next()).as("the raw send sent nothing").isEqualTo("binary:AQ==");

            // GatewayWorker's misspelt alias, once b has read everything: destroy cuts the socket
            // without a close frame, and a client cut that way may lose what it had not read yet
            String destroyed = run(List.of(python, "-c", """
                    import json, sys
                    sys.path.insert(0, "clients/python")
                    from gateway import Gateway
                    print("destory", json.dumps(Gateway(sys.argv[1]).destoryClient(sys.argv[2])))
                    """, url, b.clientId()));
            assertThat(destroyed).contains("destory true\n");
        }
    }

    /**
     * One connection per thread, kept alive across calls; when the gateway has closed it while idle
     * (control.request-timeout), the next call opens a new one instead of failing, whether the client
     * notices before sending or only when the request (a query, harmless twice) fails on it.
     */
    @Test
    void pythonClientKeepsItsConnectionAndReopensOneTheGatewayClosed() throws Exception {
        String python = onPath("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed; skipping the Python client test");
        String script = """
                import sys, time
                sys.path.insert(0, "clients/python")
                from gateway import Gateway
                gw = Gateway(sys.argv[1])
                def local_port():
                    return gw._local.conn.sock.getsockname()[1]
                def closed_by_gateway():
                    sock = gw._local.conn.sock
                    deadline = time.monotonic() + 20
                    while not Gateway._dropped(sock):
                        if time.monotonic() > deadline:
                            sys.exit("the gateway did not close the idle connection within 20 s")
                        time.sleep(0.02)
                counts = [gw.getAllClientIdCount()]
                first = local_port()
                counts += [gw.getAllClientIdCount(), gw.sendToAll("x")]
                print("kept", local_port() == first)
                closed_by_gateway()
                counts.append(gw.getAllClientIdCount())
                print("reopened", local_port() != first)
                # as if the close had come after the check: the request itself fails on the old connection
                second = local_port()
                closed_by_gateway()
                Gateway._dropped = staticmethod(lambda sock: False)
                Gateway._idled_out = staticmethod(lambda conn: False)
                counts.append(gw.getAllClientIdCount())
                print("retried", local_port() != second)
                print("counts", counts)
                """;
        try (TestGateway own = TestGateway.start("""
                control:
                  listen: http://127.0.0.1:0
                  request-timeout: 1s
                """)) {
            // 1 s, not less: below a second the gateway advertises Keep-Alive: timeout=0 and the client
            // rightly never reuses a connection, which is not what this test is about
            String out = run(List.of(python, "-c", script, "http://127.0.0.1:" + own.gateway().controlPort()));
            assertThat(out).isEqualTo("kept True\nreopened True\nretried True\ncounts [0, 0, 0, 0, 0]\n");
        }
    }

    /**
     * Code written for GatewayClient feeds its own answers back in: group lists come as {group: group}
     * maps, an empty exclude argument is '' as often as null, and the deprecated getClientInfoByGroup
     * is still called. $raw = true (a ready frame) cannot be honoured and is refused rather than sent
     * framed twice. Each line the script prints is one call's result as JSON.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(PhpTransport.class)
    void phpClientTakesGatewayClientsOwnShapesAsArguments(PhpTransport transport) throws Exception {
        String php = transport.php();
        String script = transport.strictClient() + """
                [, Gateway::$apiUrl, $a, $b] = $argv;
                function show($label, $f) {
                    try { echo $label, ' ', json_encode($f(), JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\\n"; }
                    catch (\\Gatewayd\\GatewayException $e) { echo $label, ' GatewayException: ', $e->getMessage(), "\\n"; }
                }
                Gateway::bindUid($a, 7);
                Gateway::joinGroup($a, 'room/1 #ü');
                Gateway::joinGroup($b, 'room/1 #ü');
                Gateway::joinGroup($b, 'b');
                $groups = Gateway::getAllGroupIdList();
                show('groups', fn() => $groups);
                show('clientIdsOfGroups', fn() => Gateway::getClientIdListByGroup($groups));
                show('uidsOfGroups', fn() => Gateway::getUidListByGroup($groups));
                show('infoOfB', fn() => Gateway::getClientInfoByGroup('b'));
                show('toAllExcludingEmpty', fn() => Gateway::sendToAll('to all', null, ''));
                show('toNoIds', fn() => Gateway::sendToAll('to nobody', []));
                show('toGroupsExcludingEmpty', fn() => Gateway::sendToGroup($groups, 'to groups', ''));
                show('raw', fn() => Gateway::sendToAll('a whole frame', null, null, true));
                show('rawFalse', fn() => Gateway::sendToUid(7, 'not raw', false));
                show('idsOfOnlineAndOfflineUids', fn() => Gateway::batchGetClientIdByUid([7, 'nobody']));
                show('twoGroups', fn() => Gateway::joinGroup($a, 'x', 'y'));
                show('countOfGroup', fn() => Gateway::getAllClientCount('b'));
                show('groupsAfterwards', fn() => Gateway::getAllGroupIdList());
                show('batchOfMethodsAlone', fn() => Gateway::batch([['getAllUidCount'], ['getAllClientIdCount', null]]));
                show('batchWithAThirdElement', fn() => Gateway::batch([['sendToUid', ['uid' => 7, 'message' => 'lost'], ['x']]]));
                """;
        // its own gateway: the groups of the other tests' clients would show in getAllGroupIdList
        try (TestGateway own = TestGateway.start(); WsClient a = own.client(); WsClient b = own.client()) {
            String out = run(List.of(php, "-r", script, "http://127.0.0.1:" + own.gateway().controlPort(),
                    a.clientId(), b.clientId()));
            String both = a.clientId().compareTo(b.clientId()) < 0
                    ? "{\"" + a.clientId() + "\":\"" + a.clientId() + "\",\"" + b.clientId() + "\":\"" + b.clientId() + "\"}"
                    : "{\"" + b.clientId() + "\":\"" + b.clientId() + "\",\"" + a.clientId() + "\":\"" + a.clientId() + "\"}";
            assertThat(out).contains("groups {\"b\":\"b\",\"room/1 #ü\":\"room/1 #ü\"}\n");
            assertThat(out).contains("clientIdsOfGroups " + both + "\n");
            assertThat(out).contains("uidsOfGroups {\"7\":\"7\"}\n");
            assertThat(out).contains("infoOfB {\"" + b.clientId() + "\":[]}\n");
            assertThat(out).contains("toAllExcludingEmpty 2\n", "toNoIds 0\n", "toGroupsExcludingEmpty 2\n");
            assertThat(out).contains("raw GatewayException: sendToAll: $raw = true is not supported: gatewayd frames"
                    + " every message for the client's protocol itself, so pass the payload, not a frame, and leave"
                    + " $raw out\n", "rawFalse 1\n");
            for (WsClient c : List.of(a, b)) {
                assertThat(c.next()).isEqualTo("to all");
                assertThat(c.next()).isEqualTo("to groups");
            }
            assertThat(a.next()).as("the raw send sent nothing").isEqualTo("not raw");
            assertThat(out).as("as in GatewayClient, a uid without a connection is left out")
                    .contains("idsOfOnlineAndOfflineUids {\"7\":[\"" + a.clientId() + "\"]}\n");
            assertThat(out).as("an argument GatewayClient would drop too is refused: it was meant to do something")
                    .contains("twoGroups GatewayException: joinGroup: takes 2 arguments ($client_id, $group), got 3;"
                            + " the others would be ignored, so nothing was sent\n")
                    .contains("countOfGroup GatewayException: getAllClientCount: takes 0 arguments, got 1; the others"
                            + " would be ignored, so nothing was sent\n")
                    .contains("groupsAfterwards {\"b\":\"b\",\"room/1 #ü\":\"room/1 #ü\"}\n");
            assertThat(out).as("a batch call as a list of the method and, if any, its parameters")
                    .contains("batchOfMethodsAlone [{\"result\":1},{\"result\":2}]\n")
                    .contains("batchWithAThirdElement GatewayException: batch: call [0] must be [method, params] or"
                            + " [method], got \"[\"sendToUid\",{\"uid\":7,\"message\":\"lost\"},[\"x\"]]\"\n");
        }
    }

    /**
     * The flow of a GatewayWorker admin panel (shared/reference/frontend-example.html) with a PhalApi-style
     * PHP backend: the page reads its client_id from SERVER_INIT, announces itself, posts the id to the
     * backend, which binds it to an integer uid, puts it in a group and pushes json_encode()d messages;
     * the page's *_HEARTBEAT is answered; after a reconnect the old id is gone and the new one is bound.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(PhpTransport.class)
    void frontendExampleFlowWithAPhpBackend(PhpTransport transport) throws Exception {
        String php = transport.php();
        String bindEndpoint = transport.client() + """
                use Gatewayd\\Gateway;
                [, Gateway::$apiUrl, $clientId] = $argv;
                $uid = 1001;
                Gateway::bindUid($clientId, $uid);
                Gateway::joinGroup($clientId, 'admin');
                Gateway::sendToUid($uid, json_encode(['type' => 'PORTAL_BIND', 'uid' => $uid]));
                Gateway::sendToGroup('admin', json_encode(['type' => 'MANAGE_NOTICE', 'text' => 'hi']));
                echo json_encode(Gateway::getClientIdByUid($uid)), ' ', Gateway::isOnline($clientId), "\\n";
                """;
        String api = "http://127.0.0.1:" + gw.gateway().controlPort();
        String firstId;
        try (WsClient page = gw.client()) {
            firstId = page.clientId();
            page.send("{\"type\":\"MANAGE_CONNECT\",\"token\":\"example\"}");
            assertThat(page.nextJson().get("type").asText()).isEqualTo("MANAGE_CONNECT");
            assertThat(run(List.of(php, "-r", bindEndpoint, api, firstId))).isEqualTo("[\"" + firstId + "\"] 1\n");
            assertThat(page.next()).isEqualTo("{\"type\":\"PORTAL_BIND\",\"uid\":1001}");
            assertThat(page.next()).isEqualTo("{\"type\":\"MANAGE_NOTICE\",\"text\":\"hi\"}");
            page.send("{\"type\":\"MANAGE_HEARTBEAT\"}");
            JsonNode beat = page.nextJson();
            assertThat(beat.get("type").asText()).isEqualTo("MANAGE_HEARTBEAT");
            assertThat(beat.get("client_id").asText()).isEqualTo(firstId);
        }
        Await.until("the closed page's uid binding is gone",
                () -> gw.call("getClientIdByUid", Map.of("uid", 1001)).isEmpty());
        try (WsClient page = gw.client()) {
            assertThat(page.clientId()).isNotEqualTo(firstId);
            assertThat(run(List.of(php, "-r", bindEndpoint, api, page.clientId())))
                    .isEqualTo("[\"" + page.clientId() + "\"] 1\n");
            assertThat(page.nextJson().get("type").asText()).isEqualTo("PORTAL_BIND");
            assertThat(page.nextJson().get("type").asText()).isEqualTo("MANAGE_NOTICE");
        }
    }

    /**
     * GatewayClient pushes a string's bytes as they are: a device protocol on frame:// gets exactly
     * them, a WebSocket client a binary frame of them; UTF-8 text stays a text frame.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(PhpTransport.class)
    void phpClientPushesBytesThatAreNotUtf8AsTheyAre(PhpTransport transport) throws Exception {
        String php = transport.php();
        String script = transport.strictClient() + """
                [, Gateway::$apiUrl, $device, $browser] = $argv;
                var_dump(Gateway::sendToClient($device, "\\x00\\x01\\xfe\\xff"));
                var_dump(Gateway::sendToUid('browser', "\\xc3"));
                var_dump(Gateway::sendToUid('browser', 'héllo'));
                """;
        try (TestGateway own = TestGateway.start("""
                listeners:
                  - url: websocket://127.0.0.1:0
                  - url: frame://127.0.0.1:0
                """);
             java.net.Socket device = new java.net.Socket("127.0.0.1", own.gateway().port("frame"));
             WsClient browser = own.client()) {
            device.setSoTimeout(20_000);
            java.io.DataInputStream in = new java.io.DataInputStream(device.getInputStream());
            String deviceId = WsClient.json(new String(readFrame(in), StandardCharsets.UTF_8)).get("client_id").asText();
            own.call("bindUid", java.util.Map.of("client_id", browser.clientId(), "uid", "browser"));
            String out = run(List.of(php, "-r", script, "http://127.0.0.1:" + own.gateway().controlPort(),
                    deviceId, browser.clientId()));
            assertThat(out).isEqualTo("bool(true)\nint(1)\nint(1)\n");
            assertThat(readFrame(in)).containsExactly(0x00, 0x01, 0xfe, 0xff);
            assertThat(browser.next()).isEqualTo("binary:ww==");
            assertThat(browser.next()).isEqualTo("héllo");
        }
    }

    /** One frame:// payload; Workerman's length counts its own 4 bytes. */
    static byte[] readFrame(java.io.DataInputStream in) throws IOException {
        byte[] payload = new byte[in.readInt() - 4];
        in.readFully(payload);
        return payload;
    }

    /**
     * A 200 answer that is not JSON, or JSON that is no gatewayd answer, is a GatewayException naming the
     * URL and the body (not a warning and null); parameters that are not UTF-8 are one before any request.
     * An error handler turns every PHP warning into an uncaught ErrorException, which fails the script.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(PhpTransport.class)
    void phpClientRefusesWhatIsNotTheGatewaysAnswer(PhpTransport transport) throws Exception {
        String php = transport.php();
        String script = transport.strictClient() + """
                foreach (array_slice($argv, 1) as $url) {
                    \\Gatewayd\\Gateway::$apiUrl = $url;
                    try {
                        var_dump(\\Gatewayd\\Gateway::getAllClientIdCount());
                    } catch (\\Gatewayd\\GatewayException $e) {
                        echo 'GatewayException: ', $e->getMessage(), "\\n";
                    }
                }
                try {
                    \\Gatewayd\\Gateway::setSession('7f0000011f9300000001', ['name' => "\\xff\\xfe"]);
                } catch (\\Gatewayd\\GatewayException $e) {
                    echo 'GatewayException: ', $e->getMessage(), "\\n";
                }
                try {
                    \\Gatewayd\\Gateway::batch([['sendToAll', ['message' => "\\xff\\xfe"]]]);
                } catch (\\Gatewayd\\GatewayException $e) {
                    echo 'GatewayException: ', $e->getMessage(), "\\n";
                }
                \\Gatewayd\\Gateway::$token = "s3cret\\r\\nX-Injected: 1";
                try {
                    \\Gatewayd\\Gateway::getAllClientIdCount();
                } catch (\\Gatewayd\\GatewayException $e) {
                    echo 'GatewayException: ', $e->getErrorCode(), ' ', $e->getMessage(), "\\n";
                }
                """;
        notGatewayRequests.set(0);
        String out = run(List.of(php, "-r", script, notGatewayUrl("html"), notGatewayUrl("json"),
                notGatewayUrl("redirect")));
        assertThat(out).contains("GatewayException: " + notGatewayUrl("html")
                + "/api/getAllClientIdCount answered 200 but not with JSON (\"<html>\"); is this the gateway's control URL?");
        assertThat(out).contains("GatewayException: " + notGatewayUrl("json")
                + "/api/getAllClientIdCount answered 200 with JSON that is no gatewayd answer");
        assertThat(out).contains("GatewayException: setSession: session.name is not valid UTF-8 (Malformed UTF-8"
                + " characters, possibly incorrectly encoded); convert it with mb_convert_encoding() or iconv()\n");
        assertThat(out).contains("GatewayException: batch: [0].params.message is not valid UTF-8 (Malformed UTF-8"
                + " characters, possibly incorrectly encoded); convert it with mb_convert_encoding() or iconv(), or send"
                + " binary data base64-encoded as message_base64\n");
        assertThat(out).as("a redirect is not followed: it would turn the POST into a GET without parameters,"
                + " sent to another server").contains("GatewayException: " + notGatewayUrl("redirect")
                + "/api/getAllClientIdCount answered 302, a redirect to " + notGatewayUrl("json") + "/api/x;"
                + " is this the gateway's control URL?\n");
        assertThat(out).as("a line break in the token would end its header and start one of its own")
                .contains("GatewayException: invalid_config Gateway::$token must be a string of printable ASCII,"
                        + " without spaces or a newline at either end (from the file or variable it was read from?)\n")
                .doesNotContain("s3cret");
        assertThat(out).doesNotContain("NULL", "Warning");
        assertThat(notGatewayRequests.get()).as("getAllClientIdCount three times, the redirect not followed;"
                + " setSession, batch and the call with a broken token send nothing").isEqualTo(3);
    }

    /**
     * The proxy variables of the environment do not take the call (and its token) elsewhere: PHP's
     * streams never read them, so curl must not either, or installing php-curl would send control
     * calls to whatever proxy a shell or container has set for the outside world.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(PhpTransport.class)
    void phpClientGoesToItsUrlWhateverProxyTheEnvironmentNames(PhpTransport transport) throws Exception {
        String php = transport.php();
        String script = transport.strictClient() + """
                Gateway::$apiUrl = $argv[1];
                Gateway::$token = 'secret';
                var_dump(Gateway::getAllClientIdCount());
                """;
        String proxy = "http://127.0.0.1:" + notGateway.getAddress().getPort();
        Map<String, String> env = new java.util.HashMap<>();
        for (String name : List.of("http_proxy", "https_proxy", "all_proxy", "HTTPS_PROXY", "ALL_PROXY")) {
            env.put(name, proxy);
        }
        env.put("no_proxy", null);
        env.put("NO_PROXY", null);
        try (TestGateway own = TestGateway.start()) {
            notGatewayRequests.set(0);
            String out = run(List.of(php, "-r", script, "http://127.0.0.1:" + own.gateway().controlPort()), env);
            assertThat(out).isEqualTo("int(0)\n");
            assertThat(notGatewayRequests.get()).as("requests that went to the proxy").isZero();
        }
    }

    /**
     * Without the curl extension (php -n loads none), 'auto' takes PHP's streams; asking for curl
     * there, or for a transport that does not exist, is an error saying what to do, before any request.
     */
    @Test
    void phpClientTakesStreamsWithoutCurlAndSaysWhatToInstallForCurl() throws Exception {
        String php = PhpTransport.STREAMS.php();
        String script = """
                require 'clients/php/Gateway.php';
                use Gatewayd\\Gateway;
                Gateway::$apiUrl = $argv[1];
                echo extension_loaded('curl') ? 'curl' : 'no curl', "\\n";
                foreach (['auto', 'curl', 'Curl'] as $transport) {
                    Gateway::$transport = $transport;
                    try { $count = Gateway::getAllClientIdCount(); echo $transport, ' ', json_encode($count), "\\n"; }
                    catch (\\Gatewayd\\GatewayException $e) { echo $transport, ' ', $e->getErrorCode(), ' ', $e->getMessage(), "\\n"; }
                }
                """;
        try (TestGateway own = TestGateway.start()) {
            String out = run(List.of(php, "-n", "-r", script, "http://127.0.0.1:" + own.gateway().controlPort()));
            assertThat(out).isEqualTo("no curl\nauto 0\ncurl invalid_config Gateway::$transport is 'curl' but this PHP"
                    + " has no curl extension; install it (apt-get install php-curl) or set Gateway::$transport to"
                    + " 'auto' or 'streams'\nCurl invalid_config Gateway::$transport must be 'auto', 'curl' or"
                    + " 'streams', got 'Curl'\n");
        }
    }

    /**
     * The same for Python: GatewayError, never JSONDecodeError or KeyError; bytes in a session are one
     * before any request; a redirect is one, not followed.
     */
    @Test
    void pythonClientRefusesWhatIsNotTheGatewaysAnswer() throws Exception {
        String python = onPath("python3");
        Assumptions.assumeTrue(python != null, "python3 is not installed; skipping the Python client test");
        String script = """
                import sys
                sys.path.insert(0, "clients/python")
                from gateway import Gateway, GatewayError
                for url in sys.argv[1:]:
                    try:
                        print(Gateway(url).getAllClientIdCount())
                    except GatewayError as e:
                        print("GatewayError:", e)
                try:
                    Gateway(sys.argv[1]).setSession("7f0000011f9300000001", {"name": b"\\xff"})
                except GatewayError as e:
                    print("GatewayError:", e)
                try:
                    Gateway(sys.argv[2].replace("/json", "/redirect"), token="s3cret").getAllClientIdCount()
                except GatewayError as e:
                    print("GatewayError:", e)
                """;
        notGatewayRequests.set(0);
        String out = run(List.of(python, "-c", script, notGatewayUrl("html"), notGatewayUrl("json")));
        assertThat(out).contains("GatewayError: " + notGatewayUrl("html")
                + "/api/getAllClientIdCount answered 200 but not with JSON (\"<html>\"); is this the gateway's control URL?");
        assertThat(out).contains("GatewayError: " + notGatewayUrl("json")
                + "/api/getAllClientIdCount answered 200 with JSON that is no gatewayd answer");
        assertThat(out).contains("GatewayError: setSession: the parameters cannot be sent as JSON: Object of type"
                + " bytes is not JSON serializable (decode bytes to str; only a pushed message may be bytes)\n");
        assertThat(out).as("a redirect is not followed: it would turn the POST into a GET without parameters and"
                + " take the token elsewhere").contains("GatewayError: " + notGatewayUrl("redirect")
                + "/api/getAllClientIdCount answered 302, a redirect to " + notGatewayUrl("json") + "/api/x;"
                + " is this the gateway's control URL?\n");
        assertThat(notGatewayRequests.get()).as("getAllClientIdCount twice, then the redirect; setSession sends"
                + " nothing").isEqualTo(3);
    }
}
