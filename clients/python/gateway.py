"""gatewayd client for Python: GatewayWorker's GatewayClient API over gatewayd's HTTP control port.

Standard library only, Python 3.8+. Method names are GatewayClient's, so code ported from PHP reads
the same:

    from gateway import Gateway
    gw = Gateway("http://127.0.0.1:8283", token=os.environ.get("GATEWAYD_CONTROL_TOKEN", ""))
    gw.bindUid(client_id, 42)
    gw.sendToUid(42, {"type": "PORTAL_BIND"})

Arguments: uids and groups are str or int; where GatewayClient takes one or several, pass one, or
a list, tuple, set or any other iterable of them. A message is a str (sent as is), bytes (sent as
those bytes: a binary frame on WebSocket, the exact payload on frame:// and text://) or any other
JSON value such as a dict (sent as compact JSON).

Results are plain Python values: lists of ids where GatewayClient returns {id: id} maps, dicts
keyed by uid or group (uids come back as str: 42 is "42", as in GatewayWorker), bool where
GatewayClient returns 0/1 (True == 1, so ported comparisons still hold), and for pushes the number
of connections the message was queued to.

Each thread keeps one HTTP connection open to the gateway and reuses it (keep-alive); close() or
a with block closes them. A connection idle for nearly as long as the gateway keeps one (the
Keep-Alive header of its answers) is replaced rather than reused. When a reused connection breaks
as a call goes out, the call is sent again on a new connection when it answers the same twice (the
queries, bindUid, unbindUid, joinGroup, leaveGroup, setSession, updateSession, or a batch of only
those); any other call raises GatewayError connection_lost, as it may have been carried out already:
a push would be delivered twice, and closeClient, destroyClient or ungroup sent again would answer
false or 0 for a client or group the first attempt closed or emptied. Every failure (the gateway's
own errors, a gateway that does not answer within timeout, bad arguments, parameters that cannot
be sent as JSON, an answer that is not the gateway's, e.g. from a wrong URL or a proxy) raises
GatewayError with the gateway's message or one naming the problem.
"""
import base64
import functools
import http.client
import io
import json
import math
import os
import re
import select
import socket
import threading
import time
import urllib.parse
import weakref
from collections.abc import Iterable, Mapping

__all__ = ["Gateway", "GatewayError"]


class GatewayError(RuntimeError):
    """Any failure of a call.

    code: the gateway's error code ("invalid_param", "rate_limited", "cluster_unavailable", ...) or
    the client's own: "unreachable" (no connection could be made: nothing was sent),
    "connection_lost" (the connection broke after the request was sent: the call may have been carried
    out), "timeout" (no whole answer within timeout: the call may have been carried out),
    "not_gatewayd" (an answer that is not the gateway's), "invalid_param" (an argument refused
    before sending), "invalid_config" (the URL, token or timeout). status: the HTTP status of the
    answer, None when there was none. details: the error's other fields, such as delivered_local of
    a 503 cluster_unavailable push ({} when there are none).
    """

    def __init__(self, message, code=None, status=None, details=None):
        super().__init__(message)
        self.code = code
        self.status = status
        self.details = details if details is not None else {}


def _excerpt(raw, limit=80):
    """The start of an answer body, on one line, for error messages."""
    text = " ".join(raw[:limit * 4].decode("utf-8", "replace").split())
    if not text:
        return "an empty body"
    return '"%s"' % (text[:limit] + "..." if len(text) > limit or len(raw) > limit * 4 else text)


_BYTES = (bytes, bytearray, memoryview)


def _not_gatewayd_hint(status):
    """What an answer that is not the gateway's suggests: a proxy's error page or the wrong URL."""
    return ("a proxy in front of the gateway that cannot reach it, or not the control URL?" if status >= 500
            else "is this the gateway's control URL?")


def _ssl_reason(e):
    """OpenSSL's words for a TLS failure, without its library tag, source line and full stop."""
    text = getattr(e, "verify_message", None) or (e.args[1] if len(e.args) > 1 else None) or str(e)
    text = re.sub(r"^\[[^\]]*\]\s*|\s*\(_ssl\.c:\d+\)$", "", str(text))
    return text.rstrip(".")


def _is_one_key(value):
    return isinstance(value, (str, int, float)) or value is None


def _keys(method, name, value):
    """Several uids, groups or client_ids as a JSON list; a lone str is one of them, not its letters."""
    if _is_one_key(value):
        return [value]
    if isinstance(value, Mapping) or isinstance(value, _BYTES) or not isinstance(value, Iterable):
        raise GatewayError("%s: %s must be one id or a list, tuple or set of them, got %s (for a dict,"
                           " pass list(d) or list(d.values()))" % (method, name, type(value).__name__),
                           code="invalid_param")
    return list(value)


def _one_or_many(method, single, plural, value):
    """GatewayClient's "uid or uid[]": {single: value} for one, {plural: [...]} for several."""
    return {single: value} if _is_one_key(value) else {plural: _keys(method, plural, value)}


def _message(method, message, raw=False):
    """The message fields of a push. bytes travel base64-encoded (JSON carries only text) and arrive as bytes."""
    if raw:
        # GatewayWorker's raw means "already a whole frame of the client's protocol"; gatewayd frames
        # every message itself, so honouring it silently would send the frame wrapped twice
        raise GatewayError("%s: raw=True is not supported: gatewayd frames every message for the client's"
                           " protocol itself, so pass the payload, not a frame, and leave raw out" % method,
                           code="invalid_param")
    if isinstance(message, _BYTES):
        return {"message_base64": base64.b64encode(bytes(message)).decode("ascii")}
    return {"message": message}


def _push_options(method, params, exclude_client_ids, msg_id):
    """exclude_client_ids (None or '' exclude nobody, as in GatewayClient) and msg_id of a push, when given."""
    if exclude_client_ids is not None and exclude_client_ids != "":
        params["exclude_client_ids"] = _keys(method, "exclude_client_ids", exclude_client_ids)
    if msg_id is not None:
        params["msg_id"] = msg_id
    return params


def _empty_means_all(group):
    """GatewayClient's default group is '': all clients."""
    return {} if group is None or group == "" else {"group": group}


class _DeadlineReader(io.RawIOBase):
    """A socket's bytes, each read given only what is left of the call's time: a socket's own timeout
    bounds one read, so an answer that trickles in would otherwise take as long as it likes."""

    def __init__(self, sock, deadline):
        self._sock = sock
        self._deadline = deadline

    def readable(self):
        return True

    def readinto(self, b):
        self._sock.settimeout(_left(self._deadline))
        return self._sock.recv_into(b)


class _DeadlineResponse(http.client.HTTPResponse):
    """An HTTPResponse read through a _DeadlineReader."""

    def __init__(self, sock, *args, deadline, **kwargs):
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # the socket's own file, never read
        self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))


def _left(deadline):
    """Seconds left before deadline (None: no limit); socket.timeout once it has passed."""
    if deadline is None:
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise socket.timeout("timed out")
    return left


def _timed_out(e):
    return isinstance(e, socket.timeout) or "timed out" in str(e)


# Calls that answer the second time what they answered the first, so a retry after an attempt that
# may have been carried out shows the caller nothing different: the queries, and the writes that
# answer only "true, or false if offline" and leave the same state done twice. Not here, so never sent
# again: pushes (delivered twice), closeClient and destroyClient (the first attempt's close makes the
# retry answer false: offline), ungroup (the retry counts 0 members removed), cron/run (runs the job
# twice), cron/pause and cron/resume ("changed": false), admin/*, and any method this client does not
# know (a newer gateway's).
_SAME_ANSWER_TWICE = frozenset((
    "bindUid", "unbindUid", "joinGroup", "leaveGroup", "setSession", "updateSession",
    "getSession", "isOnline", "isUidOnline", "isUidsOnline", "getClientIdByUid", "batchGetClientIdByUid",
    "getUidByClientId", "getAllClientIdCount", "getAllClientCount", "getAllClientIdList",
    "getClientIdCountByGroup", "getClientCountByGroup", "batchGetClientIdCountByGroup",
    "getClientIdListByGroup", "getAllClientSessions", "getAllClientInfo", "getClientSessionsByGroup",
    "getClientInfoByGroup", "getUidListByGroup", "getUidCountByGroup", "getAllUidList", "getAllUidCount",
    "getAllGroupIdList", "getAllGroupUidList", "getAllGroupUidCount", "getAllGroupClientIdList",
    "getAllGroupClientIdCount", "status", "methods", "cron/list", "cron/history", "admin/connections"))


_PUSHES = frozenset(("sendToAll", "sendToClient", "sendToUid", "sendToGroup"))


def _may_have_been_carried_out(method, params):
    """The end of an error for a call that may have reached the gateway: what makes a retry safe, where
    something does (a push's msg_id), and nothing for the rest, whose retry the caller must judge."""
    if method in _PUSHES:
        return "the call may still have been carried out (retry it with the same msg_id)"
    if method == "batch" and isinstance(params, list) and any(
            isinstance(c, Mapping) and c.get("method") in _PUSHES for c in params):
        return "the call may still have been carried out (retry its pushes with the same msg_id)"
    return "the call may still have been carried out"


def _repeatable(method, params):
    """Whether the call may be sent again after an attempt that may have been carried out: a batch when
    each of its calls may."""
    if method == "batch":
        return isinstance(params, list) and all(
            isinstance(c, Mapping) and isinstance(c.get("method"), str) and c["method"] in _SAME_ANSWER_TWICE
            for c in params)
    return method in _SAME_ANSWER_TWICE


def _reusable_for(keep_alive):
    """Seconds an idle connection may still be reused, from the gateway's "Keep-Alive: timeout=N" (None
    without one): a margin short of N, so a request does not meet the gateway's idle close on the way."""
    m = re.search(r"(?:^|[,;\s])timeout\s*=\s*(\d+)", keep_alive or "", re.IGNORECASE)
    if m is None:
        return None
    n = int(m.group(1))
    return n - min(1.0, n / 2.0)


class Gateway:
    def __init__(self, api_url="http://127.0.0.1:8283", token="", timeout=5.0, ssl_context=None, cafile=None):
        """api_url: the control URL; token: the control token ('' when the gateway needs none);
        timeout: seconds the whole call may take (connecting, sending and the whole answer; None
        waits forever); cafile: for an https:// URL with a
        private CA or a self-signed certificate, the PEM file of that CA (or of the certificate
        itself); ssl_context: any other TLS settings, instead of cafile."""
        self.api_url = api_url.rstrip("/") if isinstance(api_url, str) else api_url
        self.token = token
        self.timeout = timeout
        self.cafile = cafile
        self.ssl_context = ssl_context if cafile is None else self._trusting(cafile, ssl_context)
        self._local = threading.local()
        self._open = weakref.WeakSet()  # every thread's connection, for close()
        self._open_lock = threading.Lock()
        self._endpoint()  # a bad URL, token or timeout fails here, not at the first call

    @staticmethod
    def _trusting(cafile, ssl_context):
        """An SSL context that trusts cafile, refused here (not at the first call) when it cannot be loaded."""
        if ssl_context is not None:
            raise GatewayError("pass cafile or ssl_context, not both (load the CA into the context:"
                               " ssl_context.load_verify_locations(cafile))", code="invalid_config")
        import ssl
        try:
            return ssl.create_default_context(cafile=os.fspath(cafile))
        except (OSError, ssl.SSLError, TypeError) as e:
            raise GatewayError("cafile %r cannot be loaded (%s); it must be the PEM file of the CA that signed the"
                               " gateway's certificate, or of the certificate itself"
                               % (cafile, _ssl_reason(e)), code="invalid_config") from None

    def _certificate_problem(self, e):
        """A failed certificate check in words: what is wrong and what to pass."""
        reason = _ssl_reason(e)
        code = getattr(e, "verify_code", None)
        if code in (62, 64):  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
            return ("its TLS certificate does not name the host of api_url (%s); use a host name the certificate"
                    " names, or a certificate (tls.cert-file) that names this host" % reason)
        if code == 10:  # X509_V_ERR_CERT_HAS_EXPIRED
            return ("its TLS certificate has expired (%s); renew the gateway's tls.cert-file and reload it" % reason)
        if self.cafile is not None:
            return ("its TLS certificate is not trusted (%s): cafile %r does not vouch for it; pass as cafile the CA"
                    " that signed the gateway's certificate (or that certificate, the gateway's tls.cert-file, if it"
                    " is self-signed)" % (reason, self.cafile))
        return ("its TLS certificate is not trusted (%s); for a private CA or a self-signed certificate pass"
                " cafile= the PEM file of that CA (or the certificate itself, the gateway's tls.cert-file)" % reason)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        """Closes the connections to the gateway; the next call opens a new one."""
        with self._open_lock:
            conns = list(self._open)
            self._open.clear()
        for conn in conns:
            conn.close()

    def _endpoint(self):
        """(scheme, host, port, path prefix) of api_url, with token and timeout checked."""
        url = self.api_url
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            raise GatewayError("%r is not a control URL; it looks like http://127.0.0.1:8283" % (url,),
                               code="invalid_config")
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError as e:  # http://[::1, http://host:port
            raise GatewayError("%r is not a control URL: %s" % (url, e), code="invalid_config") from None
        if not parts.hostname:
            raise GatewayError("%r is not a control URL: it names no host" % url, code="invalid_config")
        token = self.token
        if not isinstance(token, str) or token != token.strip() or any(c < " " or c > "~" for c in token):
            # never quote the token: error messages end up in logs
            raise GatewayError("the control token must be a str of printable ASCII, without spaces or a newline"
                               " at either end (from the file or variable it was read from?)",
                               code="invalid_config")
        t = self.timeout
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 < t < math.inf):
            raise GatewayError("timeout must be a number of seconds above 0 (or None to wait forever), got %r" % (t,),
                               code="invalid_config")
        scheme = parts.scheme.lower()
        return scheme, parts.hostname, port or (443 if scheme == "https" else 80), parts.path.rstrip("/")

    def _connection(self, endpoint):
        """This thread's connection to endpoint and whether it served a request before."""
        key = (endpoint[:3], self.timeout, self.ssl_context, os.getpid())
        conn = getattr(self._local, "conn", None)
        if conn is not None and (self._local.key != key or conn.sock is None or self._idled_out(conn)
                                 or self._dropped(conn.sock)):
            # another URL, a forked child (the parent's socket is not ours to use), or a connection
            # the gateway closes or has closed while idle (control.request-timeout)
            if self._local.key[3] == os.getpid():
                conn.close()
            conn = None
        if conn is not None:
            return conn, True
        scheme, host, port, _ = endpoint
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=self.ssl_context)
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        conn.gatewayd_reuse_by = None  # until an answer says how long the gateway keeps it idle
        self._local.conn, self._local.key = conn, key
        with self._open_lock:
            self._open.add(conn)
        return conn, False

    @staticmethod
    def _idled_out(conn):
        """Idle for nearly as long as the gateway keeps an idle connection: reusing it could race its close."""
        reuse_by = getattr(conn, "gatewayd_reuse_by", None)
        return reuse_by is not None and time.monotonic() > reuse_by

    @staticmethod
    def _dropped(sock):
        """An idle connection that is readable has been closed by the other side (or is out of step)."""
        try:
            return bool(select.select([sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def _forget(self, conn):
        conn.close()
        if getattr(self._local, "conn", None) is conn:
            self._local.conn = None

    def _post(self, method, body, repeatable, carried_out):
        """(status, body) of POST /api/<method>, all of it within timeout. repeatable: the call may be
        sent again when a kept-alive connection breaks after it went out. carried_out: what an error
        says of a call that may have reached the gateway."""
        endpoint = self._endpoint()
        url = self.api_url + "/api/" + method
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        lost = None  # why an earlier attempt broke after its request went out
        while True:
            conn, reused = self._connection(endpoint)
            if not reused:
                self._connect(conn, deadline, method, url, lost, carried_out)
            # 'unreachable' promises that nothing was sent, so a caller may retry anything; from here on
            # the request may reach the gateway and be carried out, and only a push with a msg_id is safe
            # to repeat
            sent = False
            try:
                conn.sock.settimeout(_left(deadline))
                conn.response_class = functools.partial(_DeadlineResponse, deadline=deadline)
                conn.request("POST", endpoint[3] + "/api/" + urllib.parse.quote(method), body, headers)
                sent = True
                res = conn.getresponse()
                raw = res.read()
            except (OSError, http.client.HTTPException) as e:
                self._forget(conn)
                # a kept-alive connection that broke as it was reused: most likely the gateway closed it
                # while idle and the request never got there, but a gateway that carried the request out
                # and died before answering looks the same once it was sent, so only a call that answers
                # the same twice is sent again then
                if (reused and isinstance(e, (BrokenPipeError, ConnectionResetError))
                        and (not sent or (repeatable and isinstance(e, http.client.RemoteDisconnected)))):
                    if sent:
                        lost = e
                    continue
                if _timed_out(e):
                    raise GatewayError("gatewayd at %s did not answer within %s s; %s"
                                       % (self.api_url, self.timeout, carried_out),
                                       code="timeout") from None
                if isinstance(e, http.client.HTTPException) and not isinstance(
                        e, (http.client.IncompleteRead, http.client.RemoteDisconnected)):
                    # an answer that is not HTTP (BadStatusLine, LineTooLong, ...)
                    raise GatewayError("%s answered something that is not HTTP (%s); is this the gateway's control"
                                       " URL?" % (url, " ".join(str(e).split()) or type(e).__name__),
                                       code="not_gatewayd") from None
                raise GatewayError("the connection to gatewayd at %s broke before a whole answer came (%s); %s"
                                   % (self.api_url, e, carried_out),
                                   code="connection_lost") from None
            if res.will_close:
                self._forget(conn)
            else:
                reusable = _reusable_for(res.getheader("Keep-Alive"))
                conn.gatewayd_reuse_by = None if reusable is None else time.monotonic() + reusable
            if 300 <= res.status < 400:
                # not followed: a redirect would turn the POST into a GET without its parameters, and
                # hand the token to wherever it points
                raise GatewayError("%s answered %d, a redirect to %s; is this the gateway's control URL?"
                                   % (url, res.status, res.getheader("Location", "nowhere")),
                                   code="not_gatewayd", status=res.status)
            return res.status, raw

    def _connect(self, conn, deadline, method, url, lost, carried_out):
        """Opens conn (and its TLS session) within what is left of the call's time; nothing is sent on it
        yet. lost: why an earlier attempt of the call broke after its request went out, if one did, and
        carried_out what the error then says of it."""
        try:
            conn.timeout = _left(deadline)
            conn.connect()
        except (OSError, ValueError) as e:  # ValueError: a host name that cannot be encoded (IDNA), ...
            self._forget(conn)
            if lost is not None:  # not 'unreachable': the earlier attempt may have been carried out
                raise GatewayError("the connection to gatewayd at %s broke before a whole answer came (%s), and"
                                   " connecting again failed (%s); %s"
                                   % (self.api_url, lost, e, carried_out),
                                   code="connection_lost") from None
            if _timed_out(e):
                raise GatewayError("gatewayd at %s did not answer: no connection within %s s, so nothing was sent"
                                   % (self.api_url, self.timeout), code="unreachable") from None
            if type(e).__name__ == "SSLCertVerificationError":  # ssl may be missing: only http:// then
                raise GatewayError("gatewayd at %s did not answer: %s" % (self.api_url, self._certificate_problem(e)),
                                   code="unreachable") from None
            if isinstance(e, ValueError):
                raise GatewayError("%s: the request to %s cannot be sent: %s" % (method, url, e),
                                   code="invalid_config") from None
            raise GatewayError("gatewayd at %s did not answer: %s" % (self.api_url, e), code="unreachable") from None

    @property
    def last_answer(self):
        """The whole answer of this thread's last call, as a dict: {"result": ...}, and in cluster mode what
        the return value leaves out: a push's {"result": {"delivered": 3, "delivered_local": 1,
        "remote_nodes": 2}} (with "partial": True and "missing_reports" when a node did not report in
        time), a query's "partial": True and "missing_nodes" when a node did not answer in time. None
        after a call that failed (the GatewayError has the details) and before any call."""
        return getattr(self._local, "answer", None)

    def call(self, method, params=None):
        """POST one control API call; returns its "result". Anything else raises GatewayError."""
        self._local.answer = None
        url = self.api_url + "/api/" + method if isinstance(self.api_url, str) else method
        try:
            body = json.dumps({} if params is None else params, allow_nan=False,
                              separators=(",", ":")).encode("utf-8")
        except (TypeError, ValueError, RecursionError) as e:  # sets, NaN, bytes in a session, circular references
            hint = " (decode bytes to str; only a pushed message may be bytes)" if "bytes" in str(e) else ""
            raise GatewayError("%s: the parameters cannot be sent as JSON: %s%s" % (method, e, hint),
                               code="invalid_param") from None
        status, raw = self._post(method, body, _repeatable(method, params),
                                 _may_have_been_carried_out(method, params))
        try:
            answer = json.loads(raw.decode("utf-8"))
        except ValueError:  # not UTF-8 or not JSON
            raise GatewayError("%s answered %d but not with JSON (%s); %s" % (url, status, _excerpt(raw),
                                                                            _not_gatewayd_hint(status)),
                               code="not_gatewayd", status=status) from None
        error = answer.get("error") if isinstance(answer, dict) else None
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            code = error.get("code") if isinstance(error.get("code"), str) else None
            details = {k: v for k, v in error.items() if k not in ("code", "message")}
            raise GatewayError("%s: %s" % (method, error["message"]), code=code, status=status, details=details)
        if not isinstance(answer, dict) or "result" not in answer:
            raise GatewayError('%s answered %d with JSON that is no gatewayd answer ({"result": ...} or'
                               ' {"error": {...}}) (%s); %s' % (url, status, _excerpt(raw), _not_gatewayd_hint(status)),
                               code="not_gatewayd", status=status)
        self._local.answer = answer
        return answer["result"]

    def _call(self, method, params, shape, what):
        """call(), with a result of the documented shape (a type or a tuple of types)."""
        result = self.call(method, params)
        if not isinstance(result, shape) or (isinstance(result, bool) and bool not in
                                             (shape if isinstance(shape, tuple) else (shape,))):
            raise GatewayError("%s/api/%s answered %s where %s belongs; is this the gateway's control URL?"
                               % (self.api_url, method, _excerpt(json.dumps(result).encode()), what),
                               code="not_gatewayd", status=200)
        return result

    def _delivered(self, method, params):
        """The "delivered" count of a push's result."""
        result = self.call(method, params)
        if not isinstance(result, dict) or type(result.get("delivered")) is not int:
            raise GatewayError('%s/api/%s answered a result without a "delivered" count (%s); is this the'
                               ' gateway\'s control URL?'
                               % (self.api_url, method, _excerpt(json.dumps(result).encode())),
                               code="not_gatewayd", status=200)
        return result["delivered"]

    # ---- pushes: each returns how many connections the message was queued to (sendToClient: a bool).
    # msg_id (keyword only) makes a retry idempotent: a gateway (each node in cluster mode) delivers a
    # push with a given id once within control.dedup-window. last_answer has the cluster's delivery report.
    def sendToAll(self, message, client_ids=None, exclude_client_ids=None, raw=False, *, msg_id=None):
        """To every client; with client_ids only to those ([] sends to nobody; None or '' to all)."""
        p = _message("sendToAll", message, raw)
        if client_ids is not None and client_ids != "":
            p["client_ids"] = _keys("sendToAll", "client_ids", client_ids)
        return self._delivered("sendToAll", _push_options("sendToAll", p, exclude_client_ids, msg_id))

    def sendToClient(self, client_id, message, raw=False, *, msg_id=None):
        """True if the client is online and the message was queued to it."""
        p = {"client_id": client_id}
        p.update(_message("sendToClient", message, raw))
        return self._delivered("sendToClient", _push_options("sendToClient", p, None, msg_id)) > 0

    def sendToUid(self, uid, message, raw=False, *, exclude_client_ids=None, msg_id=None):
        """To every connection bound to the uid (or to any of several uids), but those excluded."""
        p = _one_or_many("sendToUid", "uid", "uids", uid)
        p.update(_message("sendToUid", message, raw))
        return self._delivered("sendToUid", _push_options("sendToUid", p, exclude_client_ids, msg_id))

    def sendToGroup(self, group, message, exclude_client_ids=None, raw=False, *, msg_id=None):
        """To every member of the group (or of any of several groups), but those excluded."""
        p = _one_or_many("sendToGroup", "group", "groups", group)
        p.update(_message("sendToGroup", message, raw))
        return self._delivered("sendToGroup", _push_options("sendToGroup", p, exclude_client_ids, msg_id))

    def sendBinaryToClient(self, client_id, data):
        """sendToClient with bytes; kept for code written before sendToClient took bytes."""
        if not isinstance(data, _BYTES):
            raise GatewayError("sendBinaryToClient: data must be bytes, got %s (send text with sendToClient)"
                               % type(data).__name__, code="invalid_param")
        return self.sendToClient(client_id, data)

    # ---- one client: True, or False when it is offline
    def bindUid(self, client_id, uid):
        return self._call("bindUid", {"client_id": client_id, "uid": uid}, bool, "true or false")

    def unbindUid(self, client_id, uid=None):
        """Removes whatever uid is bound: GatewayWorker ignores the uid argument too."""
        return self._call("unbindUid", {"client_id": client_id}, bool, "true or false")

    def joinGroup(self, client_id, group):
        return self._call("joinGroup", {"client_id": client_id, "group": group}, bool, "true or false")

    def leaveGroup(self, client_id, group):
        return self._call("leaveGroup", {"client_id": client_id, "group": group}, bool, "true or false")

    def ungroup(self, group):
        """Empties and deletes the group; returns how many members it had."""
        return self._call("ungroup", {"group": group}, int, "a number")

    def closeClient(self, client_id, message=None):
        """Sends message (str, bytes or JSON value) if given, then closes once it is out."""
        p = {"client_id": client_id}
        if message is not None:
            p.update(_message("closeClient", message))
        return self._call("closeClient", p, bool, "true or false")

    def destroyClient(self, client_id):
        """Closes at once, dropping what is still queued."""
        return self._call("destroyClient", {"client_id": client_id}, bool, "true or false")

    destoryClient = destroyClient  # GatewayClient's spelling

    def setSession(self, client_id, session):
        """Replaces the session with the dict session."""
        return self._call("setSession", {"client_id": client_id, "session": session}, bool, "true or false")

    def updateSession(self, client_id, session):
        """Merges the dict session into the session (nested dicts too)."""
        return self._call("updateSession", {"client_id": client_id, "session": session}, bool, "true or false")

    # ---- queries
    def getSession(self, client_id):
        """The session dict ({} if never set), None if the client is offline."""
        return self._call("getSession", {"client_id": client_id}, (dict, type(None)), "a session or null")

    def isOnline(self, client_id):
        return self._call("isOnline", {"client_id": client_id}, bool, "true or false")

    def isUidOnline(self, uid):
        return self._call("isUidOnline", {"uid": uid}, bool, "true or false")

    def isUidsOnline(self, uids):
        """{uid: bool} (uids as str)."""
        return self._call("isUidsOnline", {"uids": _keys("isUidsOnline", "uids", uids)}, dict, "a map")

    def getClientIdByUid(self, uid):
        """[client_id] of the connections bound to uid."""
        return self._call("getClientIdByUid", {"uid": uid}, list, "a list")

    def batchGetClientIdByUid(self, uids):
        """{uid: [client_id]} (uids as str), every uid asked for a key: [] when it has no connection
        (GatewayClient and the PHP client leave such a uid out)."""
        return self._call("batchGetClientIdByUid", {"uids": _keys("batchGetClientIdByUid", "uids", uids)},
                          dict, "a map")

    def getUidByClientId(self, client_id):
        """The bound uid (a str), None if there is none or the client is offline."""
        return self._call("getUidByClientId", {"client_id": client_id}, (str, type(None)), "a uid or null")

    def getAllClientIdCount(self):
        return self._call("getAllClientIdCount", None, int, "a number")

    getAllClientCount = getAllClientIdCount

    def getAllClientIdList(self):
        return self._call("getAllClientIdList", None, list, "a list")

    def getClientIdCountByGroup(self, group=None):
        """Members of the group; with no group (None or ''), all clients."""
        return self._call("getClientIdCountByGroup", _empty_means_all(group), int, "a number")

    getClientCountByGroup = getClientIdCountByGroup

    def batchGetClientIdCountByGroup(self, groups):
        """{group: number of members}."""
        return self._call("batchGetClientIdCountByGroup",
                          {"groups": _keys("batchGetClientIdCountByGroup", "groups", groups)}, dict, "a map")

    def getClientIdListByGroup(self, group):
        """[client_id] of the members of the group (or of several groups)."""
        return self._call("getClientIdListByGroup",
                          _one_or_many("getClientIdListByGroup", "group", "groups", group), list, "a list")

    def getAllClientSessions(self, group=None):
        """{client_id: session} of all clients, or of a group's members."""
        return self._call("getAllClientSessions", _empty_means_all(group), dict, "a map")

    getAllClientInfo = getAllClientSessions

    def getClientSessionsByGroup(self, group):
        """{client_id: session} of the group's members."""
        return self._call("getClientSessionsByGroup", {"group": group}, dict, "a map")

    getClientInfoByGroup = getClientSessionsByGroup

    def getUidListByGroup(self, group):
        """[uid] bound in the group (or in several groups)."""
        return self._call("getUidListByGroup", _one_or_many("getUidListByGroup", "group", "groups", group),
                          list, "a list")

    def getUidCountByGroup(self, group):
        """Distinct uids bound in the group."""
        return self._call("getUidCountByGroup", {"group": group}, int, "a number")

    def getAllUidList(self):
        return self._call("getAllUidList", None, list, "a list")

    def getAllUidCount(self):
        return self._call("getAllUidCount", None, int, "a number")

    def getAllGroupIdList(self):
        return self._call("getAllGroupIdList", None, list, "a list")

    def getAllGroupUidList(self):
        """{group: [uid]}."""
        return self._call("getAllGroupUidList", None, dict, "a map")

    def getAllGroupUidCount(self):
        """{group: number of uids}."""
        return self._call("getAllGroupUidCount", None, dict, "a map")

    def getAllGroupClientIdList(self):
        """{group: [client_id]}."""
        return self._call("getAllGroupClientIdList", None, dict, "a map")

    def getAllGroupClientIdCount(self):
        """{group: number of connections}."""
        return self._call("getAllGroupClientIdCount", None, dict, "a map")

    def batch(self, calls):
        """Several calls in one request: [("sendToUid", {"uid": 1, "message": "x"}), ("getAllUidCount",)].

        Returns one {"result": ...} or {"error": {"code": ..., "message": ...}} per call, in order.
        A bytes "message" is sent as message_base64, as the push methods do.
        """
        body = []
        for i, c in enumerate(calls):
            if isinstance(c, (str, bytes)) or not isinstance(c, (list, tuple)) or not 1 <= len(c) <= 2:
                raise GatewayError("batch: call [%d] must be a (method, params) or (method,) tuple, got %r"
                                   % (i, c), code="invalid_param")
            params = dict(c[1]) if len(c) == 2 and c[1] is not None else {}
            if isinstance(params.get("message"), _BYTES):
                params.update(_message(c[0], params.pop("message")))
            body.append({"method": c[0], "params": params})
        return self._call("batch", body, list, "a list of answers")
