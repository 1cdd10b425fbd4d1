package io.gatewayd.config;

/**
 * Per-connection bounds on data waiting to be written to a slow client.
 *
 * @param writeBufferLow   Netty's low water mark: the channel becomes writable again below it
 * @param writeBufferHigh  Netty's high water mark: the channel reports unwritable above it
 * @param maxPendingBytes  a client with more than this queued is closed (1008) and counted as slow
 */
public record OutboundConfig(ByteSize writeBufferLow, ByteSize writeBufferHigh, ByteSize maxPendingBytes) {
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
    }

    public static OutboundConfig defaults() {
        return new OutboundConfig(null, null, null);
    }
}
