package io.gatewayd.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs {@code total} API calls with {@code concurrency} in flight: each lane sends a call, and
 * when its answer arrives, the next. Lanes are spread over the pool's connections and run on
 * their event loops (nothing blocks). With a rate, call j is not sent before start + j/rate.
 */
final class Calls {
    /** Builds the body of call j, just before it is sent. */
    interface Maker {
        ByteBuf body(int j);
    }

    /** The answer to call j (on an event loop; body valid only during the call, null if none). */
    interface Handler {
        void done(int j, int status, ByteBuf body, String failure);
    }

    private final ApiPool pool;
    private final String path;
    private final int total;
    private final int lanes;
    private final double rate;
    private final Maker maker;
    private final Handler handler;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicInteger lanesLeft;
    private final AtomicLong firstSend = new AtomicLong();
    private final AtomicLong lastDone = new AtomicLong();
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private final MemoryShortage memory;
    private long startNanos;

    Calls(MemoryShortage memory, ApiPool pool, String path, int total, int concurrency, double rate, Maker maker,
          Handler handler) {
        this.memory = memory;
        this.pool = pool;
        this.path = path;
        this.total = total;
        this.lanes = Math.max(1, Math.min(concurrency, total));
        this.rate = rate;
        this.maker = maker;
        this.handler = handler;
        this.lanesLeft = new AtomicInteger(lanes);
    }

    CompletableFuture<Void> start() {
        startNanos = System.nanoTime();
        if (total == 0) {
            finished.complete(null);
            return finished;
        }
        for (int lane = 0; lane < lanes; lane++) {
            int conn = lane % pool.size();
            pool.loop(conn).execute(() -> step(conn));
        }
        return finished;
    }

    private void step(int conn) {
        int j = next.getAndIncrement();
        if (j >= total) {
            if (lanesLeft.decrementAndGet() == 0) {
                finished.complete(null);
            }
            return;
        }
        if (rate > 0) {
            long due = startNanos + (long) (j * 1e9 / rate);
            long wait = due - System.nanoTime();
            if (wait > 1_000_000) {
                pool.loop(conn).schedule(() -> send(conn, j), wait, TimeUnit.NANOSECONDS);
                return;
            }
        }
        send(conn, j);
    }

    private void send(int conn, int j) {
        firstSend.compareAndSet(0, System.nanoTime());
        ByteBuf body;
        try {
            body = maker.body(j);
        } catch (OutOfMemoryError e) {
            memory.record(e); // the run stops on it; the call is left unfinished
            return;
        }
        pool.post(conn, path, body, (status, content, failure) -> {
            try {
                handler.done(j, status, content, failure);
            } finally {
                completed.incrementAndGet();
                lastDone.accumulateAndGet(System.nanoTime(), Math::max);
            }
            EventLoop loop = pool.loop(conn);
            if (failure != null) {
                loop.execute(() -> step(conn)); // no recursion through calls that fail at once
            } else {
                step(conn);
            }
        });
    }

    int completed() {
        return completed.get();
    }

    int total() {
        return total;
    }

    /** nanoTime just before the first call was sent; 0 if none was. */
    long firstSendNanos() {
        return firstSend.get();
    }

    long startNanos() {
        return startNanos;
    }

    /** nanoTime of the last answer; 0 if none came. */
    long lastDoneNanos() {
        return lastDone.get();
    }
}
