package io.gatewayd.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.gatewayd.delivery.HalfClose;
import io.gatewayd.metrics.GatewayStats;
import io.gatewayd.routing.OverloadedException;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AsciiString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Serves one control connection: routes each request to /health, /api/status, /api/batch or an
 * API method, and writes responses in request order (HTTP/1.1 keep-alive and pipelining), even
 * when a cluster router completes them out of order.
 */
final class ControlHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(ControlHandler.class);

    private final ControlServer server;
    private final ApiMethods methods;
    private final GatewayStats stats;
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

    ControlHandler(ControlServer server, ApiMethods methods, GatewayStats stats) {
        this.server = server;
        this.methods = methods;
        this.stats = stats;
    }

    /** Only constant names and values go into responses: nothing to validate per reply. */
    private static final HttpHeadersFactory RESPONSE_HEADERS = DefaultHttpHeadersFactory.headersFactory()
            .withValidation(false);
    private static final AsciiString JSON_TYPE = AsciiString.cached("application/json; charset=utf-8");

    record Reply(int status, byte[] body, String allow) {
        static Reply json(int status, byte[] body) {
            return new Reply(status, body, null);
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        stats.apiRequests.increment();
        // after a request it could not decode, the decoder ignores everything: the connection is done
        boolean keepAlive = HttpUtil.isKeepAlive(req) && req.decoderResult().isSuccess();
        CompletableFuture<Reply> reply;
        server.requestStarted();
        try {
            reply = route(req);
        } catch (RuntimeException e) {
            reply = CompletableFuture.completedFuture(errorReply(e));
        }
        if (tail.isDone() && reply.isDone() && !reply.isCompletedExceptionally()) {
            // the usual case (a push answered at once, nothing before it still pending): no chain
            writeFinished(ctx, reply.join(), keepAlive);
            return;
        }
        // pipelined requests are answered in order, whenever each one's answer is ready
        CompletableFuture<Reply> r = reply.exceptionally(ControlHandler::errorReply);
        tail = tail.thenCompose(v -> r).thenAccept(rep -> writeFinished(ctx, rep, keepAlive));
    }

    private void writeFinished(ChannelHandlerContext ctx, Reply reply, boolean keepAlive) {
        try {
            write(ctx, reply, keepAlive);
        } finally {
            server.requestFinished();
        }
    }

    private CompletableFuture<Reply> route(FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            throw ApiException.badRequest("bad_request", undecodable(req));
        }
        String path = path(req.uri());
        HttpMethod verb = req.method();
        if (path.equals("/health")) {
            requireVerb(verb, false);
            return CompletableFuture.completedFuture(health());
        }
        if (!path.startsWith("/api/")) {
            throw new ApiException(404, "not_found", "no such path " + path
                    + "; the API is POST /api/<method>, health is GET /health");
        }
        authenticate(req);
        String name = path.substring("/api/".length());
        if (name.equals("status")) {
            requireVerb(verb, false);
            return ok(CompletableFuture.completedFuture(server.status()));
        }
        if (name.equals("methods")) {
            requireVerb(verb, false);
            return ok(CompletableFuture.completedFuture(describeAll()));
        }
        if (name.equals("batch")) {
            requireVerb(verb, true);
            return ok(batch(RequestParams.body(req.content(), RequestParams.BATCH_HINT)));
        }
        ApiMethods.Method m = methods.get(name);
        if (m == null) {
            throw unknownMethod(name);
        }
        requireVerb(verb, !m.readOnly());
        JsonNode params;
        if (verb.equals(HttpMethod.GET) || verb.equals(HttpMethod.HEAD) || !req.content().isReadable()) {
            params = RequestParams.query(req.uri());
        } else {
            params = RequestParams.body(req.content());
        }
        return ok(call(m, params));
    }

    /**
     * What was wrong with a request the HTTP decoder refused, in words: Netty's exception (its class
     * name and wording) is for the log, not for the caller.
     */
    static String undecodable(FullHttpRequest req) {
        Throwable cause = req.decoderResult().cause();
        if (cause instanceof TooLongHttpLineException) {
            return "request line longer than " + ControlServer.MAX_INITIAL_LINE + " bytes; shorten the URL "
                    + "(send the parameters as a POST body)";
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return "request headers larger than " + ControlServer.MAX_HEADER_SIZE + " bytes; send fewer or "
                    + "shorter headers";
        }
        if (req.uri().equals("/bad-request")) { // the decoder's stand-in for a request line it could not read
            return "not an HTTP/1.1 request; send e.g. POST /api/<method> HTTP/1.1 with a Host header "
                    + "and a JSON body";
        }
        return "malformed HTTP request (its headers, Content-Length or chunked encoding); send a plain "
                + "HTTP/1.1 request, e.g. POST /api/<method> with Content-Length and a JSON body";
    }

    /** The paths under /api/ this handler serves itself, described as /api/methods lists the others. */
    private static final List<ApiMethods.Method> BUILT_IN = List.of(
            new ApiMethods.Method("batch", false, "the body is a JSON array [{method, params}, ...]",
                    "[{result} or {error}, ...], one per call, in order", null),
            new ApiMethods.Method("methods", true, "", "[{name, http, params, result}]: every method", null),
            new ApiMethods.Method("status", true, "",
                    "{uptime_s, connections, uids, groups, messages, bytes, api, listeners, jvm, ...}", null));

    /**
     * Methods that act on the whole process: inside a batch their effect would cut the batch's
     * other calls short (admin/stop) or surprise them (admin/reload), so they are called alone.
     */
    private static final Set<String> NOT_BATCHABLE = Set.of("admin/stop", "admin/reload");

    private com.fasterxml.jackson.databind.node.ArrayNode describeAll() {
        Map<String, ObjectNode> all = new TreeMap<>();
        for (String n : methods.names()) {
            ObjectNode d = ApiMethods.describe(methods.get(n));
            if (NOT_BATCHABLE.contains(n)) {
                d.put("batchable", false);
            }
            all.put(n, d);
        }
        for (ApiMethods.Method m : BUILT_IN) {
            ObjectNode d = ApiMethods.describe(m);
            d.put("batchable", false);
            all.put(m.name(), d);
        }
        var list = Json.MAPPER.createArrayNode();
        all.values().forEach(list::add);
        return list;
    }

    private ApiException unknownMethod(String name) {
        if (name.isEmpty()) {
            return new ApiException(404, "unknown_method", "no method named: the API is POST /api/<method>; "
                    + "GET /api/methods lists them all");
        }
        var close = methods.closeMatches(name);
        return new ApiException(404, "unknown_method", "unknown method \"" + name + "\"; "
                + (close.isEmpty() ? "" : "did you mean " + String.join(", ", close) + "? ")
                + "GET /api/methods lists them all");
    }

    /** The path of a request URI; only an escaped one goes through the full decoder. */
    private static String path(String uri) {
        int q = uri.indexOf('?');
        String raw = q < 0 ? uri : uri.substring(0, q);
        return raw.indexOf('%') < 0 && raw.indexOf('#') < 0 ? raw : new QueryStringDecoder(uri).path();
    }

    /**
     * Refuses a verb the path does not take. HEAD goes wherever GET does (load balancers check
     * /health with it): it is answered as GET, and the HTTP codec leaves the body out.
     */
    private static void requireVerb(HttpMethod verb, boolean postOnly) {
        boolean ok = verb.equals(HttpMethod.POST)
                || (!postOnly && (verb.equals(HttpMethod.GET) || verb.equals(HttpMethod.HEAD)));
        if (!ok) {
            String allow = postOnly ? "POST" : "GET, HEAD, POST";
            throw new ApiException(405, "method_not_allowed", verb + " is not allowed here; use "
                    + (postOnly ? "POST" : "GET, HEAD or POST"), java.util.Map.of("allow", allow));
        }
    }

    private void authenticate(FullHttpRequest req) {
        ApiTokens tokens = server.tokens();
        if (!tokens.required()) {
            return;
        }
        String presented = req.headers().get("X-Api-Key");
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (presented == null && auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            presented = auth.substring(7).trim();
        }
        if (presented == null) {
            throw new ApiException(401, "unauthorized", "missing token: send Authorization: Bearer <token> "
                    + "or X-Api-Key: <token>");
        }
        if (!tokens.accepts(presented)) {
            throw new ApiException(401, "unauthorized", "invalid token");
        }
    }

    private Reply health() {
        ObjectNode o = Json.object();
        String state = server.healthState();
        o.put("status", state);
        return Reply.json(state.equals("ok") || state.equals("draining") || state.equals("degraded") ? 200 : 503,
                Json.bytes(o));
    }

    /** Calls one method; the params must be a JSON object. */
    CompletableFuture<?> call(ApiMethods.Method m, JsonNode params) {
        if (params != null && params.isArray() && params.isEmpty()) {
            params = Json.object(); // PHP's json_encode([]) cannot tell an empty map from an empty list
        }
        if (params == null || !params.isObject()) {
            throw ApiException.badRequest("bad_params", "parameters of " + m.name()
                    + " must be a JSON object, got " + (params == null ? "nothing" : Params.kind(params))
                    + " (GET /api/methods lists each method's parameters)");
        }
        return m.handler().apply(new Params((ObjectNode) params));
    }

    private CompletableFuture<?> batch(JsonNode body) {
        if (!body.isArray()) {
            throw ApiException.badRequest("bad_params", "a batch is a JSON array of {\"method\":...,\"params\":{...}}, got "
                    + Params.kind(body));
        }
        int n = body.size();
        Object[] results = new Object[n];
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (int i = 0; i < n; i++) {
            int index = i;
            JsonNode item = body.get(i);
            chain = chain.thenCompose(v -> {
                CompletableFuture<?> one;
                try {
                    one = batchItem(index, item);
                } catch (RuntimeException e) {
                    one = CompletableFuture.failedFuture(e);
                }
                return one.handle((value, err) -> {
                    results[index] = err == null ? new ResultHolder(value) : errorNode(unwrap(err));
                    return null;
                });
            });
        }
        return chain.thenApply(v -> new BatchResults(results));
    }

    private CompletableFuture<?> batchItem(int index, JsonNode item) {
        String where = "batch[" + index + "]";
        if (!item.isObject()) {
            throw ApiException.badRequest("bad_params", where + " must be an object {\"method\":...,\"params\":{...}}");
        }
        JsonNode name = item.get("method");
        if (name == null || !name.isTextual()) {
            throw ApiException.missing(where + ".method", "the method name as a string");
        }
        ApiMethods.Method m = methods.get(name.textValue());
        if (m == null && BUILT_IN.stream().anyMatch(b -> b.name().equals(name.textValue()))) {
            // /api/methods lists them (batchable: false): "unknown" would contradict it
            throw ApiException.badRequest("not_batchable", name.textValue() + " cannot be batched; call /api/"
                    + name.textValue() + " on its own");
        }
        if (m == null) {
            throw unknownMethod(name.textValue());
        }
        if (NOT_BATCHABLE.contains(m.name())) {
            throw ApiException.badRequest("not_batchable", m.name() + " cannot be batched; call POST /api/"
                    + m.name() + " on its own");
        }
        JsonNode params = item.get("params");
        return call(m, params == null || params.isNull() ? Json.object() : params);
    }

    record ResultHolder(Object value) {
    }

    record BatchResults(Object[] items) {
    }

    private static CompletableFuture<Reply> ok(CompletableFuture<?> value) {
        return value.thenApply(v -> Reply.json(200, resultBody(v)));
    }

    private static byte[] resultBody(Object v) {
        if (!(v instanceof BatchResults) && !(v instanceof io.gatewayd.routing.Router.PartialValue)
                && !(v instanceof io.gatewayd.routing.Router.Partial)) {
            return Json.resultBytes(v); // the common case, streamed without building a tree
        }
        if (v instanceof BatchResults b) {
            var arr = Json.MAPPER.createArrayNode();
            for (Object item : b.items()) {
                if (item instanceof ResultHolder h) {
                    setResult(arr.addObject(), h.value());
                } else {
                    arr.add((JsonNode) item);
                }
            }
            v = arr;
        }
        ObjectNode root = Json.object();
        setResult(root, v);
        return Json.bytes(root);
    }

    /** "result", plus "partial" and "missing_nodes" when a cluster query lacks some nodes' part. */
    private static void setResult(ObjectNode into, Object v) {
        Object value = v instanceof io.gatewayd.routing.Router.PartialValue pv ? pv.value() : v;
        into.set("result", Json.MAPPER.valueToTree(value));
        if (v instanceof io.gatewayd.routing.Router.Partial p && !p.missingNodes().isEmpty()) {
            into.put("partial", true);
            into.set("missing_nodes", Json.MAPPER.valueToTree(p.missingNodes()));
        }
    }

    private static Throwable unwrap(Throwable t) {
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static ObjectNode errorNode(Throwable t) {
        if (t instanceof ApiException e) {
            ObjectNode err = Json.error(e.code(), e.getMessage());
            e.details().forEach((k, v) -> ((ObjectNode) err.get("error")).set(k, Json.MAPPER.valueToTree(v)));
            return err;
        }
        if (t instanceof OverloadedException o) {
            ObjectNode err = Json.error("overloaded", t.getMessage());
            if (o.deliveredLocal() >= 0) {
                ((ObjectNode) err.get("error")).put("delivered_local", o.deliveredLocal());
            }
            return err;
        }
        if (t instanceof io.gatewayd.registry.LimitExceededException) {
            return Json.error("limit_exceeded", t.getMessage());
        }
        return Json.error("internal", "internal error (" + t.getClass().getSimpleName() + "); see the gateway log");
    }

    private static Reply errorReply(Throwable raw) {
        Throwable t = unwrap(raw);
        int status;
        if (t instanceof ApiException e) {
            status = e.status();
        } else if (t instanceof OverloadedException) {
            status = 503;
        } else if (t instanceof io.gatewayd.registry.LimitExceededException) {
            status = 409;
        } else {
            status = 500;
            LOG.error("control request failed", t);
        }
        Object allow = t instanceof ApiException e ? e.details().get("allow") : null; // the Allow header of a 405
        return new Reply(status, Json.bytes(errorNode(t)), allow == null ? null : allow.toString());
    }

    private void write(ChannelHandlerContext ctx, Reply reply, boolean keepAlive) {
        if (reply.status() >= 400) {
            stats.apiErrors.increment();
        }
        byte[] json = reply.body();
        ByteBuf body = ctx.alloc().buffer(json.length + 1).writeBytes(json).writeByte('\n');
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(reply.status()), body, RESPONSE_HEADERS.newHeaders(),
                EmptyHttpHeaders.INSTANCE);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, JSON_TYPE);
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (reply.status() == 401) {
            res.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer");
        }
        if (reply.allow() != null) {
            res.headers().set(HttpHeaderNames.ALLOW, reply.allow());
        }
        boolean close = !keepAlive || server.isStopping();
        if (close) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            HalfClose.answer(ctx, res); // after a request it could not decode, more may be coming: FIN, not a reset
        } else {
            res.headers().set(HttpHeaderNames.KEEP_ALIVE, server.keepAlive());
            ctx.writeAndFlush(res, ctx.voidPromise());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("control connection error: {}", cause.toString());
        ctx.close();
    }
}
