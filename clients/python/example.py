"""Usage: python3 example.py CONTROL_URL CLIENT_ID

Binds a connected client to a uid and a group, then pushes to it: what a backend does after the
browser sends it the client_id it got in SERVER_INIT. Exits non-zero on any surprise.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gateway import Gateway, GatewayError  # noqa: E402


def check(cond, what):
    if not cond:
        sys.stderr.write("FAILED: %s\n" % what)
        sys.exit(1)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    gw = Gateway(sys.argv[1], token=os.environ.get("GATEWAYD_CONTROL_TOKEN", ""))
    cid = sys.argv[2]
    gw.bindUid(cid, "py-user")
    gw.joinGroup(cid, "py-group")
    gw.updateSession(cid, {"lang": "python"})
    check(gw.sendToUid("py-user", {"type": "FROM_PYTHON"}) == 1, "sendToUid reaches one connection")
    check(gw.isUidOnline("py-user") is True, "isUidOnline")
    check(cid in gw.getAllClientIdList(), "getAllClientIdList")
    check(gw.getSession(cid)["lang"] == "python", "getSession")
    check(gw.getUidListByGroup("py-group") == ["py-user"], "getUidListByGroup")
    check(gw.sendToGroup("py-group", "group hello") == 1, "sendToGroup")
    results = gw.batch([("sendToClient", {"client_id": cid, "message": "batched"}), ("noSuchMethod", {})])
    check(results[0]["result"]["delivered"] == 1 and results[1]["error"]["code"] == "unknown_method", "batch")
    try:
        gw.bindUid("not-a-client-id", "x")
        check(False, "a malformed client_id is refused")
    except GatewayError as e:
        check("client_id" in str(e), "the error names the field")
    print("ok")


if __name__ == "__main__":
    main()
