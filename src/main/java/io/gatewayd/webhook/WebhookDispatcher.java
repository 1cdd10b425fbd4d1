package io.gatewayd.webhook;

import io.gatewayd.config.WebhookEvent;
import io.gatewayd.config.WebhooksConfig;
import io.gatewayd.logging.LogLimiter;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.netty.channel.EventLoopGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Sends webhook events: per client strictly in order (a client's next event waits until its
 * previous one succeeded or was given up, so its close never overtakes its connect), different
 * clients in parallel up to max-concurrency, with retries (exponential backoff with jitter) on
 * network errors and 5xx. Events wait in a bounded queue; when it is full the oldest waiting
 * event is dropped, counted and logged (at most once per interval).
 *
 * <p>A client's events all start on its connection's event loop, so each loop has its own shard
 * (queue, per-client chains, HTTP pool) that only that loop touches: no locks anywhere.
 */
final class WebhookDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger("gatewayd.webhooks");

    /** Thrown into an event's future when it was dropped from a full queue. */
    static final class DroppedException extends IOException {
        DroppedException() {
            super("dropped: the webhook queue was full (webhooks.queue-size)");
        }
    }

    /** Thrown into an event's future when the backend answered with a status that is not 2xx. */
    static final class StatusException extends IOException {
        final int status;

        StatusException(int status) {
            super("backend answered HTTP " + status);
            this.status = status;
        }
    }

    /** One event to deliver. */
    static final class Event {
        final WebhookEvent type;
        final String clientId;
        final String url;
        final byte[] body;
        final String id;
        final BooleanSupplier wanted;
        final CompletableFuture<WebhookHttpClient.Response> result = new CompletableFuture<>();
        int attempts;

        Event(WebhookEvent type, String clientId, String url, byte[] body, String id, BooleanSupplier wanted) {
            this.type = type;
            this.clientId = clientId;
            this.url = url;
            this.body = body;
            this.id = id;
            this.wanted = wanted;
        }
    }

    private final Supplier<WebhooksConfig> config;
    private final WebhookHttpClient http;
    private final String userAgent;
    private final Map<EventExecutor, Shard> shards = new IdentityHashMap<>();
    final LongAdder sent = new LongAdder();
    final LongAdder failed = new LongAdder();
    final LongAdder retried = new LongAdder();
    final LongAdder dropped = new LongAdder();
    private final LogLimiter dropLog = new LogLimiter(LOG, 10_000);
    private final LogLimiter failLog = new LogLimiter(LOG, 10_000);
    private volatile String lastError;

    WebhookDispatcher(EventLoopGroup group, WebhookHttpClient http, Supplier<WebhooksConfig> config, String userAgent) {
        this.config = config;
        this.http = http;
        this.userAgent = userAgent;
        for (EventExecutor e : group) {
            shards.put(e, new Shard((EventLoop) e));
        }
    }

    /** Queues an event; call on {@code loop} (the client's event loop). */
    CompletableFuture<WebhookHttpClient.Response> submit(EventLoop loop, Event e) {
        Shard s = shards.get(loop);
        if (s == null) {
            throw new IllegalStateException("event loop " + loop + " is not part of this gateway");
        }
        s.offer(e);
        return e.result;
    }

    int waiting() {
        int n = 0;
        for (Shard s : shards.values()) {
            n += s.waitingCount;
        }
        return n;
    }

    int inFlight() {
        int n = 0;
        for (Shard s : shards.values()) {
            n += s.inFlightCount;
        }
        return n;
    }

    String lastError() {
        return lastError;
    }

    private int perShard(int total) {
        return Math.max(1, (total + shards.size() - 1) / shards.size());
    }

    /** The events of one client, sent one at a time. */
    private static final class Chain {
        final String clientId;
        final ArrayDeque<Event> queue = new ArrayDeque<>(2);
        boolean busy;
        boolean runnable;

        Chain(String clientId) {
            this.clientId = clientId;
        }
    }

    private final class Shard {
        final EventLoop loop;
        final LinkedHashSet<Event> waiting = new LinkedHashSet<>(); // arrival order, for drop-oldest
        final HashMap<String, Chain> chains = new HashMap<>();
        final ArrayDeque<Chain> ready = new ArrayDeque<>();
        int inFlight;
        long waitingBytes;
        volatile int waitingCount;
        volatile int inFlightCount;

        Shard(EventLoop loop) {
            this.loop = loop;
        }

        void offer(Event e) {
            WebhooksConfig c = config.get();
            int capacity = perShard(c.queueSize());
            long byteCapacity = Math.max(64 * 1024, c.queueBytes().bytes() / shards.size());
            while (!waiting.isEmpty() && (waiting.size() >= capacity || waitingBytes + e.body.length > byteCapacity)) {
                dropOldest();
            }
            waitingBytes += e.body.length;
            Chain chain = chains.computeIfAbsent(e.clientId, Chain::new);
            chain.queue.addLast(e);
            waiting.add(e);
            markReady(chain);
            counts();
            pump();
        }

        private void dropOldest() {
            Iterator<Event> it = waiting.iterator();
            Event oldest = it.next();
            it.remove();
            waitingBytes -= oldest.body.length;
            Chain chain = chains.get(oldest.clientId);
            chain.queue.remove(oldest); // the head of its chain: a chain's events arrive in order
            if (chain.queue.isEmpty() && !chain.busy) {
                chains.remove(oldest.clientId);
            }
            dropped.increment();
            dropLog.warn("webhook queue full (webhooks.queue-size {} / queue-bytes): dropped the oldest waiting event ({} of {}); "
                    + "the backend is slower than the events arrive", config.get().queueSize(),
                    oldest.type.configName(), oldest.clientId);
            oldest.result.completeExceptionally(new DroppedException());
        }

        private void markReady(Chain chain) {
            if (!chain.busy && !chain.runnable && !chain.queue.isEmpty()) {
                chain.runnable = true;
                ready.addLast(chain);
            }
        }

        private void pump() {
            int max = perShard(config.get().maxConcurrency());
            while (inFlight < max && !ready.isEmpty()) {
                Chain chain = ready.pollFirst();
                chain.runnable = false;
                if (chain.busy || chain.queue.isEmpty()) {
                    continue;
                }
                Event e = chain.queue.pollFirst();
                waiting.remove(e);
                waitingBytes -= e.body.length;
                chain.busy = true;
                inFlight++;
                attempt(chain, e);
            }
            counts();
        }

        private void counts() {
            waitingCount = waiting.size();
            inFlightCount = inFlight;
        }

        private void attempt(Chain chain, Event e) {
            if (!e.wanted.getAsBoolean()) {
                e.result.completeExceptionally(new IOException("no longer wanted"));
                finished(chain);
                return;
            }
            WebhooksConfig c = config.get();
            e.attempts++;
            long now = System.currentTimeMillis() / 1000;
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("User-Agent", userAgent);
            headers.put(WebhookSignature.EVENT_HEADER, e.type.configName());
            headers.put(WebhookSignature.DELIVERY_HEADER, e.id);
            headers.put(WebhookSignature.TIMESTAMP_HEADER, Long.toString(now));
            headers.put(WebhookSignature.SIGNATURE_HEADER, WebhookSignature.sign(c.secret(), now, e.body));
            http.post(loop, WebhookHttpClient.Target.parse(e.url), e.body, headers, c.timeout().toMillis(),
                    c.maxResponseSize().intBytes()).whenComplete((res, err) -> {
                        if (loop.inEventLoop()) {
                            answered(chain, e, res, err);
                        } else {
                            loop.execute(() -> answered(chain, e, res, err));
                        }
                    });
        }

        private void answered(Chain chain, Event e, WebhookHttpClient.Response res, Throwable err) {
            WebhooksConfig c = config.get();
            boolean ok = err == null && res.status() >= 200 && res.status() < 300;
            if (ok) {
                sent.increment();
                e.result.complete(res);
                finished(chain);
                return;
            }
            boolean retryable = err instanceof WebhookHttpClient.NetworkException || (err == null && res.status() >= 500);
            String why = err != null ? err.getMessage() : "HTTP " + res.status();
            if (retryable && e.attempts <= c.retries() && e.wanted.getAsBoolean()) {
                retried.increment();
                long delay = backoff(c, e.attempts);
                LOG.debug("{} webhook for {} failed ({}); retry {} in {} ms", e.type.configName(), e.clientId, why,
                        e.attempts, delay);
                loop.schedule(() -> attempt(chain, e), delay, TimeUnit.MILLISECONDS);
                return;
            }
            failed.increment();
            lastError = e.type.configName() + " to " + e.url + ": " + why;
            failLog.warn("{} webhook for {} to {} failed after {} attempt(s): {}", e.type.configName(), e.clientId,
                    e.url, e.attempts, why);
            e.result.completeExceptionally(err != null ? err : new StatusException(res.status()));
            finished(chain);
        }

        private void finished(Chain chain) {
            chain.busy = false;
            inFlight--;
            if (chain.queue.isEmpty()) {
                chains.remove(chain.clientId);
            } else {
                markReady(chain);
            }
            pump();
        }
    }

    /** The configured backoff before retry {@code attempt}, then a random 50–100% of it (jitter). */
    static long backoff(WebhooksConfig c, int attempt) {
        long d = c.backoffBeforeRetry(attempt);
        return Math.max(1, d / 2 + ThreadLocalRandom.current().nextLong(d / 2 + 1));
    }
}
