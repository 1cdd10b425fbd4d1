package io.gatewayd.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TestGateway;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * control.max-connections over real sockets: a leaking backend fills the cap, its next
 * connections get 503 too_many_connections, gatewayctl's requests still get through on the
 * operator's reserve, and past the reserve connections get a 503 without their request being read.
 */
class ControlConnectionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GET_COUNT = "GET /api/getAllClientIdCount HTTP/1.1\r\nHost: x\r\n\r\n";

    @Test
    void overTheCapARequestGets503AndTheOperatorsRequestsStillGetThrough() throws Exception {
        try (TestGateway gw = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  max-connections: 2\n")) {
            int port = gw.gateway().controlPort();
            List<RawClient> held = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) { // a backend's keep-alive connections, served and kept open
                    RawClient c = new RawClient(port);
                    held.add(c);
                    c.write(GET_COUNT);
                    String head = c.readHead();
                    assertThat(RawClient.status(head)).isEqualTo(200);
                    c.readBody(head);
                }

                try (RawClient over = new RawClient(port)) {
                    over.write(GET_COUNT);
                    String head = over.readHead();
                    assertThat(RawClient.status(head)).isEqualTo(503);
                    assertThat(head).containsIgnoringCase("Retry-After: 1");
                    JsonNode error = JSON.readTree(over.readBody(head)).get("error");
                    assertThat(error.get("code").asText()).isEqualTo("too_many_connections");
                    assertThat(error.get("message").asText()).contains("limit of 2", "raise control.max-connections");
                    assertThat(over.socket().getInputStream().read()).as("closed after the 503").isEqualTo(-1);
                }

                for (String operator : List.of("GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n",
                        "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")) {
                    try (RawClient gatewayctl = new RawClient(port)) {
                        gatewayctl.write(operator);
                        String head = gatewayctl.readHead();
                        assertThat(RawClient.status(head)).as(operator).isEqualTo(200);
                        gatewayctl.readBody(head);
                        assertThat(gatewayctl.socket().getInputStream().read())
                                .as("served once, then closed: the reserve is for the next one").isEqualTo(-1);
                    }
                }
                JsonNode limits = gw.get("/api/status").json().get("result").get("limits");
                assertThat(limits.get("control_refused").asInt()).isEqualTo(1);
                assertThat(limits.get("control_max_connections").asInt()).isEqualTo(2);

                // the backend lets one go: a new connection is served normally again
                held.remove(0).close();
                Await.until("a slot is free again", () -> gw.gateway().controlConnections() < 2);
                try (RawClient again = new RawClient(port)) {
                    again.write(GET_COUNT);
                    assertThat(RawClient.status(again.readHead())).isEqualTo(200);
                }
            } finally {
                for (RawClient c : held) {
                    c.close();
                }
            }
        }
    }

    @Test
    void pastTheOperatorsReserveAConnectionIsRefusedAtOnceWithoutBeingRead() throws Exception {
        try (TestGateway gw = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  max-connections: 2\n")) {
            int port = gw.gateway().controlPort();
            int fill = 2 + ControlAdmission.OPERATOR_RESERVE;
            List<RawClient> held = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) { // connected and silent: each holds a slot of the cap until request-timeout
                    held.add(new RawClient(port));
                }
                // the reserve lets a silent connection go after a second: on a host so loaded that filling
                // it took longer, the flood's connection landed on a freed slot; fill it again then
                for (int attempt = 1; ; attempt++) {
                    List<RawClient> reserve = new ArrayList<>();
                    for (int i = 0; i < ControlAdmission.OPERATOR_RESERVE; i++) {
                        reserve.add(new RawClient(port));
                    }
                    held.addAll(reserve);
                    Await.until("the cap and the reserve are full", () -> gw.gateway().controlConnections() == fill);
                    String answer;
                    try (RawClient flood = new RawClient(port, 10_000)) {
                        flood.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"); // served on the reserve
                        answer = flood.readHead();
                        if (RawClient.status(answer) == 503) { // past the reserve: refused, its request unread
                            assertThat(answer).containsIgnoringCase("Retry-After: 1");
                            JsonNode error = JSON.readTree(flood.readBody(answer)).get("error");
                            assertThat(error.get("code").asText()).isEqualTo("too_many_connections");
                            assertThat(error.get("message").asText())
                                    .contains("control.max-connections", "gatewayctl status", "retry in a second");
                            assertThat(flood.closedByServer()).as("closed after the 503").isTrue();
                            break;
                        }
                    }
                    assertThat(reserve.get(0).closedByServer())
                            .as("answered (%s) only because the reserve had let its first connection go", answer)
                            .isTrue();
                    assertThat(attempt).as("attempts to fill the reserve within its deadline").isLessThan(5);
                    for (RawClient c : reserve) {
                        c.close();
                    }
                    held.removeAll(reserve);
                    Await.until("the reserve is empty again", () -> gw.gateway().controlConnections() == 2);
                }
            } finally {
                for (RawClient c : held) {
                    c.close();
                }
            }
        }
    }

    /**
     * Silent connections that take the reserve cannot lock the operator out: each must send its
     * request within a second (the request-timeout here is far longer), and gatewayctl's status
     * gets through well before the request-timeout would have freed them.
     */
    @Test
    void silentConnectionsOnTheReserveAreClosedSoStatusGetsThrough() throws Exception {
        try (TestGateway gw = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  max-connections: 1\n"
                + "  request-timeout: 60s\n")) {
            int port = gw.gateway().controlPort();
            List<RawClient> held = new ArrayList<>();
            try {
                RawClient backend = new RawClient(port); // the cap, served and kept alive
                held.add(backend);
                backend.write(GET_COUNT);
                String head = backend.readHead();
                assertThat(RawClient.status(head)).isEqualTo(200);
                backend.readBody(head);
                List<RawClient> silent = new ArrayList<>();
                for (int i = 0; i < ControlAdmission.OPERATOR_RESERVE; i++) {
                    RawClient c = new RawClient(port, 20_000);
                    silent.add(c);
                    held.add(c);
                }
                // one of them sends half a request line and stops: slow counts as silent
                silent.get(0).write("GET /api/sta");
                Await.until("the cap and the reserve are full",
                        () -> gw.gateway().controlConnections() == 1 + ControlAdmission.OPERATOR_RESERVE);
                long start = System.nanoTime();
                for (RawClient c : silent) {
                    assertThat(c.closedByServer()).as("a silent connection on the reserve is closed").isTrue();
                }
                assertThat(java.time.Duration.ofNanos(System.nanoTime() - start))
                        .as("closed long before control.request-timeout (60 s)").isLessThan(java.time.Duration.ofSeconds(15));
                Await.until("gatewayctl status gets through", java.time.Duration.ofSeconds(15),
                        () -> statusOverNewConnection(port) == 200);
                assertThat(gw.get("/api/status").json().get("result").get("limits").get("control_refused").asInt())
                        .as("the reserve connections closed unserved are refused ones")
                        .isGreaterThanOrEqualTo(ControlAdmission.OPERATOR_RESERVE);
                // the backend's keep-alive connection under the cap never noticed
                backend.write(GET_COUNT);
                assertThat(RawClient.status(backend.readHead())).isEqualTo(200);
            } finally {
                for (RawClient c : held) {
                    c.close();
                }
            }
        }
    }

    /** A reserve connection whose request head came but whose body does not is answered 408 within the same second. */
    @Test
    void aSlowBodyOnTheReserveIsAnswered408Quickly() throws Exception {
        try (TestGateway gw = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  max-connections: 1\n"
                + "  request-timeout: 60s\n")) {
            int port = gw.gateway().controlPort();
            try (RawClient backend = new RawClient(port)) {
                backend.write(GET_COUNT);
                String head = backend.readHead();
                assertThat(RawClient.status(head)).isEqualTo(200);
                backend.readBody(head);
                try (RawClient slow = new RawClient(port, 15_000)) {
                    slow.write("POST /api/admin/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{");
                    String answer = slow.readHead();
                    assertThat(RawClient.status(answer)).isEqualTo(408);
                    JsonNode error = JSON.readTree(slow.readBody(answer)).get("error");
                    assertThat(error.get("code").asText()).isEqualTo("request_timeout");
                    assertThat(error.get("message").asText()).contains("control.max-connections", "1000 ms");
                }
            }
        }
    }

    /**
     * A backend's burst reaches the cap while its pool's keep-alive connections are busy: those
     * keep being served and kept alive throughout, each connection of the burst is answered 503
     * too_many_connections (past the reserve too, where its request is not even read) and every
     * one of them is counted in control_refused.
     */
    @Test
    void aBurstOverTheCapLeavesTheKeptAliveConnectionsAloneAndIsCounted() throws Exception {
        try (TestGateway gw = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  max-connections: 3\n")) {
            int port = gw.gateway().controlPort();
            int burst = ControlAdmission.OPERATOR_RESERVE + 12;
            List<RawClient> pool = new ArrayList<>();
            List<RawClient> over = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    RawClient c = new RawClient(port);
                    pool.add(c);
                    assertKeptAlive(c);
                }
                for (int i = 0; i < burst; i++) { // the burst's requests go out at once, as a pool's would
                    RawClient c = new RawClient(port, 10_000);
                    over.add(c);
                    c.write(GET_COUNT);
                    assertKeptAlive(pool.get(i % pool.size())); // interleaved with the pool's own requests
                }
                for (RawClient c : over) { // on the reserve and past it alike: not "the connection broke"
                    String head = c.readHead();
                    assertThat(RawClient.status(head)).as(head).isEqualTo(503);
                    assertThat(c.readBody(head)).contains("too_many_connections");
                }
                for (RawClient c : pool) {
                    assertKeptAlive(c);
                }
                for (RawClient c : over) {
                    c.close();
                }
                Await.until("the burst is gone", () -> gw.gateway().controlConnections() == 3);
                JsonNode limits = gw.get("/api/status").json().get("result").get("limits"); // on the reserve
                assertThat(limits.get("control_refused").asInt()).as("every connection of the burst").isEqualTo(burst);
            } finally {
                for (RawClient c : over) {
                    c.close();
                }
                for (RawClient c : pool) {
                    c.close();
                }
            }
        }
    }

    /** One request on a pooled connection: served, and the connection stays open for the next. */
    private static void assertKeptAlive(RawClient c) throws IOException {
        c.write(GET_COUNT);
        String head = c.readHead();
        assertThat(RawClient.status(head)).as(head).isEqualTo(200);
        assertThat(head).doesNotContainIgnoringCase("connection: close");
        c.readBody(head);
    }

    /**
     * The leaking backend and gatewayctl usually share an address: the backend spending that
     * address's control.max-requests-per-second must not turn the operator's status into a 429.
     */
    @Test
    void theOperatorsRequestOnTheReserveIsNotRateLimitedByTheBackendsAddress() throws Exception {
        try (TestGateway gw = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  max-connections: 1\n"
                + "  max-requests-per-second: 1\n")) {
            int port = gw.gateway().controlPort();
            try (RawClient backend = new RawClient(port)) {
                backend.write(GET_COUNT); // the address's one request this second
                String head = backend.readHead();
                assertThat(RawClient.status(head)).isEqualTo(200);
                backend.readBody(head);
                try (RawClient gatewayctl = new RawClient(port)) {
                    gatewayctl.write("GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n");
                    assertThat(RawClient.status(gatewayctl.readHead())).isEqualTo(200);
                }
            }
        }
    }

    /** The status code of GET /api/status over a new connection, or -1 when the connection closes unanswered. */
    private static int statusOverNewConnection(int port) {
        try (RawClient c = new RawClient(port, 10_000)) {
            c.write("GET /api/status HTTP/1.1\r\nHost: x\r\n\r\n");
            return RawClient.status(c.readHead());
        } catch (IOException e) {
            return -1;
        }
    }

    /** gatewayctl's own client (java.net.http) gets status and admin/stop through while others hold the whole cap. */
    @Test
    void gatewayctlsClientStillGetsStatusAndStopsTheGateway() throws Exception {
        try (TestGateway gw = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  max-connections: 1\n")) {
            java.util.concurrent.atomic.AtomicInteger stops = new java.util.concurrent.atomic.AtomicInteger();
            io.gatewayd.lifecycle.AdminApi.install(gw.gateway(), new io.gatewayd.lifecycle.AdminApi.Control() {
                @Override
                public java.util.Map<String, Object> stop(boolean graceful, java.time.Duration timeout) {
                    stops.incrementAndGet(); // what the process does is not the point: that the call gets through is
                    return java.util.Map.of("state", "stopping");
                }

                @Override
                public java.util.concurrent.CompletableFuture<java.util.Map<String, Object>> reload() {
                    return java.util.concurrent.CompletableFuture.completedFuture(java.util.Map.of());
                }
            });
            try (RawClient held = new RawClient(gw.gateway().controlPort())) {
                held.write(GET_COUNT);
                assertThat(RawClient.status(held.readHead())).isEqualTo(200);
                io.gatewayd.cli.ControlClient ctl = new io.gatewayd.cli.ControlClient(gw.gateway().controlUrl(), null,
                        java.time.Duration.ofSeconds(10));
                for (int i = 0; i < ControlAdmission.OPERATOR_RESERVE + 2; i++) { // more than the reserve: each is closed after
                    assertThat(ctl.get("/api/status").path("limits").path("control_max_connections").asInt())
                            .isEqualTo(1);
                }
                assertThat(ctl.call("admin/stop", JSON.createObjectNode()).path("state").asText()).isEqualTo("stopping");
                assertThat(stops.get()).isEqualTo(1);
            }
        }
    }

    /**
     * gatewayctl's client, refused past a reserve that silent connections fill, tries again after
     * the 503's Retry-After: by then the reserve has let them go.
     */
    @Test
    void gatewayctlsClientGetsThroughOnceTheReserveLetsSilentConnectionsGo() throws Exception {
        try (TestGateway gw = TestGateway.start("control:\n  listen: http://127.0.0.1:0\n  max-connections: 1\n")) {
            int port = gw.gateway().controlPort();
            List<RawClient> held = new ArrayList<>();
            try {
                for (int i = 0; i < 1 + ControlAdmission.OPERATOR_RESERVE; i++) {
                    held.add(new RawClient(port));
                }
                Await.until("the cap and the reserve are full",
                        () -> gw.gateway().controlConnections() == 1 + ControlAdmission.OPERATOR_RESERVE);
                io.gatewayd.cli.ControlClient ctl = new io.gatewayd.cli.ControlClient(gw.gateway().controlUrl(), null,
                        java.time.Duration.ofSeconds(10));
                assertThat(ctl.get("/api/status").path("limits").path("control_max_connections").asInt()).isEqualTo(1);
            } finally {
                for (RawClient c : held) {
                    c.close();
                }
            }
        }
    }

    /** The descriptors kept for the control port come out of the clients' cap, not out of its general headroom. */
    @Test
    void theDescriptorBudgetKeepsTheControlCapAndTheReserve() {
        long without = reserved("control:\n  listen: http://127.0.0.1:0\n  max-connections: 0\n");
        long with = reserved("control:\n  listen: http://127.0.0.1:0\n  max-connections: 500\n");
        // the descriptors open at each start differ by a few (classes loaded, log files)
        assertThat(with - without).isBetween(500L + ControlAdmission.OPERATOR_RESERVE - 20,
                500L + ControlAdmission.OPERATOR_RESERVE + 20);
    }

    private static long reserved(String yaml) {
        try (TestGateway gw = TestGateway.start(yaml)) {
            JsonNode cap = gw.get("/api/status").json().get("result").get("limits").get("connection_cap");
            assertThat(cap.get("open_file_limit").isNull()).as("the test JVM's open-file limit is known").isFalse();
            return cap.get("reserved").asLong();
        }
    }
}
