package io.gatewayd.registry;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Tells a reader of several keys of one index whether a connection was added to that index while
 * it read. Reading the keys one after another can miss a connection that moves from a key not yet
 * read to one already read (B→A while reading A then B), although it was in one of them all along;
 * only an <em>addition</em> can cause that (a connection that only leaves keys was not in one of
 * them all along), so only additions pass through here.
 *
 * <p>Writers count {@code started} before their change and {@code finished} after it, so a read
 * bracketed by {@link #stamp()} and {@link #settled} saw no addition half-done or begun during it
 * exactly when nothing started since the stamp. That costs readers two volatile reads and writers
 * two atomic increments; neither ever waits, except under {@link #hold()}: a reader that keeps
 * being overtaken by additions (constant churn) stops them for one read instead of retrying
 * forever.
 */
final class AddFence {
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong finished = new AtomicLong();
    private final AtomicInteger holds = new AtomicInteger();

    /** Before a writer adds a connection to the index; pair with {@link #exit()}. */
    void enter() {
        started.incrementAndGet();
        while (holds.get() != 0) {
            // a held reader waits for started == finished: count this attempt as done (it changed
            // nothing) so the reader can proceed, wait for it, then start again
            finished.incrementAndGet();
            while (holds.get() != 0) {
                Thread.yield();
            }
            started.incrementAndGet();
        }
    }

    void exit() {
        finished.incrementAndGet();
    }

    /** Taken before reading the keys. */
    long stamp() {
        return finished.get();
    }

    /**
     * After reading the keys: true if no addition was under way at {@link #stamp()} nor began
     * since ({@code finished <= started} at every instant, so started == stamp means both held
     * still), i.e. the reads saw every connection that was in one of the keys all along.
     */
    boolean settled(long stamp) {
        return started.get() == stamp;
    }

    /**
     * Waits for the additions under way to finish and keeps new ones out until {@link #release()},
     * so a read in between is settled. Additions are short (one index update under a connection's
     * monitor) and the holder takes no monitor, so the wait is short and cannot deadlock.
     */
    void hold() {
        holds.incrementAndGet();
        while (!settled(stamp())) {
            Thread.yield();
        }
    }

    void release() {
        holds.decrementAndGet();
    }
}
