package io.gatewayd.bench;

import java.io.PrintWriter;
import java.net.URI;

/** What one `gatewayctl bench` run does; the defaults are those of the Node client (wsload.js). */
public final class BenchSettings {
    public enum Scenario { CONNECT, BROADCAST, UNICAST, BATCH }

    public Scenario scenario = Scenario.BROADCAST;
    /** ws:// URL of the gateway; null = its first WebSocket listener from /api/status. */
    public URI wsUrl;
    public URI controlUrl;
    /** Whom an https:// control URL may be (gatewayctl's trust: the config's certificate, --cacert, the JDK's CAs). */
    public javax.net.ssl.SSLContext controlTls;
    public String token;
    public int n = 1000;
    public int m = 100;
    public int s = 200;
    public int k = 10_000;
    public int b = 100;
    /** API calls in flight; 0 = the scenario's default (broadcast 1, unicast 64, batch 8). */
    public int c;
    public double rate;
    public int ramp = 256;
    public double holdSeconds = 5;
    public double graceSeconds = 10;
    public boolean viaGroup;
    public String group = "bench";
    public String uidPrefix = "u";
    public double connectTimeoutSeconds = 120;
    public double requestTimeoutSeconds = 30;
    public double handshakeTimeoutSeconds = 15;
    /** Unmeasured pushes before the run (JIT warm-up); -1 = automatic. */
    public int warmup = -1;
    /** Event loops of the load client; 0 = one per CPU. */
    public int threads;
    /** Keep-alive HTTP connections to the control port; 0 = min(c, 8). */
    public int apiConns;
    /** Concurrency of the bindUid / joinGroup setup calls. */
    public int setupConcurrency = 64;
    /** Source addresses 127.0.0.base.. (loopback targets only); 0 = one per 5000 connections. */
    public int addrs;
    public int addrBase = 1;
    public long seed = 12345;
    /** Gateway pid for CPU/PSS figures; 0 = the pid in /api/status when the gateway runs here. */
    public long serverPid;
    /** WebSocket ping from every client this often (seconds; 0 = never), so the gateway's heartbeat keeps them. */
    public double pingIntervalSeconds = 25;
    /** Progress lines go here; null = none. */
    public PrintWriter progress;

    int concurrency() {
        if (c > 0) {
            return c;
        }
        return switch (scenario) {
            case BROADCAST, CONNECT -> 1;
            case UNICAST -> 64;
            case BATCH -> 8;
        };
    }

    int apiConnections() {
        return apiConns > 0 ? apiConns : Math.max(1, Math.min(concurrency(), 8));
    }
}
