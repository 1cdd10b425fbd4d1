package io.gatewayd.config;

/**
 * Per-connection bounds on data waiting to be written to a slow client.
 *
 * @param writeBufferLow   Netty's low water mark: the channel becomes writable again below it
 * @param writeBufferHigh  Netty's high water mark: the channel reports unwritable above it
 * @param maxPendingBytes  a client with more than this queued is closed (1008) and counted as slow
 * @param maxLoopBacklog   writes an event loop may have queued before push API callers wait: higher
 *                         favours throughput (more messages per write() under load), lower favours
 *                         latency when a backend pushes faster than clients read
 * @param writeSlice       connections a broadcast is written to before the event loop serves its
 *                         sockets again: lower keeps API calls and unicast pushes on that loop
 *                         responsive during a big broadcast, higher costs fewer turns
 */
public record OutboundConfig(ByteSize writeBufferLow, ByteSize writeBufferHigh, ByteSize maxPendingBytes,
                             Integer maxLoopBacklog, Integer writeSlice) {
    public OutboundConfig {
        if (writeBufferLow == null) {
            writeBufferLow = ByteSize.ofKiB(32);
        }
        if (writeBufferHigh == null) {
            writeBufferHigh = ByteSize.ofKiB(64);
        }
        if (maxPendingBytes == null) {
            maxPendingBytes = ByteSize.ofMiB(1);
        }
        ConfigProblem.require(writeBufferLow.bytes() <= writeBufferHigh.bytes(), "write-buffer-low",
                "(" + writeBufferLow + ") must not exceed write-buffer-high (" + writeBufferHigh + ")");
        ConfigProblem.require(maxPendingBytes.bytes() >= 1024, "max-pending-bytes",
                "must be at least 1KiB, got " + maxPendingBytes);
        if (maxLoopBacklog == null) {
            maxLoopBacklog = 32_768;
        }
        ConfigProblem.require(maxLoopBacklog >= 1, "max-loop-backlog",
                "must be at least 1 (writes per event loop), got " + maxLoopBacklog);
        if (writeSlice == null) {
            writeSlice = 128;
        }
        ConfigProblem.require(writeSlice >= 1, "write-slice",
                "must be at least 1 (connections per turn), got " + writeSlice);
    }

    public static OutboundConfig defaults() {
        return new OutboundConfig(null, null, null, null, null);
    }
}
