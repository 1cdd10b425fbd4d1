package io.gatewayd.routing;

import io.gatewayd.delivery.OutboundMessage;
import io.gatewayd.registry.Connection;
import io.gatewayd.registry.Registry;
import io.gatewayd.testing.TestGateway;
import io.gatewayd.testing.WsClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A push to several uids (or groups) while clients move between them: a client in one of the
 * keys all through the push gets it exactly once. Reading the keys one after another used to
 * collect a client that moved from the first to the second twice, and to miss one that moved
 * from a key not yet read to one already read.
 */
class RebindRaceTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aClientMovedBetweenTheUidsOfOnePushGetsItExactlyOnce() throws Exception {
        try (TestGateway gw = TestGateway.start("node:\n  io-threads: 2\n")) {
            List<WsClient> clients = new ArrayList<>();
            Registry registry = gw.gateway().registry();
            List<Connection> conns = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                WsClient c = gw.client();
                clients.add(c);
                gw.call("bindUid", Map.of("client_id", c.clientId(), "uid", "A"));
                conns.add(registry.get(c.clientId()));
            }
            AtomicBoolean stop = new AtomicBoolean();
            Thread flipper = new Thread(() -> {
                for (long n = 0; !stop.get(); n++) {
                    for (Connection c : conns) {
                        registry.bindUid(c, (n & 1) == 0 ? "B" : "A");
                    }
                }
            }, "flipper");
            flipper.start();
            int pushes = 400;
            try {
                for (int i = 0; i < pushes; i++) {
                    gw.call("sendToUid", Map.of("uids", List.of("A", "B"), "message", "m" + i));
                }
            } finally {
                stop.set(true);
                flipper.join(10_000);
            }
            for (WsClient c : clients) {
                gw.call("sendToClient", Map.of("client_id", c.clientId(), "message", "end"));
                Set<String> seen = new HashSet<>();
                for (String m = c.next(WAIT); !m.equals("end"); m = c.next(WAIT)) {
                    assertThat(seen.add(m)).as(c.clientId() + " got " + m + " twice").isTrue();
                }
                assertThat(seen).as(c.clientId() + " was bound to A or B all along: it misses nothing")
                        .hasSize(pushes);
                c.close();
            }
        }
    }

    /**
     * Deterministic version of the miss: the push reads uid A, then X, then B; while it reads X the
     * client moves from B to A, so it is in neither when its key is read.
     */
    @Test
    void aClientRebound_fromAKeyNotYetReadToOneAlreadyRead_isNotMissed() throws Exception {
        movedWhileReading((router, keys) -> (m, exclude) -> router.sendToUids(keys, m, exclude),
                (registry, c) -> registry.bindUid(c, "B"),
                (registry, c) -> registry.bindUid(c, "X"),
                (registry, c) -> registry.bindUid(c, "A"));
    }

    /** The same with groups: the client joins A (already read) and then leaves B (not yet read). */
    @Test
    void aClientThatJoinsAGroupAlreadyReadAndLeavesOneNotYetRead_isNotMissed() throws Exception {
        movedWhileReading((router, keys) -> (m, exclude) -> router.sendToGroups(keys, m, exclude),
                (registry, c) -> registry.joinGroup(c, "B"),
                (registry, c) -> registry.joinGroup(c, "X"),
                (registry, c) -> {
                    registry.joinGroup(c, "A");
                    registry.leaveGroup(c, "B");
                });
    }

    interface Push {
        java.util.concurrent.CompletableFuture<Router.Delivered> send(OutboundMessage m, Set<String> exclude);
    }

    interface Step {
        void apply(Registry registry, Connection c);
    }

    private static void movedWhileReading(BiFunction<Router, List<String>, Push> pushTo, Step placeMover,
                                          Step placeWitness, Step move) throws Exception {
        try (TestGateway gw = TestGateway.start(); WsClient mover = gw.client(); WsClient witness = gw.client()) {
            Registry registry = gw.gateway().registry();
            Connection moverConn = registry.get(mover.clientId());
            Connection witnessConn = registry.get(witness.clientId());
            placeMover.apply(registry, moverConn);
            placeWitness.apply(registry, witnessConn);
            // the resolve asks the exclude set about each member it reads: asked about the witness
            // (the one member of X), it moves the mover, exactly between the reads of A and B
            AtomicBoolean moved = new AtomicBoolean();
            Set<String> exclude = new AbstractSet<>() {
                @Override
                public boolean contains(Object id) {
                    if (witness.clientId().equals(id) && moved.compareAndSet(false, true)) {
                        move.apply(registry, moverConn);
                    }
                    return false;
                }

                @Override
                public Iterator<String> iterator() {
                    return List.of("nobody").iterator();
                }

                @Override
                public int size() {
                    return 1;
                }
            };
            Push push = pushTo.apply(gw.gateway().router(), List.of("A", "X", "B"));
            long delivered = push.send(OutboundMessage.text("pushed"), exclude).get().count();
            assertThat(moved).as("the move happened while the push read the keys").isTrue();

            gw.call("sendToClient", Map.of("client_id", mover.clientId(), "message", "end"));
            assertThat(mover.next(WAIT)).as("the mover was in A or B all along").isEqualTo("pushed");
            assertThat(mover.next(WAIT)).isEqualTo("end");
            assertThat(witness.next(WAIT)).isEqualTo("pushed");
            assertThat(delivered).isEqualTo(2);
        }
    }
}
