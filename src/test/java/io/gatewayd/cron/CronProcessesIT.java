package io.gatewayd.cron;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.gatewayd.testing.Await;
import io.gatewayd.testing.Commands;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three gatewayd JVMs on this host share one run directory. Each schedules two 1 s jobs that
 * call a local HTTP counter with the tick's timestamp: "single" (run-on: one) must hit every
 * tick exactly once in total, "every" (run-on: each) once per process. Midway one process is
 * killed with SIGKILL: the other two keep the schedule with no duplicate.
 *
 * <p>Waiting for wall-clock time to pass is inherent here; the assertions are on counts only.
 * A tick a process reports as misfired or skipped (a stall longer than a period on an
 * overloaded machine) may be missing, and is allowed for; on a normal run there are none.
 */
class CronProcessesIT {
    private static final Pattern HIT = Pattern.compile("/(single|every)\\?p=(\\w)&t=(\\d+)");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    Path dir;

    private final ConcurrentLinkedQueue<String[]> hits = new ConcurrentLinkedQueue<>(); // job, process, tick
    private final Map<String, Process> processes = new LinkedHashMap<>();
    private HttpServer counter;

    record Node(String name, Process process, Path log) {
    }

    @AfterEach
    void cleanUp() throws Exception {
        Commands.endAll(processes.values());
        if (counter != null) {
            counter.stop(0);
        }
    }

    @Test
    void runOnOneRunsEachTickOnceAcrossProcessesAndEachRunsItInEveryProcess() throws Exception {
        counter = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        counter.createContext("/", ex -> {
            Matcher m = HIT.matcher(ex.getRequestURI().toString());
            if (m.matches()) {
                hits.add(new String[] {m.group(1), m.group(2), m.group(3)});
            }
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        counter.start();
        Path runDir = Files.createDirectories(dir.resolve("run"));
        Map<String, Integer> ports = new HashMap<>();
        for (String name : List.of("A", "B", "C")) {
            Path yaml = dir.resolve(name + ".yaml");
            Files.writeString(yaml, """
                    listeners:
                      - url: websocket://127.0.0.1:0
                    control:
                      listen: http://127.0.0.1:0
                    paths:
                      run-dir: %s
                    cron:
                      - name: single
                        schedule: "* * * * * *"
                        http: {url: "http://127.0.0.1:%d/single?p=%s&t=${timestamp}"}
                      - name: every
                        schedule: "* * * * * *"
                        run-on: each
                        http: {url: "http://127.0.0.1:%d/every?p=%s&t=${timestamp}"}
                    """.formatted(runDir, counter.getAddress().getPort(), name, counter.getAddress().getPort(), name));
            processes.put(name, CronProcessMain.spawn(yaml, dir.resolve(name + ".log")));
        }
        for (String name : processes.keySet()) {
            Path log = dir.resolve(name + ".log");
            ports.put(name, Await.value("process " + name + " is ready", Duration.ofSeconds(120),
                    () -> CronProcessMain.readyPort(log)));
        }

        Await.until("5 ticks ran in all three processes", Duration.ofSeconds(60),
                () -> ticksHitBy("every", 3).size() >= 5);
        long explained = problems(ports.get("C")); // C's own misfires and skips, before it goes
        processes.get("C").destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        long lastOfC = ticks("every", "C").keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
        Await.until("both survivors ran 5 ticks after the kill", Duration.ofSeconds(60),
                () -> ticks("every", "A").keySet().stream().filter(t -> t > lastOfC + 1).count() >= 5
                        && ticks("every", "B").keySet().stream().filter(t -> t > lastOfC + 1).count() >= 5
                        && ticks("single", null).keySet().stream().filter(t -> t > lastOfC + 1).count() >= 5);
        explained += problems(ports.get("A")) + problems(ports.get("B"));
        for (String name : List.of("A", "B")) {
            Process p = processes.get(name);
            p.getOutputStream().close();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(name + " stops when asked").isTrue();
        }

        // run-on: one: every tick exactly once in total
        TreeMap<Long, Integer> single = ticks("single", null);
        assertThat(single.values()).as("ticks run more than once: " + duplicates(single)).allMatch(n -> n == 1);
        long span = single.lastKey() - single.firstKey() + 1;
        long missing = span - single.size();
        System.out.printf("single: %d ticks %d..%d, %d missing; C killed after tick %d; misfires+skips %d%n",
                single.size(), single.firstKey(), single.lastKey(), missing, lastOfC, explained);
        assertThat(missing).as("ticks missing in " + single.firstKey() + ".." + single.lastKey()
                + " (one may be lost with the killed process; misfires/skips reported: " + explained + ")")
                .isLessThanOrEqualTo(1 + explained);
        assertThat(single.keySet()).as("the schedule went on after the kill").anyMatch(t -> t > lastOfC + 5);

        // run-on: each: once per process per tick; three times while all three ran
        for (String name : List.of("A", "B", "C")) {
            TreeMap<Long, Integer> own = ticks("every", name);
            assertThat(own.values()).as(name + " ran a tick twice").allMatch(n -> n == 1);
            long ownMissing = own.lastKey() - own.firstKey() + 1 - own.size();
            assertThat(ownMissing).as(name + " missed ticks").isLessThanOrEqualTo(explained);
        }
        long allUp = List.of("A", "B", "C").stream().mapToLong(n -> ticks("every", n).firstKey()).max().orElseThrow();
        TreeMap<Long, Integer> every = ticks("every", null);
        long windowTicks = lastOfC - allUp + 1;
        long windowHits = every.subMap(allUp, true, lastOfC, true).values().stream().mapToLong(Integer::longValue).sum();
        assertThat(windowTicks).isGreaterThanOrEqualTo(5);
        assertThat(windowHits).as("hits of run-on: each while three processes ran, over " + windowTicks + " ticks")
                .isBetween(3 * windowTicks - explained, 3 * windowTicks);
        assertThat(every.tailMap(lastOfC + 1).values()).as("two processes after the kill").allMatch(n -> n <= 2);
    }

    /** tick -> hits, for one job, of one process (null: all). */
    private TreeMap<Long, Integer> ticks(String job, String process) {
        TreeMap<Long, Integer> out = new TreeMap<>();
        for (String[] h : hits) {
            if (h[0].equals(job) && (process == null || h[1].equals(process))) {
                out.merge(Long.parseLong(h[2]), 1, Integer::sum);
            }
        }
        return out;
    }

    private List<Long> ticksHitBy(String job, int processCount) {
        List<Long> out = new ArrayList<>();
        ticks(job, null).forEach((t, n) -> {
            if (n >= processCount) {
                out.add(t);
            }
        });
        return out;
    }

    private static List<Long> duplicates(TreeMap<Long, Integer> m) {
        return m.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
    }

    /** Misfires plus skips a process reports over its jobs. */
    private static long problems(int controlPort) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controlPort
                + "/api/cron/list")).timeout(Duration.ofSeconds(20)).GET().build(), HttpResponse.BodyHandlers.ofString());
        long n = 0;
        for (JsonNode job : JSON.readTree(r.body()).get("result")) {
            n += job.get("misfires").asLong() + job.get("skips").asLong();
        }
        return n;
    }
}
