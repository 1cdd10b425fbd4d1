package io.gatewayd.registry;

import io.gatewayd.config.Protocol;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Many threads bind, join, leave, ungroup and close at once; the indexes must end consistent. */
class RegistryConcurrencyTest {
    @Test
    void concurrentChangesLeaveNoStrayEntries() throws Exception {
        Registry registry = new Registry();
        List<Connection> conns = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            Connection c = new Connection(String.format("7f0000011f90%08x", i), new EmbeddedChannel(),
                    Protocol.WEBSOCKET, WireFormat.WEBSOCKET, "test", null);
            assertThat(registry.add(c)).isTrue();
            conns.add(c);
        }
        ExecutorService pool = Executors.newFixedThreadPool(6);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> tasks = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            tasks.add(pool.submit(() -> {
                go.await();
                ThreadLocalRandom r = ThreadLocalRandom.current();
                for (int i = 0; i < 20_000; i++) {
                    Connection c = conns.get(r.nextInt(conns.size()));
                    String g = "g" + r.nextInt(5);
                    switch (r.nextInt(7)) {
                        case 0 -> registry.bindUid(c, "u" + r.nextInt(10));
                        case 1 -> registry.unbindUid(c);
                        case 2, 3 -> registry.joinGroup(c, g);
                        case 4 -> registry.leaveGroup(c, g);
                        case 5 -> registry.ungroup(g);
                        default -> {
                            if (r.nextInt(50) == 0) {
                                registry.remove(c);
                            }
                        }
                    }
                }
                return null;
            }));
        }
        go.countDown();
        for (Future<?> f : tasks) {
            f.get();
        }
        pool.shutdown();

        // every index entry agrees with the connection's own state, and closed connections are nowhere
        for (String g : registry.groupKeys()) {
            for (Connection c : registry.byGroup(g)) {
                assertThat(c.isClosed()).isFalse();
                assertThat(c.groups()).contains(g);
            }
            assertThat(registry.byGroup(g)).isNotEmpty();
        }
        for (String u : registry.uidKeys()) {
            for (Connection c : registry.byUid(u)) {
                assertThat(c.isClosed()).isFalse();
                assertThat(c.uid()).isEqualTo(u);
            }
        }
        for (Connection c : conns) {
            if (c.isClosed()) {
                assertThat(registry.get(c.clientId())).isNull();
                continue;
            }
            for (String g : c.groups()) {
                assertThat(registry.byGroup(g)).contains(c);
            }
            if (c.uid() != null) {
                assertThat(registry.byUid(c.uid())).contains(c);
            }
        }
        // closing the rest empties every index
        conns.forEach(registry::remove);
        assertThat(registry.size()).isZero();
        assertThat(registry.uidCount()).isZero();
        assertThat(registry.groupCount()).isZero();
    }

    @Test
    void aMemberThatRejoinsWhileAnUngroupRunsStaysAMemberInBothViews() {
        Registry registry = new Registry();
        Connection first = new Connection("7f0000011f9000000001", new EmbeddedChannel(), Protocol.WEBSOCKET,
                WireFormat.WEBSOCKET, "test", null);
        Connection second = new Connection("7f0000011f9000000002", new EmbeddedChannel(), Protocol.WEBSOCKET,
                WireFormat.WEBSOCKET, "test", null);
        registry.add(first);
        registry.add(second);
        registry.joinGroup(first, "g");
        registry.joinGroup(second, "g");
        // the ungroup calls back for the first member it removes; at that moment the other one
        // leaves and joins again, as a concurrent caller could between two steps of the ungroup
        registry.listener(new Registry.Listener() {
            boolean done;

            @Override
            public void groupChanged(Connection c, String group, boolean joined) {
                if (!joined && !done) {
                    done = true;
                    Connection other = c == first ? second : first;
                    registry.leaveGroup(other, "g");
                    registry.joinGroup(other, "g");
                }
            }
        });
        registry.ungroup("g");
        for (Connection c : List.of(first, second)) {
            assertThat(registry.byGroup("g").contains(c)).as("index and member agree for " + c.clientId())
                    .isEqualTo(c.groups().contains("g"));
        }
        assertThat(registry.byGroup("g")).as("the rejoined member").hasSize(1);
    }
}
