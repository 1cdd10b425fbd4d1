package io.gatewayd.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.config.Protocol;
import io.netty.channel.Channel;

import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The state of one client connection. Kept small: one of these lives per socket.
 *
 * <p>Threading: the heartbeat counter and traffic counters are written only on the channel's
 * event loop (other threads may read slightly stale values for display). uid, groups, session
 * and the closed flag change only under this object's monitor, taken by {@link Registry}.
 */
public final class Connection {
    private final String clientId;
    private final Channel channel;
    private final Protocol protocol;
    private final WireFormat wireFormat;
    private final String listener;
    private final InetSocketAddress remote;
    private final long connectedAtMillis;

    // event-loop confined
    int heartbeatCounter = -1;
    private int laneIndex = -1;
    private long laneSeq;
    private boolean flushQueued;
    /** 0 while open; once the gateway decided to close, the WebSocket close code it sent or answered. */
    private int closeCode;
    private String closeReason;
    private io.netty.channel.ChannelHandlerContext writeContext;
    private long messagesIn;
    private long bytesIn;
    private long messagesOut;
    private long bytesOut;
    /** Message webhooks sent or queued for this client whose answers are not yet applied. */
    private int answersAwaited;
    private volatile long lastActiveMillis;

    // guarded by this
    String uid;
    Set<String> groups;
    ObjectNode session;
    boolean closed;

    public Connection(String clientId, Channel channel, Protocol protocol, WireFormat wireFormat, String listener,
                      InetSocketAddress remote) {
        this.clientId = clientId;
        this.channel = channel;
        this.protocol = protocol;
        this.wireFormat = wireFormat;
        this.listener = listener;
        this.remote = remote;
        this.connectedAtMillis = System.currentTimeMillis();
        this.lastActiveMillis = connectedAtMillis;
    }

    public String clientId() {
        return clientId;
    }

    public Channel channel() {
        return channel;
    }

    public Protocol protocol() {
        return protocol;
    }

    public WireFormat wireFormat() {
        return wireFormat;
    }

    public String listener() {
        return listener;
    }

    public InetSocketAddress remote() {
        return remote;
    }

    public long connectedAtMillis() {
        return connectedAtMillis;
    }

    public long lastActiveMillis() {
        return lastActiveMillis;
    }

    /** A complete client message (or WebSocket ping/pong) arrived: the client is alive. */
    public void markActive() {
        heartbeatCounter = -1;
        lastActiveMillis = System.currentTimeMillis();
    }

    public void countIn(int bytes) {
        messagesIn++;
        bytesIn += bytes;
    }

    public void countOut(int bytes) {
        messagesOut++;
        bytesOut += bytes;
    }

    public long messagesIn() {
        return messagesIn;
    }

    public long bytesIn() {
        return bytesIn;
    }

    public long messagesOut() {
        return messagesOut;
    }

    public long bytesOut() {
        return bytesOut;
    }

    /** Event loop only: a message of this client went to the backend; its answer may address the client. */
    public void answerAwaited() {
        answersAwaited++;
    }

    /** Event loop only: that answer was applied, or will never come; returns how many are still awaited. */
    public int answerSettled() {
        return answersAwaited > 0 ? --answersAwaited : 0;
    }

    /** Event loop only. */
    public int answersAwaited() {
        return answersAwaited;
    }

    /** GatewayWorker's heartbeat counter: -1 after activity, +1 per tick. Event loop only. */
    public int heartbeatCounter() {
        return heartbeatCounter;
    }

    public int incrementHeartbeatCounter() {
        return ++heartbeatCounter;
    }

    /** Delivery bookkeeping (event loop only): position in its lane's connection list. */
    public int laneIndex() {
        return laneIndex;
    }

    public void laneIndex(int index) {
        laneIndex = index;
    }

    /**
     * Delivery bookkeeping (event loop only): how far this connection is through its lane's
     * sequence of messages; everything before it has been written.
     */
    public long laneSeq() {
        return laneSeq;
    }

    public void laneSeq(long seq) {
        laneSeq = seq;
    }

    /** Delivery bookkeeping (event loop only): returns true the first time per drain. */
    public boolean queueFlush() {
        if (flushQueued) {
            return false;
        }
        flushQueued = true;
        return true;
    }

    public void flushed() {
        flushQueued = false;
    }

    /**
     * Where already-encoded bytes enter the pipeline: the first handler's context, so a write goes
     * straight to the socket instead of past every handler. Null when a handler must see the
     * bytes (TLS encrypts them, permessage-deflate writes frame objects): then the channel is used.
     */
    public void writeContext(io.netty.channel.ChannelHandlerContext ctx) {
        this.writeContext = ctx;
    }

    /** Writes encoded bytes (event loop only); flush with {@link #flush()}. */
    public void write(Object encoded) {
        if (writeContext != null) {
            writeContext.write(encoded, writeContext.voidPromise());
        } else {
            channel.write(encoded, channel.voidPromise());
        }
    }

    public void flush() {
        if (writeContext != null) {
            writeContext.flush();
        } else {
            channel.flush();
        }
    }

    /** Event loop only: set once the gateway decided to close this client; nothing more is written. */
    public boolean isClosing() {
        return closeCode != 0;
    }

    /** Event loop only: the gateway closes this client with {@code code}, what the close webhook reports. */
    public void markClosing(int code, String reason) {
        closeCode = code;
        closeReason = reason;
    }

    /** The close code set by {@link #markClosing}, 0 if the gateway has not closed it. */
    public int closeCode() {
        return closeCode;
    }

    public String closeReason() {
        return closeReason;
    }

    public synchronized String uid() {
        return uid;
    }

    public synchronized List<String> groups() {
        return groups == null ? List.of() : List.copyOf(groups);
    }

    public synchronized boolean isClosed() {
        return closed;
    }

    synchronized Set<String> groupsView() {
        return groups == null ? Collections.emptySet() : groups;
    }

    synchronized boolean addGroup(String group) {
        if (groups == null) {
            groups = new LinkedHashSet<>(4);
        }
        return groups.add(group);
    }

    synchronized boolean removeGroup(String group) {
        boolean removed = groups != null && groups.remove(group);
        if (groups != null && groups.isEmpty()) {
            groups = null;
        }
        return removed;
    }

    /** Bytes queued in Netty for this client and not yet written to the socket. */
    public long pendingOutboundBytes() {
        var buffer = channel.unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }

    @Override
    public String toString() {
        return clientId;
    }
}
