package io.gatewayd.registry;

import io.gatewayd.config.Protocol;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@link Registry} under contention: what the control API does per unicast push (uid lookup),
 * per bindUid, and per group join/leave, with connections of {@code clients} on the registry.
 * The "contended" group runs binders and lookups at the same time, as a gateway does when
 * clients log in while pushes flow; the single-threaded ones are the uncontended baseline.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@State(Scope.Benchmark)
public class RegistryBench {
    @Param({"10000"})
    public int clients;

    /** Distinct uids the connections are (re)bound to; fewer uids = more connections per uid. */
    @Param({"10000"})
    public int uids;

    private Registry registry;
    private Connection[] connections;
    private String[] uidKeys;
    private String[] ids;
    private EmbeddedChannel[] channels;

    @Setup(Level.Trial)
    public void setUp() {
        registry = new Registry();
        connections = new Connection[clients];
        channels = new EmbeddedChannel[clients];
        ids = new String[clients];
        uidKeys = new String[uids];
        for (int u = 0; u < uids; u++) {
            uidKeys[u] = "u" + u;
        }
        InetSocketAddress remote = new InetSocketAddress("127.0.0.1", 40000);
        for (int i = 0; i < clients; i++) {
            channels[i] = new EmbeddedChannel();
            ids[i] = String.format("7f000001%04x%08x", 8283, i);
            connections[i] = new Connection(ids[i], channels[i], Protocol.WEBSOCKET, WireFormat.WEBSOCKET,
                    "websocket://127.0.0.1:8282", remote);
            registry.add(connections[i]);
            registry.bindUid(connections[i], uidKeys[i % uids]);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (EmbeddedChannel ch : channels) {
            ch.finishAndReleaseAll();
        }
    }

    // ---- uncontended

    @Benchmark
    public int lookupUid() {
        return registry.byUid(uidKeys[ThreadLocalRandom.current().nextInt(uids)]).size();
    }

    @Benchmark
    public Connection lookupClientId() {
        return registry.get(ids[ThreadLocalRandom.current().nextInt(clients)]);
    }

    @Benchmark
    public boolean bindUid() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return registry.bindUid(connections[r.nextInt(clients)], uidKeys[r.nextInt(uids)]);
    }

    @Benchmark
    public boolean joinAndLeaveGroup() {
        Connection c = connections[ThreadLocalRandom.current().nextInt(clients)];
        registry.joinGroup(c, "room");
        return registry.leaveGroup(c, "room");
    }

    // ---- contended: 2 threads rebind while 2 threads look up (4 threads on a 2-core box oversubscribe: that is the point)

    @Benchmark
    @Group("contended")
    @GroupThreads(2)
    public boolean contendedBind() {
        return bindUid();
    }

    @Benchmark
    @Group("contended")
    @GroupThreads(2)
    public int contendedLookup() {
        return lookupUid();
    }

    /** Every thread joins and leaves the same group: the hottest key of the group index. */
    @Benchmark
    @Threads(4)
    public void contendedSameGroup(Blackhole bh) {
        bh.consume(joinAndLeaveGroup());
    }
}
