"""gatewayd client for Python: GatewayWorker's GatewayClient API over gatewayd's HTTP control port.

Standard library only. Method names are GatewayClient's, so code ported from PHP reads the same:

    from gateway import Gateway
    gw = Gateway("http://127.0.0.1:8283", token=os.environ.get("GATEWAYD_CONTROL_TOKEN", ""))
    gw.bindUid(client_id, "42")
    gw.sendToUid("42", {"type": "PORTAL_BIND"})

Errors (gateway down, bad arguments, parameters that cannot be sent as JSON, an answer that is not
the gateway's, e.g. from a wrong URL or a proxy) raise GatewayError with the gateway's message or
one naming the problem.
"""
import http.client
import json
import urllib.error
import urllib.request


class GatewayError(RuntimeError):
    pass


def _excerpt(raw, limit=80):
    """The start of an answer body, on one line, for error messages."""
    text = " ".join(raw[:limit * 4].decode("utf-8", "replace").split())
    if not text:
        return "an empty body"
    return '"%s"' % (text[:limit] + "..." if len(text) > limit or len(raw) > limit * 4 else text)


class Gateway:
    def __init__(self, api_url="http://127.0.0.1:8283", token="", timeout=5.0):
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, method, params=None):
        """POST one control API call; returns its "result". Anything else raises GatewayError."""
        url = self.api_url + "/api/" + method
        try:
            body = json.dumps({} if params is None else params, allow_nan=False).encode()
        except (TypeError, ValueError) as e:  # bytes, sets, NaN, circular references, ...
            hint = " (send binary data with sendBinaryToClient or as message_base64)" if "bytes" in str(e) else ""
            raise GatewayError("%s: the parameters cannot be sent as JSON: %s%s" % (method, e, hint)) from None
        if not url.lower().startswith(("http://", "https://")):
            raise GatewayError("%r is not a control URL; it looks like http://127.0.0.1:8283" % self.api_url)
        try:
            req = urllib.request.Request(url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        except ValueError as e:  # http://[::1
            raise GatewayError("%r is not a control URL: %s" % (self.api_url, e)) from None
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        try:
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as res:
                    status, raw = res.status, res.read()
            except urllib.error.HTTPError as e:
                status, raw = e.code, e.read()
        except (urllib.error.URLError, OSError, http.client.HTTPException) as e:
            # refused, timed out, reset, or an answer that is not HTTP (HTTPException: BadStatusLine, ...)
            raise GatewayError("gatewayd at %s did not answer: %s" % (self.api_url, e)) from None
        except ValueError as e:  # a port that is no number, a token that is not ASCII, ...
            raise GatewayError("%s: the request to %s cannot be sent: %s" % (method, url, e)) from None
        try:
            answer = json.loads(raw.decode("utf-8"))
        except ValueError:  # not UTF-8 or not JSON
            raise GatewayError("%s answered %d but not with JSON (%s); is this the gateway's control URL?"
                               % (url, status, _excerpt(raw))) from None
        error = answer.get("error") if isinstance(answer, dict) else None
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            raise GatewayError("%s: %s" % (method, error["message"]))
        if not isinstance(answer, dict) or "result" not in answer:
            raise GatewayError('%s answered %d with JSON that is no gatewayd answer ({"result": ...} or'
                               ' {"error": {...}}) (%s); is this the gateway\'s control URL?'
                               % (url, status, _excerpt(raw)))
        return answer["result"]

    def _delivered(self, method, params):
        """The "delivered" count of a push's result."""
        result = self.call(method, params)
        if not isinstance(result, dict) or not isinstance(result.get("delivered"), int):
            raise GatewayError('%s/api/%s answered a result without a "delivered" count (%s); is this the'
                               ' gateway\'s control URL?'
                               % (self.api_url, method, _excerpt(json.dumps(result).encode())))
        return result["delivered"]

    # ---- pushes: each returns how many connections the message was queued to
    def sendToAll(self, message, client_ids=None, exclude_client_ids=None):
        p = {"message": message}
        if client_ids is not None:
            p["client_ids"] = list(client_ids)
        if exclude_client_ids is not None:
            p["exclude_client_ids"] = list(exclude_client_ids)
        return self._delivered("sendToAll", p)

    def sendToClient(self, client_id, message):
        return self._delivered("sendToClient", {"client_id": client_id, "message": message}) > 0

    def sendToUid(self, uid, message):
        key = "uids" if isinstance(uid, (list, tuple, set)) else "uid"
        return self._delivered("sendToUid", {key: list(uid) if key == "uids" else uid, "message": message})

    def sendToGroup(self, group, message, exclude_client_ids=None):
        key = "groups" if isinstance(group, (list, tuple, set)) else "group"
        p = {key: list(group) if key == "groups" else group, "message": message}
        if exclude_client_ids is not None:
            p["exclude_client_ids"] = list(exclude_client_ids)
        return self._delivered("sendToGroup", p)

    def sendBinaryToClient(self, client_id, data):
        import base64
        return self._delivered("sendToClient", {"client_id": client_id,
                                          "message_base64": base64.b64encode(data).decode()}) > 0

    # ---- one client (False when it is offline)
    def bindUid(self, client_id, uid):
        return self.call("bindUid", {"client_id": client_id, "uid": uid})

    def unbindUid(self, client_id, uid=None):
        return self.call("unbindUid", {"client_id": client_id})

    def joinGroup(self, client_id, group):
        return self.call("joinGroup", {"client_id": client_id, "group": group})

    def leaveGroup(self, client_id, group):
        return self.call("leaveGroup", {"client_id": client_id, "group": group})

    def ungroup(self, group):
        return self.call("ungroup", {"group": group})

    def closeClient(self, client_id, message=None):
        p = {"client_id": client_id}
        if message is not None:
            p["message"] = message
        return self.call("closeClient", p)

    def destroyClient(self, client_id):
        return self.call("destroyClient", {"client_id": client_id})

    def setSession(self, client_id, session):
        return self.call("setSession", {"client_id": client_id, "session": session})

    def updateSession(self, client_id, session):
        return self.call("updateSession", {"client_id": client_id, "session": session})

    def getSession(self, client_id):
        return self.call("getSession", {"client_id": client_id})

    # ---- queries
    def isOnline(self, client_id):
        return self.call("isOnline", {"client_id": client_id})

    def isUidOnline(self, uid):
        return self.call("isUidOnline", {"uid": uid})

    def isUidsOnline(self, uids):
        return self.call("isUidsOnline", {"uids": list(uids)})

    def getClientIdByUid(self, uid):
        return self.call("getClientIdByUid", {"uid": uid})

    def batchGetClientIdByUid(self, uids):
        return self.call("batchGetClientIdByUid", {"uids": list(uids)})

    def getUidByClientId(self, client_id):
        return self.call("getUidByClientId", {"client_id": client_id})

    def getAllClientIdCount(self):
        return self.call("getAllClientIdCount")

    def getAllClientIdList(self):
        return self.call("getAllClientIdList")

    def getClientIdCountByGroup(self, group=None):
        return self.call("getClientIdCountByGroup", {} if group is None else {"group": group})

    def batchGetClientIdCountByGroup(self, groups):
        return self.call("batchGetClientIdCountByGroup", {"groups": list(groups)})

    def getClientIdListByGroup(self, group):
        return self.call("getClientIdListByGroup", {"group": group})

    def getAllClientSessions(self, group=None):
        return self.call("getAllClientSessions", {} if group is None else {"group": group})

    def getClientSessionsByGroup(self, group):
        return self.call("getClientSessionsByGroup", {"group": group})

    def getUidListByGroup(self, group):
        return self.call("getUidListByGroup", {"group": group})

    def getUidCountByGroup(self, group):
        return self.call("getUidCountByGroup", {"group": group})

    def getAllUidList(self):
        return self.call("getAllUidList")

    def getAllUidCount(self):
        return self.call("getAllUidCount")

    def getAllGroupIdList(self):
        return self.call("getAllGroupIdList")

    def getAllGroupUidList(self):
        return self.call("getAllGroupUidList")

    def getAllGroupUidCount(self):
        return self.call("getAllGroupUidCount")

    def getAllGroupClientIdList(self):
        return self.call("getAllGroupClientIdList")

    def getAllGroupClientIdCount(self):
        return self.call("getAllGroupClientIdCount")

    def batch(self, calls):
        """Several calls in one request: [("sendToUid", {"uid": 1, "message": "x"}), ...]."""
        return self.call("batch", [{"method": m, "params": p} for m, p in calls])
