package io.gatewayd.server;

import io.gatewayd.delivery.HalfClose;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Sits before the TLS handler of a TLS port and answers a plain HTTP request (http:// or ws://
 * at a wss:// or https:// port, the usual slip) with a 400 that says to use TLS, as nginx does.
 * Without it the TLS handler drops the connection and the client shows only "empty reply" or a
 * reset. TLS records, and anything that is not an HTTP request line, pass on untouched; the
 * handler leaves the pipeline after the first bytes either way.
 */
public final class PlainHttpOnTlsPort extends ByteToMessageDecoder {
    /** A TLS record header is 5 bytes; "GET /" is as many. */
    private static final int PROBE_BYTES = 5;
    private static final List<String> METHODS = List.of("GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ",
            "PATCH ");

    private final String contentType;
    private final String body;
    private boolean answered;

    /**
     * @param contentType of the answer
     * @param body        what to tell the client: the scheme to use instead; {@code {authority}} becomes
     *                    the address and port the client reached (a wildcard listen address is no help)
     */
    public PlainHttpOnTlsPort(String contentType, String body) {
        this.contentType = contentType;
        this.body = body;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (answered) {
            in.skipBytes(in.readableBytes()); // the rest of the request, until the close
            return;
        }
        if (in.readableBytes() < PROBE_BYTES) {
            return;
        }
        if (SslHandler.isEncrypted(in, false) || !looksLikeHttp(in)) {
            ctx.pipeline().remove(this); // hands the bytes read so far on to the TLS handler
            return;
        }
        in.skipBytes(in.readableBytes());
        answered = true;
        String authority = ctx.channel().localAddress() instanceof java.net.InetSocketAddress a
                ? (a.getAddress().getHostAddress().contains(":") ? "[" + a.getAddress().getHostAddress() + "]"
                : a.getAddress().getHostAddress()) + ":" + a.getPort() : "this port";
        byte[] b = body.replace("{authority}", authority).getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 400 Bad Request\r\nContent-Type: " + contentType + "\r\nContent-Length: " + b.length
                + "\r\nConnection: close\r\n\r\n";
        // in clear (from here, below the TLS handler), and FIN after it: the client may still be sending its request
        HalfClose.answer(ctx, Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), b));
    }

    private static boolean looksLikeHttp(ByteBuf in) {
        int n = Math.min(in.readableBytes(), 8);
        String start = in.toString(in.readerIndex(), n, StandardCharsets.US_ASCII);
        for (String m : METHODS) {
            if (start.startsWith(m.substring(0, Math.min(m.length(), n)))) {
                return true;
            }
        }
        return false;
    }
}
