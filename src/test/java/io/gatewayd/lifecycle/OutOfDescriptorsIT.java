package io.gatewayd.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.InstallationTest;
import io.gatewayd.testing.RawClient;
import io.gatewayd.testing.TempInstallation.Ready;
import io.gatewayd.testing.TempInstallation.Result;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gateway started by the real bin/gatewayctl with a low open-file limit (ulimit -n 256):
 * clients beyond what the limit leaves room for are refused while the control port still
 * serves, and a listener that runs out of descriptors anyway (taken by control connections,
 * which the cap does not count) waits between accepts instead of spinning, with status still
 * answering on a connection opened before.
 */
class OutOfDescriptorsIT extends InstallationTest {
    private static final Duration LONG = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LIMIT = 256;
    private static final int REFUSED = 5;

    @Test
    void clientsBeyondWhatTheOpenFileLimitLeavesAreRefusedAndTheControlPortStillServes() throws Exception {
        Ready ready = inst.startDaemonUnder(openFileLimit());
        List<RawClient> admitted = new ArrayList<>();
        try {
            int refused = 0;
            while (refused < REFUSED) {
                assertThat(admitted.size()).as("clients admitted under a limit of " + LIMIT + " descriptors")
                        .isLessThan(LIMIT);
                RawClient c = new RawClient(ready.ws().getPort(), 10_000);
                String head;
                try {
                    head = c.upgrade();
                } catch (SocketTimeoutException e) {
                    c.close();
                    throw new AssertionError("client " + (admitted.size() + refused + 1) + " was neither admitted "
                            + "nor refused: the gateway could not accept it\n" + inst.read("logs/gatewayd.log"));
                }
                if (RawClient.status(head) == 101) {
                    admitted.add(c);
                } else {
                    c.close();
                    assertThat(RawClient.status(head)).as(head).isEqualTo(503);
                    refused++;
                }
            }

            Result json = inst.run("status", "--json");
            assertThat(json.exit()).as(json.toString()).isZero();
            JsonNode st = JSON.readTree(json.out());
            JsonNode cap = st.path("limits").path("connection_cap");
            assertThat(cap.path("source").asText()).as(cap.toString()).isEqualTo("open-file limit");
            assertThat(cap.path("open_file_limit").asLong()).isEqualTo(LIMIT);
            assertThat(admitted).hasSize(cap.path("effective").asInt());
            assertThat(st.path("limits").path("refused").path("too_many_connections").asLong()).isEqualTo(REFUSED);
            assertThat(st.path("connections").path("accept_failures").asLong()).isZero();

            Result status = inst.run("status");
            assertThat(status.exit()).as(status.toString()).isZero();
            assertThat(status.out()).contains("connection_cap", "effective: " + admitted.size(),
                    "source: open-file limit");
            Result send = inst.run("send", "--all", "still served", "--json");
            assertThat(send.exit()).as(send.toString()).isZero();
            assertThat(JSON.readTree(send.out()).path("delivered").asInt()).isEqualTo(admitted.size());
            assertThat(inst.read("logs/gatewayd.log")).contains("the open-file limit (" + LIMIT + ") is low");
        } finally {
            for (RawClient c : admitted) {
                c.close();
            }
        }
    }

    @Test
    void aListenerOutOfDescriptorsPausesInsteadOfSpinningAndStatusStillAnswers() throws Exception {
        Ready ready = inst.startDaemonUnder(openFileLimit());
        List<Socket> others = new ArrayList<>();
        try (RawClient control = new RawClient(ready.control().getPort())) {
            assertThat(failures(control)).isZero();
            // The cap only counts clients: descriptors taken by something else (here connections
            // to the control port, which it does not limit) still run out. More than the limit, so
            // some wait in the backlog and the control listener keeps trying to accept them.
            for (int i = 0; i < LIMIT; i++) {
                others.add(new Socket("127.0.0.1", ready.control().getPort()));
            }
            Await.until("accepts fail", LONG, () -> failures(control) > 0);
            assertThat(status(control).path("jvm").path("open_files").isNull())
                    .as("open files cannot be counted without a descriptor to count them with").isTrue();

            long f0 = failures(control);
            long t0 = System.nanoTime();
            long[] last = new long[2];
            // a rate needs a window of time; status is asked all along it
            Await.until("a second of failed accepts is counted", LONG, () -> {
                last[0] = failures(control);
                last[1] = System.nanoTime();
                return last[1] - t0 >= TimeUnit.SECONDS.toNanos(1);
            });
            double perSecond = (last[0] - f0) / ((last[1] - t0) / 1e9);
            // paused 100 ms after each failure: ~10 a second; spinning, hundreds of thousands
            assertThat(perSecond).as("failed accepts a second").isLessThan(100);

            for (Socket s : others) {
                s.close();
            }
            Result status = inst.run("status");
            assertThat(status.exit()).as("status once descriptors are free again: " + status).isZero();
            assertThat(status.out()).containsPattern("accepts failed");
            assertThat(inst.read("logs/gatewayd.log")).contains("cannot accept connections", "Too many open files");
        } finally {
            for (Socket s : others) {
                s.close();
            }
        }
    }

    /** bash running the command after it with an open-file limit of {@link #LIMIT}. */
    private static List<String> openFileLimit() {
        return List.of("bash", "-c", "ulimit -n " + LIMIT + " && exec \"$0\" \"$@\"");
    }

    private static long failures(RawClient control) {
        return status(control).path("connections").path("accept_failures").asLong();
    }

    /** /api/status on a connection kept open: a new one could not be accepted while descriptors are out. */
    private static JsonNode status(RawClient control) {
        try {
            control.write("GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            String head = control.readHead();
            assertThat(RawClient.status(head)).as(head).isEqualTo(200);
            return JSON.readTree(control.readBody(head)).path("result");
        } catch (IOException e) {
            throw new UncheckedIOException("status on the open control connection", e);
        }
    }
}
