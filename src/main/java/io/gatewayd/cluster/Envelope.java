package io.gatewayd.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One message between nodes over Redis pub/sub: a type, an id unique per origin node (across its
 * restarts too: see Cluster's ids), the origin node id, a small JSON header and an opaque payload
 * (the pushed bytes). Binary so a pushed payload travels as is, without base64.
 *
 * <pre>
 * u8 version(1) | u8 type | i64 id | utf origin | i32 headerLen | header (JSON) | i32 payloadLen | payload
 * </pre>
 * A payload length of -1 means no payload.
 */
record Envelope(Type type, long id, String origin, ObjectNode header, byte[] payload) {
    static final ObjectMapper JSON = new ObjectMapper();
    private static final int VERSION = 1;

    enum Type {
        /** Deliver to local clients (header: kind, keys, exclude, msg_id, binary, report). */
        PUSH,
        /** A node's count for a PUSH or UNGROUP it received (header: n). */
        REPORT,
        /** An operation for the receiving node (header: op and arguments). */
        REQUEST,
        /** The answer to a REQUEST (header: v, or error). */
        REPLY,
        /** A node's message to itself, proving its subscription delivers (header: token). */
        PROBE,
        /** A node (re)wrote its mirror (header: gen) or says goodbye (header: bye). */
        HELLO,
        /** Remove every local member from a group (header: group, report). */
        UNGROUP
    }

    static Envelope of(Type type, long id, String origin, ObjectNode header) {
        return new Envelope(type, id, origin, header, null);
    }

    byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + (payload == null ? 0 : payload.length));
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            out.writeByte(type.ordinal());
            out.writeLong(id);
            out.writeUTF(origin);
            if (header == null) {
                out.writeInt(0);
            } else {
                byte[] h = JSON.writeValueAsBytes(header);
                out.writeInt(h.length);
                out.write(h);
            }
            if (payload == null) {
                out.writeInt(-1);
            } else {
                out.writeInt(payload.length);
                out.write(payload);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @throws IllegalArgumentException for anything that is not an envelope of this version */
    static Envelope decode(byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("envelope version " + version + " (this node speaks " + VERSION
                        + "; are all nodes on the same gatewayd version?)");
            }
            int t = in.readUnsignedByte();
            if (t >= Type.values().length) {
                throw new IllegalArgumentException("unknown envelope type " + t);
            }
            long id = in.readLong();
            String origin = in.readUTF();
            int hl = in.readInt();
            ObjectNode header = null;
            if (hl > 0) {
                byte[] h = in.readNBytes(hl);
                JsonNode n = JSON.readTree(h);
                header = n instanceof ObjectNode o ? o : null;
            }
            int pl = in.readInt();
            byte[] payload = pl < 0 ? null : in.readNBytes(pl);
            if (payload != null && payload.length != pl) {
                throw new IllegalArgumentException("truncated envelope");
            }
            return new Envelope(Type.values()[t], id, origin, header, payload);
        } catch (IOException e) {
            throw new IllegalArgumentException("malformed envelope: " + e.getMessage(), e);
        }
    }
}
