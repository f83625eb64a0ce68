"""Issue 10, swallowed failures: when the store fails, the daemon says so (5xx, `internal_error`,
an error in its log) instead of "signed out" or "unauthorized", stays up, and recovers."""
import time
import urllib.request

import pytest
import socketio

from chat_client import ChatClient
from fitchat_e2e import DB_CHECK_OK, Daemon, free_port
from test_chat import SECRET, jwt
from test_security import PASSWORD, login, request


@pytest.fixture
def fragile(data_dir):
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_TOKEN_SECRET": SECRET, "FITCHAT_TEST_HOOKS": "1"}).start()
    d.cli("user", "add", "ann", "--password-stdin", input=PASSWORD + "\n")
    yield d
    d.stop()


def store_failures(daemon, on):
    status, _, _ = request(daemon, "POST", f"/_test/store-failures?on={1 if on else 0}")
    assert status == 200


def refusal_of(daemon, auth):
    client = ChatClient(daemon.url, auth=auth, transports=["websocket"])
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect()
    client.close()
    return client.refusal()


def test_a_failing_store_is_the_servers_fault_not_the_users(fragile):
    status, _, body = login(fragile, "ann", PASSWORD)
    assert status == 200, body
    import json
    token = json.loads(body)["token"]

    store_failures(fragile, True)
    try:
        # Logout cannot end the session: it must not say it did.
        status, _, body = request(fragile, "POST", "/logout", headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        assert status == 500, body
        assert json.loads(body)["error"]["code"] == "internal_error"
        # CONNECT with a valid session token, and with a host-app token for a new user.
        assert "internal_error" in refusal_of(fragile, {"token": token})
        assert "internal_error" in refusal_of(fragile, {"token": jwt({"sub": "newbie", "exp": int(time.time()) + 600})})
        # Sign-in and the page.
        status, _, body = login(fragile, "ann", PASSWORD)
        assert status == 500 and json.loads(body)["error"]["code"] == "internal_error", body
        status, _, _ = request(fragile, "GET", "/chat", headers={"Cookie": f"fitchat_session={token}"})
        assert status == 500
        status, _, _ = request(fragile, "GET", "/api/me", headers={"Authorization": f"Bearer {token}"})
        assert status == 500
    finally:
        store_failures(fragile, False)

    log = fragile.read_log()
    assert "error" in log and "the store failed" in log, log
    # The daemon is up, the session survived the failed logout, and a real logout now works.
    with urllib.request.urlopen(fragile.url + "/healthz", timeout=5) as r:
        assert r.status == 200
    ann = ChatClient(fragile.url, token=token, transports=["websocket"]).connect()
    ann.close()
    status, _, _ = request(fragile, "POST", "/logout", headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    assert status == 200
    assert "unauthorized" in refusal_of(fragile, {"token": token})
    assert fragile.cli("db", "check").stdout == DB_CHECK_OK


def test_a_sign_in_whose_session_is_not_saved_is_no_sign_in(fragile):
    import json
    import re

    def sign_ins():
        return [line for line in fragile.read_log_all().splitlines()
                if re.search(r"\blogin\b(?! refused| throttled| failed)", line) and "ann" in line]

    # Reads work (the password is checked), the session's write fails.
    status, _, _ = request(fragile, "POST", "/_test/store-failures?on=writes")
    assert status == 200
    try:
        status, _, body = login(fragile, "ann", PASSWORD)
        assert status == 500 and json.loads(body)["error"]["code"] == "internal_error", body
    finally:
        store_failures(fragile, False)
    failures = [line for line in fragile.read_log_all().splitlines()
                if "starting a session for ann failed: the store failed" in line]
    assert len(failures) == 1 and "remote=127.0.0.1" in failures[0], failures
    assert sign_ins() == [], sign_ins()
    status, _, body = login(fragile, "ann", PASSWORD)
    assert status == 200, body
    assert len(sign_ins()) == 1, sign_ins()
