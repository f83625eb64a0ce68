"""Issue 10, security: each defect reproduced the way the audit found it, through real clients."""
import http.client
import json
import os
import socket
import stat
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import socketio

from chat_client import ChatClient
from fitchat_e2e import FITCHAT, Daemon, free_port
from test_chat import SECRET, failed, jwt, ok

PASSWORD = "correct horse battery"


def request(daemon, method, path, body=None, headers=None, source="127.0.0.1", host=None):
    """One HTTP request from a chosen loopback source address; returns (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=60, source_address=(source, 0))
    try:
        all_headers = {"Host": host or f"127.0.0.1:{daemon.port}", **(headers or {})}
        if isinstance(body, dict):
            body = json.dumps(body)
            all_headers.setdefault("Content-Type", "application/json")
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in all_headers.items():
            conn.putheader(name, value)
        encoded = body.encode() if isinstance(body, str) else body
        if encoded is not None:
            conn.putheader("Content-Length", str(len(encoded)))
        conn.endheaders(encoded)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def login(daemon, name, password, source="127.0.0.1"):
    return request(daemon, "POST", "/login", {"username": name, "password": password}, source=source)


@pytest.fixture
def secured(data_dir):
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_TOKEN_SECRET": SECRET, "FITCHAT_OPEN_REGISTRATION": "yes"}).start()
    yield d
    d.stop()


def setup_admin(daemon, name="admin1"):
    status, _, body = request(daemon, "POST", "/setup", {"username": name, "password": PASSWORD})
    assert status == 200, body


# 1. Host-app tokens sign in only what the host app provisioned.

def test_a_host_app_token_cannot_take_over_a_local_account(secured):
    setup_admin(secured)
    secured.cli("user", "add", "ann", "--password-stdin", input=PASSWORD + "\n")
    exp = int(time.time()) + 300
    for name in ("admin1", "ann", "ADMIN1"):
        status, _, _ = request(secured, "GET", "/api/me", headers={"Authorization": "Bearer " + jwt({"sub": name, "exp": exp})})
        assert status == 401, name
        client = ChatClient(secured.url, auth={"token": jwt({"sub": name, "exp": exp})})
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(wait=False)
        assert client.connect_errors == [{"message": "unauthorized"}]
    # Provisioned by a token: signs in again with a token, and is listed as a host-app user.
    status, _, body = request(secured, "GET", "/api/me", headers={"Authorization": "Bearer " + jwt({"sub": "maria", "exp": exp})})
    assert status == 200 and json.loads(body)["user"]["name"] == "maria"
    assert [line for line in secured.cli("user", "list").stdout.splitlines() if " maria " in f" {line} "][0].split()[-2] == "yes"
    # An admin may link a local account explicitly, and unlink it again.
    secured.cli("user", "link-host", "ann")
    status, _, body = request(secured, "GET", "/api/me", headers={"Authorization": "Bearer " + jwt({"sub": "ann", "exp": exp})})
    assert status == 200 and json.loads(body)["user"]["name"] == "ann"
    secured.cli("user", "unlink-host", "ann")
    status, _, _ = request(secured, "GET", "/api/me", headers={"Authorization": "Bearer " + jwt({"sub": "ann", "exp": exp})})
    assert status == 401
    # CLI-issued tokens are session tokens: they sign in any user, including one made by --create.
    bot = ChatClient(secured.url, token=secured.token("bot-1")).connect()  # connect() waits for "status"
    bot.close()


def test_host_app_times_that_are_not_numbers_are_refused(secured):
    for claims in ({"sub": "maria", "exp": int(time.time()) + 300, "nbf": "2000000000"},
                   {"sub": "maria", "exp": int(time.time()) + 300, "nbf": 1e300},
                   {"sub": "maria", "exp": 1e300}):
        status, _, _ = request(secured, "GET", "/api/me", headers={"Authorization": "Bearer " + jwt(claims)})
        assert status == 401, claims


# 2. A removed member leaves the room at once.

def test_remove_member_takes_every_socket_out_of_the_room(secured):
    secured.cli("room", "add", "staff", "--description", "Trainers only", "--private")
    for name in ("ann", "bob"):
        secured.cli("user", "add", name)
        secured.cli("room", "add-member", "staff", name)
    ann1 = ChatClient(secured.url, token=secured.token("ann")).connect()
    ann2 = ChatClient(secured.url, token=secured.token("ann"), transports=["websocket"]).connect()
    bob = ChatClient(secured.url, token=secured.token("bob")).connect()
    try:
        for client in (ann1, ann2, bob):
            ok(client.call("join_room", {"room": "staff"}))
        secured.cli("room", "remove-member", "staff", "ann")
        for client in (ann1, ann2):
            removed = client.wait_for("room_removed")
            assert removed["room"] == "staff" and removed["message"]
        assert bob.wait_for("user_left")["user"]["name"] == "ann"
        sent = ok(bob.call("send_message", {"room": "staff", "message": "trainers only from here"}))["message"]
        bob.wait_for("new_message", lambda m: m["id"] == sent["id"])
        for client in (ann1, ann2):
            # The ack comes after anything the server sent this socket before: a round trip, no sleep.
            failed(client.call("typing_start", {"room": "staff"}), "room_not_found")
            assert not [m for m in client.received("new_message") if m["id"] == sent["id"]]
            failed(client.call("send_message", {"room": "staff", "message": "still here?"}), "room_not_found")
        rooms = ann1.wait_for("rooms_list", lambda d: all(r["name"] != "staff" for r in d["rooms"]))
        assert sorted(r["name"] for r in rooms["rooms"]) == ["general", "nutrition", "progress", "workout-tips"]
    finally:
        for client in (ann1, ann2, bob):
            client.close()


def test_outsiders_cannot_tell_a_private_room_from_a_missing_one(secured):
    secured.cli("room", "add", "staff", "--description", "Trainers only", "--private")
    ann = ChatClient(secured.url, token=secured.token("ann")).connect()
    try:
        for event in ("join_room", "leave_room", "send_message", "typing_start"):
            private = ann.call(event, {"room": "staff", "message": "x"})
            missing = ann.call(event, {"room": "nosuch", "message": "x"})
            failed(private, "room_not_found")
            failed(missing, "room_not_found")
            assert private["error"]["message"].replace("staff", "R") == missing["error"]["message"].replace("nosuch", "R"), event
    finally:
        ann.close()


# 3. Login: timing, lockout by others, registration limits.

def test_unknown_names_take_as_long_as_real_ones(secured):
    secured.cli("user", "add", "ann", "--password-stdin", input=PASSWORD + "\n")
    known, unknown = [], []
    for i in range(3):
        for name, samples in (("ann", known), (f"ghost{i}", unknown)):
            started = time.monotonic()
            status, _, _ = login(secured, name, "wrong password", source=f"127.0.1.{i + 1}")
            samples.append(time.monotonic() - started)
            assert status == 401
    # Generous: the same scrypt work either way (before: ~1 ms against ~400 ms).
    assert statistics.median(unknown) > 0.3 * statistics.median(known), (known, unknown)


def test_others_cannot_lock_an_account_out(secured):
    secured.cli("user", "add", "ann", "--password-stdin", input=PASSWORD + "\n")
    # Guesses from three addresses at once: more failures than the account's own count holds.
    sources = [f"127.0.2.{1 + i % 3}" for i in range(15)]
    with ThreadPoolExecutor(max_workers=15) as pool:
        first = list(pool.map(lambda i: login(secured, "ann", f"guess {i}", source=sources[i])[0], range(15)))
    assert all(status in (401, 429) for status in first), first
    # Each guessing address has spent its tries for this account.
    for source in sorted(set(sources)):
        status, headers, _ = login(secured, "ann", "one more guess", source=source)
        assert status == 429 and int(headers["Retry-After"]) >= 1
    # The owner, from elsewhere, still gets in.
    status, _, body = login(secured, "ann", PASSWORD, source="127.0.3.1")
    assert status == 200, body
    assert json.loads(body)["user"]["name"] == "ann"


def test_registration_is_limited_per_address(secured):
    statuses = []
    for i in range(7):
        status, headers, _ = request(secured, "POST", "/register", {"username": f"new{i}", "password": PASSWORD},
                                     source="127.0.4.1")
        statuses.append(status)
        if status == 429:
            assert int(headers["Retry-After"]) >= 1
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429], statuses
    status, _, _ = request(secured, "POST", "/register", {"username": "other", "password": PASSWORD}, source="127.0.4.2")
    assert status == 200


# 4. Secrets and injection in logs.

def test_no_secret_and_no_forged_line_in_the_log(data_dir):
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_TOKEN_SECRET": SECRET, "FITCHAT_LOG_LEVEL": "debug"}).start()
    try:
        setup_admin(d)
        status, _, body = login(d, "admin1", PASSWORD)
        session = json.loads(body)["token"]
        login(d, "admin1\nFORGED fitchat: login user=root", "hunter2-wrong-password")
        login(d, "x" * 900_000, "hunter2-wrong-password")
        login(d, "ghost\u202eevil", "hunter2-wrong-password")
        invite = d.token("bot-1")
    finally:
        d.stop()
    log = d.read_log_all()
    for secret in (SECRET, PASSWORD, "hunter2-wrong-password", session, invite):
        assert secret not in log
    assert not [line for line in log.splitlines() if line.startswith("FORGED")]
    assert "\u202e" not in log
    assert len(log) < 100_000 and max(len(line) for line in log.splitlines()) < 2000


# 5. Confusable names.

def test_names_are_unique_across_case_and_display_names_cannot_impersonate(secured):
    setup_admin(secured, "admin")
    status, _, _ = request(secured, "POST", "/register", {"username": "alice", "password": PASSWORD}, source="127.0.5.1")
    assert status == 200
    status, _, body = request(secured, "POST", "/register", {"username": "ALICE", "password": PASSWORD}, source="127.0.5.2")
    assert status == 409 and "taken" in json.loads(body)["error"]["message"]
    status, _, body = request(secured, "POST", "/register",
                              {"username": "mallory", "password": PASSWORD, "display_name": "Admin"}, source="127.0.5.3")
    assert status == 409 and "display name" in json.loads(body)["error"]["message"]
    status, _, body = login(secured, "Alice", PASSWORD, source="127.0.5.4")
    assert status == 200 and json.loads(body)["user"]["name"] == "alice"
    assert "already exists" in secured.cli("user", "add", "Admin", expect=1).stderr


def test_display_names_with_control_and_bidi_characters_never_reach_the_cli_table(daemon):
    # Refused at the door now (the table's escaping of older data is unit-tested).
    added = daemon.cli("user", "add", "eve", "--display-name", "evil\u202egnp.exe\nFORGED ROW", expect=1)
    listing = daemon.cli("user", "list").stdout
    assert "\u202e" not in listing and "eve" not in listing
    assert not [line for line in listing.splitlines() if line.startswith("FORGED")]


# 6. DNS rebinding.

def raw(daemon, text):
    with socket.create_connection(("127.0.0.1", daemon.port), timeout=10) as s:
        s.sendall(text.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return data.split(b"\r\n", 1)[0].decode()


def test_a_rebinding_host_is_misdirected(data_dir):
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_SERVER_NAMES": "chat.example-gym.com"}).start()
    try:
        evil = "rebind.evil.example"
        origin = {"Origin": f"http://{evil}:{d.port}"}
        status, _, _ = request(d, "POST", "/setup", {"username": "mallory", "password": PASSWORD}, headers=origin,
                               host=f"{evil}:{d.port}")
        assert status == 421
        assert "mallory" not in d.cli("user", "list").stdout
        for path in ("/", "/login", "/healthz", "/socket.io/?EIO=4&transport=polling"):
            assert request(d, "GET", path, headers=origin, host=f"{evil}:{d.port}")[0] == 421, path
        upgrade = raw(d, f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {evil}:{d.port}\r\n"
                         f"Origin: http://{evil}:{d.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        assert " 421 " in upgrade, upgrade
        for host in (f"127.0.0.1:{d.port}", f"localhost:{d.port}", "chat.example-gym.com", f"[::1]:{d.port}"):
            assert request(d, "GET", "/healthz", host=host)[0] == 200, host
        assert request(d, "GET", "/socket.io/?EIO=4&transport=polling", host="chat.example-gym.com")[0] == 200
    finally:
        d.stop()


# 7. Files.

def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_every_file_fitchat_writes_is_0640_or_stricter(daemon, tmp_path):
    daemon.cli("user", "add", "ann", "--password-stdin", input=PASSWORD + "\n")
    old = os.umask(0o022)  # a common umask: fitchat must not rely on the caller's
    try:
        dest = tmp_path / "backup"
        daemon.cli("backup", str(dest))
        assert mode(dest / "data.mdb") & 0o027 == 0, oct(mode(dest / "data.mdb"))
        for name in ("data.mdb", "lock.mdb", "fitchat.pid"):
            path = os.path.join(daemon.data_dir, name)
            if os.path.exists(path):
                assert mode(path) & 0o027 == 0, (name, oct(mode(path)))
        daemon.stop()
        os.chmod(dest / "data.mdb", 0o644)  # as a copy from elsewhere might be
        daemon.cli("restore", str(dest))
        live = os.path.join(daemon.data_dir, "data.mdb")
        assert mode(live) & 0o027 == 0, oct(mode(live))
    finally:
        os.umask(old)


def test_display_names_cannot_hide_or_reverse_characters(secured):
    """A trial found "co\u200bach" and "\u202ehcaoc" shown as the admin's "coach" on the page."""
    for i, disguised in enumerate(["co\u200bach", "\u202ehcaoc", "a\u0000b", "\u0007bell\u001b[31m", "x\n\nline"]):
        status, _, body = request(secured, "POST", "/register",
                                  {"username": f"trick{i}", "password": PASSWORD, "display_name": disguised})
        assert status == 400, (disguised, body)
        assert b"invisible" in body, body
    # A host app's name is cleaned rather than refused.
    exp = int(time.time()) + 600
    status, _, body = request(secured, "GET", "/api/me",
                              headers={"Authorization": "Bearer " + jwt({"sub": "hostie", "exp": exp, "name": "co\u200bach\u202e"})})
    assert status == 200, body
    assert json.loads(body)["user"]["display_name"] == "coach"
    added = secured.cli("user", "add", "cliuser", "--display-name", "\u202eevil", expect=1)
    assert "invisible" in added.stderr
