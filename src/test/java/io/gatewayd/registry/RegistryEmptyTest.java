package io.gatewayd.registry;

import io.gatewayd.config.Protocol;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Registry#whenEmpty()}: what a draining gateway waits on instead of polling the count. */
class RegistryEmptyTest {
    private static Connection connection(int i) {
        return new Connection(String.format("7f0000011f90%08x", i), new EmbeddedChannel(),
                Protocol.WEBSOCKET, WireFormat.WEBSOCKET, "test", null);
    }

    @Test
    void completesAtOnceWhenNothingIsConnected() {
        assertThat(new Registry().whenEmpty()).isDone();
    }

    @Test
    void completesWhenTheLastConnectionLeavesAndNotBefore() {
        Registry registry = new Registry();
        Connection a = connection(1);
        Connection b = connection(2);
        registry.add(a);
        registry.add(b);
        CompletableFuture<Void> empty = registry.whenEmpty();
        registry.remove(a);
        assertThat(empty).isNotDone();
        registry.remove(a); // a second close of the same connection changes nothing
        assertThat(empty).isNotDone();
        registry.remove(b);
        assertThat(empty).isDone();
    }

    @Test
    void aWaiterAddedWhileTheLastOnesLeaveOnOtherThreadsIsNeverMissed() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int round = 0; round < 200; round++) {
                Registry registry = new Registry();
                List<Connection> conns = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    conns.add(connection(i));
                    registry.add(conns.get(i));
                }
                List<java.util.concurrent.Future<?>> removals = new ArrayList<>();
                for (Connection c : conns) {
                    removals.add(pool.submit(() -> registry.remove(c)));
                }
                CompletableFuture<Void> empty = registry.whenEmpty();
                for (var r : removals) {
                    r.get(10, TimeUnit.SECONDS);
                }
                empty.get(10, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
