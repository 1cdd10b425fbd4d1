package io.gatewayd.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Process-wide settings.
 *
 * @param lanIp           the IPv4 address written into every client_id ("auto": the first
 *                        site-local address of this host, else 127.0.0.1); in cluster mode other
 *                        nodes use it to reach this one
 * @param ioThreads       event loop threads; 0 = automatic ({@link #eventLoops})
 * @param transport       the event loops' I/O transport; auto picks io_uring, else epoll, else NIO
 */
public record NodeConfig(String lanIp, Integer ioThreads, IoTransport transport) {
    public NodeConfig {
        if (lanIp == null || lanIp.isBlank()) {
            lanIp = "auto";
        }
        if (!lanIp.equals("auto")) {
            ConfigProblem.require(isIpv4Literal(lanIp), "lan-ip",
                    "expected \"auto\" or an IPv4 address such as 10.0.0.5, got \"" + lanIp + "\"");
        }
        if (ioThreads == null) {
            ioThreads = 0;
        }
        ConfigProblem.require(ioThreads >= 0 && ioThreads <= 1024, "io-threads",
                "expected 0 (automatic: one per CPU but one) to 1024, got " + ioThreads);
        if (transport == null) {
            transport = IoTransport.AUTO;
        }
    }

    /**
     * How many event loops to run: {@code io-threads}, or when 0 one per CPU but one (at least
     * one). The spare CPU is for what a loop's system calls do not cover — the kernel's network
     * work, the collector, the compiler, and on small hosts the backend or other nodes. On the
     * 2-CPU benchmark box one io_uring loop beat two on every unicast figure and on broadcast tail
     * latency, for 6 % less peak broadcast throughput (BENCHMARKS.md, "Transports").
     */
    public int eventLoops(int cpus) {
        return ioThreads > 0 ? ioThreads : Math.max(1, cpus - 1);
    }

    public static NodeConfig defaults() {
        return new NodeConfig(null, null, null);
    }

    static boolean isIpv4Literal(String s) {
        if (!s.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            return false;
        }
        for (String part : s.split("\\.")) {
            if (Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    /** The configured address, or for "auto" the first site-local IPv4 address of this host. */
    public Inet4Address resolveLanIp() {
        try {
            if (!lanIp.equals("auto")) {
                return (Inet4Address) InetAddress.getByName(lanIp);
            }
            var interfaces = java.net.NetworkInterface.getNetworkInterfaces();
            while (interfaces != null && interfaces.hasMoreElements()) {
                var nif = interfaces.nextElement();
                if (!nif.isUp() || nif.isLoopback()) {
                    continue;
                }
                var addrs = nif.getInetAddresses();
                while (addrs.hasMoreElements()) {
                    InetAddress a = addrs.nextElement();
                    if (a instanceof Inet4Address v4 && a.isSiteLocalAddress()) {
                        return v4;
                    }
                }
            }
            return (Inet4Address) InetAddress.getByName("127.0.0.1");
        } catch (java.io.IOException e) {
            try {
                return (Inet4Address) InetAddress.getByName("127.0.0.1");
            } catch (UnknownHostException impossible) {
                throw new IllegalStateException(impossible);
            }
        }
    }
}
