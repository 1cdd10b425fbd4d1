package io.gatewayd.cluster;

import io.gatewayd.config.ClusterConfig;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.netty.channel.EventLoopGroup;

import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The Redis connections of one node, over Lettuce:
 * <ul>
 *   <li>{@code cmd}: queries, heartbeat, locks (String values);</li>
 *   <li>{@code pub}: every PUBLISH, so the messages of a node leave in the order they were made;</li>
 *   <li>{@code mirror}: the mirror writer, batching its commands (auto-flush off; one thread uses it);</li>
 *   <li>the subscriber: pub/sub, reconnected by gatewayd itself (not by Lettuce), so that it can
 *       resubscribe in batches and be replaced when the self-probe finds it silently dead.</li>
 * </ul>
 * Commands are rejected while a connection is down, never buffered and replayed later (Lettuce's
 * default would send a queued PUBLISH after the caller has already been told it failed, or twice);
 * every command has a bounded timeout; TCP keepalive is on.
 */
final class RedisLink {
    /** Commands queued per connection before new ones are refused. */
    static final int REQUEST_QUEUE = 100_000;
    static final RedisCodec<String, byte[]> BYTES = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    /** Called on Lettuce's threads: must not block. */
    interface Events {
        void connectionChanged();

        void subscriberLost(StatefulRedisPubSubConnection<String, byte[]> which);

        void message(String channel, byte[] data);
    }

    private final ClusterConfig config;
    private final RedisURI uri;
    private final ClientResources resources;
    private final RedisClient client;
    private final RedisClient subscriberClient;
    private final SharedLoops loops;
    private final Events events;

    private volatile StatefulRedisConnection<String, String> cmd;
    private volatile StatefulRedisConnection<String, String> mirror;
    private volatile StatefulRedisConnection<String, byte[]> pub;
    private volatile boolean cmdUp;
    private volatile boolean mirrorUp;
    private volatile boolean pubUp;

    RedisLink(ClusterConfig config, EventLoopGroup gatewayLoops,
              Class<? extends io.netty.channel.socket.SocketChannel> gatewayChannel, Events events) {
        SharedLoops.followGateway(gatewayChannel);
        this.config = config;
        this.events = events;
        this.uri = RedisURI.create(config.redis());
        uri.setTimeout(config.commandTimeout());
        uri.setClientName("gatewayd");
        this.loops = config.shareEventLoops() ? SharedLoops.of(gatewayLoops, gatewayChannel) : SharedLoops.dedicated();
        this.resources = DefaultClientResources.builder()
                .eventLoopGroupProvider(loops)
                .computationThreadPoolSize(2) // Lettuce's minimum (timers, events; not I/O)
                // Lettuce's default backs off to 30 s: a node would stay degraded that long after
                // Redis is back. Retry within a second or two instead.
                .reconnectDelay(io.lettuce.core.resource.Delay.exponential(Duration.ofMillis(50),
                        Duration.ofMillis(1500), 2, TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources, uri);
        client.setOptions(options(true));
        this.subscriberClient = RedisClient.create(resources, uri);
        subscriberClient.setOptions(options(false));
    }

    private ClientOptions options(boolean autoReconnect) {
        Duration t = config.commandTimeout();
        return ClientOptions.builder()
                .autoReconnect(autoReconnect)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                // commands in flight when a connection drops fail; none is sent again after the
                // reconnect (a replayed PUBLISH would deliver late, or twice)
                .replayFilter(command -> true)
                .timeoutOptions(TimeoutOptions.enabled(t))
                .protocolVersion(ProtocolVersion.RESP2) // plain RESP2: works with Redis 5 and later
                // bounded: when Redis is slower than the gateway, further commands fail at once
                // (503 for the caller) instead of piling up in memory
                .requestQueueSize(REQUEST_QUEUE)
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(t)
                        .keepAlive(SocketOptions.KeepAliveOptions.builder().enable()
                                .idle(Duration.ofSeconds(30)).interval(Duration.ofSeconds(10)).count(3).build())
                        .tcpNoDelay(true)
                        .build())
                .build();
    }

    boolean sharingLoops() {
        return loops.sharing();
    }

    /** Opens the command, publish and mirror connections (blocking; not on an event loop). */
    void connect() {
        if (cmd == null) {
            cmd = watch(client.connect(StringCodec.UTF8), v -> cmdUp = v);
            cmdUp = true;
        }
        if (pub == null) {
            pub = watch(client.connect(BYTES), v -> pubUp = v);
            pubUp = true;
        }
        if (mirror == null) {
            StatefulRedisConnection<String, String> m = client.connect(StringCodec.UTF8);
            m.setAutoFlushCommands(false);
            mirror = watch(m, v -> mirrorUp = v);
            mirrorUp = true;
        }
        events.connectionChanged();
    }

    private <K, V, C extends StatefulRedisConnection<K, V>> C watch(C c, java.util.function.Consumer<Boolean> flag) {
        c.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                flag.accept(true);
                events.connectionChanged();
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                flag.accept(false);
                events.connectionChanged();
            }
        });
        return c;
    }

    /** A new subscriber connection with the message listener attached (blocking). */
    StatefulRedisPubSubConnection<String, byte[]> connectSubscriber() {
        StatefulRedisPubSubConnection<String, byte[]> s = subscriberClient.connectPubSub(BYTES);
        s.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, byte[] message) {
                events.message(channel, message);
            }
        });
        s.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                events.subscriberLost(s);
            }
        });
        return s;
    }

    /** All three command connections are up (the subscriber is tracked by its owner). */
    boolean commandsUp() {
        return cmd != null && cmdUp && pubUp && mirrorUp;
    }

    boolean opened() {
        return cmd != null && pub != null && mirror != null;
    }

    RedisAsyncCommands<String, String> cmd() {
        return cmd.async();
    }

    RedisAsyncCommands<String, byte[]> pub() {
        return pub.async();
    }

    StatefulRedisConnection<String, String> mirrorConnection() {
        return mirror;
    }

    Duration commandTimeout() {
        return config.commandTimeout();
    }

    /** Closes every connection and Lettuce's own threads; the gateway's loops keep running. */
    void close() {
        for (var c : new io.lettuce.core.api.StatefulConnection<?, ?>[] {cmd, pub, mirror}) {
            if (c != null) {
                try {
                    c.closeAsync().get(2, TimeUnit.SECONDS);
                } catch (Exception ignored) {
                    // closing anyway
                }
            }
        }
        try {
            client.shutdownAsync(0, 2, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS);
            subscriberClient.shutdownAsync(0, 2, TimeUnit.SECONDS).get(5, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // best effort
        }
        resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
