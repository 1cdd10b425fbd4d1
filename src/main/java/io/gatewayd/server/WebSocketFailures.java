package io.gatewayd.server;

import io.gatewayd.delivery.CloseCodes;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;

import java.util.zip.DataFormatException;

/**
 * Which close code fails a WebSocket connection (RFC 6455 §7.1.7) after an error from its frame
 * decoder or permessage-deflate inflater. The gateway sends that close frame itself: Netty's
 * decoder would send none once the client's close frame was read (a close with a reserved code
 * or a reason that is not UTF-8), and its inflater never sends one.
 */
final class WebSocketFailures {
    private WebSocketFailures() {
    }

    /** The close code for {@code cause}, or null if it is not the client breaking the protocol. */
    static CloseCodes closeCodeFor(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof CorruptedWebSocketFrameException cw) {
                int code = cw.closeStatus().code();
                return code == CloseCodes.MESSAGE_TOO_BIG.code() ? CloseCodes.MESSAGE_TOO_BIG
                        : code == CloseCodes.INVALID_DATA.code() ? CloseCodes.INVALID_DATA : CloseCodes.PROTOCOL_ERROR;
            }
            if (t instanceof TooLongFrameException) {
                return CloseCodes.MESSAGE_TOO_BIG;
            }
            if (t instanceof DataFormatException) {
                return CloseCodes.INVALID_DATA; // compressed bytes that do not inflate
            }
            if (t instanceof DecompressionException && t.getCause() == null) {
                // Netty's inflater raises it without a cause only when the inflated frame
                // outgrows its bound (max-frame-size): a deflate bomb stops there
                return CloseCodes.MESSAGE_TOO_BIG;
            }
            if (t instanceof CorruptedFrameException) {
                return CloseCodes.PROTOCOL_ERROR;
            }
        }
        return null;
    }

    /**
     * Whether a client may close with {@code code} (RFC 6455 §7.4). Netty's decoder refuses the
     * reserved codes below 3000 but lets any code from 3000 up through, and codes from 32768 up
     * too (it reads them as negative), where only 3000-4999 are defined.
     */
    static boolean validCloseCode(int code) {
        return code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999;
    }
}
