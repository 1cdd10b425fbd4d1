package io.gatewayd.delivery;

import io.gatewayd.registry.WireFormat;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A message on its way to one or many connections. Each wire format is encoded at most once,
 * on first use, and every recipient gets a retained duplicate of the same bytes: a broadcast to
 * 10,000 WebSocket clients builds one frame, not 10,000.
 *
 * <p>Reference counted: the creator holds one reference; every event loop task that writes it
 * holds one more. The encoded buffers are released when the last reference goes.
 */
public final class OutboundMessage {
    private static final int FORMATS = WireFormat.values().length;

    private final byte[] payload;
    private final boolean binary;
    // lock-free: every recipient of a broadcast asks for it, from every event loop at once
    private final AtomicReferenceArray<ByteBuf> encoded = new AtomicReferenceArray<>(FORMATS);
    private final AtomicInteger refs = new AtomicInteger(1);
    private volatile String msgId;

    private OutboundMessage(byte[] payload, boolean binary) {
        this.payload = payload;
        this.binary = binary;
    }

    public static OutboundMessage text(String text) {
        return new OutboundMessage(text.getBytes(StandardCharsets.UTF_8), false);
    }

    /** @param utf8 UTF-8 text, owned by the message from now on */
    public static OutboundMessage text(byte[] utf8) {
        return new OutboundMessage(utf8, false);
    }

    public static OutboundMessage binary(byte[] bytes) {
        return new OutboundMessage(bytes, true);
    }

    /**
     * The caller's id for this push ({@code msg_id}), or null. A gateway (and in cluster mode each
     * node) delivers a message with an id it has seen within control.dedup-window only once, so
     * retries are idempotent.
     */
    public String msgId() {
        return msgId;
    }

    /** Sets {@link #msgId()}; returns this. */
    public OutboundMessage msgId(String id) {
        this.msgId = id;
        return this;
    }

    public boolean isBinary() {
        return binary;
    }

    public int size() {
        return payload.length;
    }

    /** The payload bytes; callers must not modify them. */
    public byte[] payload() {
        return payload;
    }

    public String textPayload() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    public OutboundMessage retain() {
        int r;
        do {
            r = refs.get();
            if (r <= 0) {
                throw new IllegalStateException("message already released");
            }
        } while (!refs.compareAndSet(r, r + 1));
        return this;
    }

    /** References still held (tests look at it to see nothing keeps a message). */
    int refCnt() {
        return refs.get();
    }

    public void release() {
        if (refs.decrementAndGet() == 0) {
            for (int i = 0; i < FORMATS; i++) {
                ByteBuf b = encoded.getAndSet(i, null);
                if (b != null) {
                    b.release();
                }
            }
        }
    }

    /** What to hand to {@code channel.write} for a connection speaking {@code format}. */
    public Object writable(WireFormat format) {
        if (format == WireFormat.WEBSOCKET_DEFLATE) {
            // compression state is per connection, so this frame cannot be shared
            ByteBuf content = Unpooled.wrappedBuffer(payload);
            return binary ? new BinaryWebSocketFrame(content) : new TextWebSocketFrame(content);
        }
        return encoded(format).retainedDuplicate();
    }

    private ByteBuf encoded(WireFormat format) {
        int i = format.ordinal();
        ByteBuf b = encoded.get(i);
        if (b == null) {
            ByteBuf fresh = encode(format);
            if (encoded.compareAndSet(i, null, fresh)) {
                b = fresh;
            } else { // another loop encoded it first: use theirs
                fresh.release();
                b = encoded.get(i);
            }
        }
        return b;
    }

    private ByteBuf encode(WireFormat format) {
        ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
        int n = payload.length;
        ByteBuf out;
        switch (format) {
            case WEBSOCKET -> {
                int header = n <= 125 ? 2 : n <= 0xffff ? 4 : 10;
                out = alloc.directBuffer(header + n);
                out.writeByte(0x80 | (binary ? 0x2 : 0x1)); // FIN + opcode
                if (n <= 125) {
                    out.writeByte(n);
                } else if (n <= 0xffff) {
                    out.writeByte(126);
                    out.writeShort(n);
                } else {
                    out.writeByte(127);
                    out.writeLong(n);
                }
            }
            case TEXT_LINE -> out = alloc.directBuffer(n + 1);
            case FRAME_INCLUSIVE -> {
                out = alloc.directBuffer(n + 4);
                out.writeInt(n + 4);
            }
            case FRAME_EXCLUSIVE -> {
                out = alloc.directBuffer(n + 4);
                out.writeInt(n);
            }
            default -> throw new IllegalArgumentException(format.toString());
        }
        out.writeBytes(payload);
        if (format == WireFormat.TEXT_LINE) {
            out.writeByte('\n');
        }
        return out;
    }
}
