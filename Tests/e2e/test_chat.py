"""The chat's event contract through the real python-socketio client, in both transports (issue 4)."""
import base64
import hashlib
import hmac
import json
import time

import pytest
import socketio

from chat_client import ChatClient, connect_when_admitted
from fitchat_e2e import Daemon, failed, free_port, ok

TRANSPORTS = {"default": None, "websocket": ["websocket"]}
SECRET = "s" * 40


def jwt(payload, secret=SECRET, alg="HS256"):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64(json.dumps(payload).encode())
    signing_input = f"{header}.{body}".encode()
    signature = b64(hmac.new(secret.encode(), signing_input, hashlib.sha256).digest()) if alg == "HS256" else ""
    return f"{header}.{body}.{signature}"


@pytest.fixture(params=list(TRANSPORTS))
def transport(request):
    return TRANSPORTS[request.param]


@pytest.fixture
def chat(data_dir):
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_TOKEN_SECRET": SECRET}).start()
    clients = []

    def connect(user, transports=None, **kwargs):
        client = ChatClient(d.url, token=d.token(user), transports=transports, **kwargs).connect()
        clients.append(client)
        return client

    d.connect = connect
    yield d
    for c in clients:
        c.close()
    d.stop()




def test_connect_needs_a_valid_token(chat, transport):
    for auth in (None, {"token": "not-a-token"}, {"token": jwt({"sub": "ann"})},
                 {"token": jwt({"sub": "ann", "exp": int(time.time()) - 10})},
                 {"token": jwt({"sub": "ann", "exp": int(time.time()) + 60}, alg="none")},
                 {"token": jwt({"sub": "ann", "exp": int(time.time()) + 60}, secret="x" * 40)}):
        client = ChatClient(chat.url, transports=transport, auth=auth)
        with pytest.raises(socketio.exceptions.ConnectionError) as refused:
            client.connect(wait=False)
        assert "unauthorized" in client.refusal(), (auth, str(refused.value))


def test_host_app_token_provisions_the_user(chat, transport):
    token = jwt({"sub": "maria", "name": "Maria K", "exp": int(time.time()) + 300})
    client = ChatClient(chat.url, transports=transport, auth={"token": token}).connect(wait=False)
    status = client.wait_for("status")
    assert status["connected"] is True
    assert status["user"]["name"] == "maria" and status["user"]["display_name"] == "Maria K"
    client.close()
    assert "maria" in chat.cli("user", "list").stdout


def test_rooms_join_send_and_fan_out(chat, transport):
    ann = chat.connect("ann", transport)
    bob = chat.connect("bob", transport)
    ok(ann.call("get_rooms"))
    rooms = ann.wait_for("rooms_list")["rooms"]
    assert {r["name"] for r in rooms} >= {"general", "workout-tips", "nutrition", "progress"}
    assert all({"name", "description", "is_private", "online", "participants"} <= set(r) for r in rooms)

    ok(ann.call("join_room", {"room": "general"}))
    joined = ann.wait_for("room_joined")
    assert joined["room"]["name"] == "general" and isinstance(joined["messages"], list)
    assert "has_more" in joined and isinstance(joined["participants"], list)
    ok(bob.call("join_room", {"room": "general"}))
    notice = ann.wait_for("user_joined")
    assert notice["room"] == "general" and notice["user"]["name"] == "bob"

    text = "<b>deadlift</b> & squats \u2014 5x5"
    ack = ok(ann.call("send_message", {"room": "general", "message": text}))
    message = ack["message"]
    assert message["message"] == text  # stored and sent exactly as typed
    assert message["user"]["name"] == "ann" and message["message_type"] == "text"
    assert message["created_at"].endswith("Z") and "." in message["created_at"]
    for client in (ann, bob):
        got = client.wait_for("new_message", lambda m: m["id"] == message["id"])
        assert got == message


def test_validation_errors(chat, transport):
    ann = chat.connect("ann", transport)
    failed(ann.call("send_message", {"room": "general", "message": "hi"}), "not_joined")
    failed(ann.call("join_room", {"room": "no-such-room"}), "room_not_found")
    ok(ann.call("join_room", {"room": "general"}))
    failed(ann.call("send_message", {"room": "general", "message": "   \n "}), "invalid_message")
    failed(ann.call("send_message", {"room": "general", "message": "bell\u0007"}), "invalid_message")
    failed(ann.call("send_message", {"room": "general", "message": "x" * 2001}), "message_too_long")
    ok(ann.call("send_message", {"room": "general", "message": "x" * 2000}))
    failed(ann.call("send_message", {"room": "general"}), "invalid_message")
    chat.cli("room", "add", "staff", "--description", "Trainers only", "--private")
    failed(ann.call("join_room", {"room": "staff"}), "room_not_found")  # private looks missing
    chat.cli("room", "add-member", "staff", "ann")
    ok(ann.call("join_room", {"room": "staff"}))


def test_errors_without_ack_come_as_error_events(chat, transport):
    ann = chat.connect("ann", transport)
    ann.emit("join_room", {"room": "no-such-room"})
    error = ann.wait_for("error")
    assert error["code"] == "room_not_found" and error["message"]


def test_history_pagination_and_restart(chat, transport):
    ann = chat.connect("ann", transport)
    ok(ann.call("join_room", {"room": "progress"}))
    sent = [ok(ann.call("send_message", {"room": "progress", "message": f"set {i}"}))["message"]["id"]
            for i in range(12)]
    ann.close()
    chat.stop()
    chat.start()
    again = chat.connect("ann", transport)
    ok(again.call("join_room", {"room": "progress"}))
    joined = again.wait_for("room_joined")
    ids = [m["id"] for m in joined["messages"] if m["message_type"] == "text"]
    assert ids == sent  # oldest first, nothing lost across the restart


def test_typing_reaches_others_and_expires(chat, transport):
    ann = chat.connect("ann", transport)
    bob = chat.connect("bob", transport)
    for c in (ann, bob):
        ok(c.call("join_room", {"room": "nutrition"}))
    ok(ann.call("typing_start", {"room": "nutrition"}))
    started = bob.wait_for("user_typing", lambda d: d["typing"] is True)
    assert started["user"]["name"] == "ann" and started["room"] == "nutrition"
    t0 = time.monotonic()
    stopped = bob.wait_for("user_typing", lambda d: d["typing"] is False, timeout=15)
    assert stopped["user"]["name"] == "ann"
    assert time.monotonic() - t0 >= 3  # expired by itself, about 5 s after the start
    assert not [d for d in ann.received("user_typing") if d["user"]["name"] == "ann"]


def test_presence_on_last_disconnect(chat, transport):
    ann = chat.connect("ann", transport)
    bob = chat.connect("bob", transport)
    for c in (ann, bob):
        ok(c.call("join_room", {"room": "general"}))
    bob.close()
    gone = ann.wait_for("presence", lambda d: d["user"]["name"] == "bob")
    assert gone["online"] is False and set(gone) == {"user", "online"}, gone


def test_a_burst_is_rate_limited_while_others_are_served(chat, transport):
    ann = chat.connect("ann", transport)
    bob = chat.connect("bob", transport)
    for c in (ann, bob):
        ok(c.call("join_room", {"room": "general"}))
    results = [ann.call("send_message", {"room": "general", "message": f"spam {i}"}) for i in range(500)]
    limited = [r for r in results if r.get("ok") is False]
    assert len(limited) >= 400
    assert all(r["error"]["code"] == "rate_limited" for r in limited)
    ok(bob.call("send_message", {"room": "general", "message": "still here"}))


def test_admin_changes_reach_the_running_daemon(chat, transport):
    ann = chat.connect("ann", transport)
    chat.cli("room", "add", "yoga", "--description", "Stretch and breathe")
    ok(ann.call("get_rooms"))
    rooms = ann.wait_for("rooms_list", lambda d: any(r["name"] == "yoga" for r in d["rooms"]))
    yoga = next(r for r in rooms["rooms"] if r["name"] == "yoga")
    assert yoga == {"name": "yoga", "description": "Stretch and breathe", "is_private": False, "kind": "public", "online": 0,
                    "participants": 0, "joined": False, "last_id": None, "last_read": None, "unread": 0,
                    "unread_capped": False, "mentions": 0, "muted_until": None, "banned": False,
                    "ban_reason": None, "moderates": False}, yoga
    chat.cli("user", "disable", "ann")
    ann.wait_disconnected()
    assert not ann.sio.connected


def test_cookie_works_but_not_from_a_foreign_origin(chat, transport):
    token = chat.token("ann")
    cookie = {"Cookie": f"fitchat_session={token}"}
    own = ChatClient(chat.url, transports=transport, headers=cookie).connect()
    own.close()
    evil = ChatClient(chat.url, transports=transport, headers={**cookie, "Origin": "http://evil.example"})
    with pytest.raises(socketio.exceptions.ConnectionError):
        evil.connect(wait=False)


def test_leave_room_gives_up_membership(chat, transport):
    ann = chat.connect("ann", transport)
    bob = chat.connect("bob", transport)
    for c in (ann, bob):
        ok(c.call("join_room", {"room": "workout-tips"}))
    ok(bob.call("leave_room", {"room": "workout-tips"}))
    left = ann.wait_for("user_left")
    assert left == {"room": "workout-tips", "user": left["user"]} and left["user"]["name"] == "bob"
    notice = ann.wait_for("new_message", lambda m: m["message_type"] == "leave")
    assert notice["user"]["name"] == "bob"
    failed(bob.call("send_message", {"room": "workout-tips", "message": "hi"}), "not_joined")
    failed(bob.call("leave_room", {"room": "workout-tips"}), "not_joined")
    failed(bob.call("typing_start", {"room": "workout-tips"}), "not_joined")
    # History shows the join and leave notices as stored messages.
    history = ok(ann.call("join_room", {"room": "workout-tips"}))["messages"]
    assert [m["message_type"] for m in history if m["user"]["name"] == "bob"] == ["join", "leave"]


def test_room_joined_reports_participants_online_and_more_history(data_dir, transport):
    # The message limit is off here (rate 0), so 55 messages go through at once.
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_MESSAGE_RATE": "0"}).start()
    try:
        check_history_page(d, transport)
    finally:
        d.stop()


def check_history_page(chat, transport):
    ann = ChatClient(chat.url, token=chat.token("ann"), transports=transport).connect()
    ok(ann.call("join_room", {"room": "general"}))
    for i in range(55):
        ok(ann.call("send_message", {"room": "general", "message": f"rep {i}"}))
    bob = ChatClient(chat.url, token=chat.token("bob"), transports=transport).connect()
    joined = ok(bob.call("join_room", {"room": "general"}))
    assert len(joined["messages"]) == 50 and joined["has_more"] is True
    texts = [m["message"] for m in joined["messages"] if m["message_type"] == "text"]
    assert texts[-1] == "rep 54" and texts == sorted(texts, key=lambda t: int(t.split()[1]))
    people = {p["user"]["name"]: p for p in joined["participants"]}
    assert people["ann"]["online"] is True and people["ann"]["last_active"].endswith("Z")
    ann.close()
    presence = bob.wait_for("presence", lambda d: d["user"]["name"] == "ann")
    assert presence["online"] is False
    bob.close()


def test_bad_payloads_get_clear_errors_and_the_daemon_lives_on(chat, transport):
    ann = chat.connect("ann", transport)
    for event, payload in (("join_room", None), ("join_room", "general"), ("join_room", {"room": 5}),
                           ("send_message", [1, 2]), ("typing_start", {}), ("no_such_event", {})):
        ack = ann.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] and ack["error"]["message"], (event, payload, ack)
    ok(ann.call("join_room", {"room": "general"}))
    ok(ann.call("send_message", {"room": "general", "message": "still fine"}))


def test_login_logout_and_cookie_sessions(chat, transport):
    import urllib.error
    import urllib.parse
    import urllib.request
    chat.cli("user", "add", "coach", "--password-stdin", input="correct horse battery\n")

    def post(path, fields, headers=None):
        request = urllib.request.Request(chat.url + path, data=json.dumps(fields).encode(), method="POST",
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read() or b"{}")

    status, _, body = post("/login", {"username": "coach", "password": "wrong password"})
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, headers, body = post("/login", {"username": "coach", "password": "correct horse battery"})
    assert status == 200 and body["ok"] is True and body["user"]["name"] == "coach"
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    client = ChatClient(chat.url, transports=transport, headers={"Cookie": f"fitchat_session={token}"}).connect()
    assert client.wait_for("rooms_list")
    status, _, body = post("/logout", {}, headers={"Cookie": f"fitchat_session={token}"})
    assert status == 200 and body["ok"] is True
    client.wait_disconnected()  # logout must close the session's sockets
    again = ChatClient(chat.url, transports=transport, headers={"Cookie": f"fitchat_session={token}"})
    with pytest.raises(socketio.exceptions.ConnectionError):
        again.connect(wait=False)
    assert again.connect_errors == [{"message": "unauthorized"}]
    # Registration is off by default; setup is over once a user exists.
    assert post("/register", {"username": "newbie", "password": "12345678"})[0] == 403
    assert post("/setup", {"username": "root", "password": "12345678"})[0] == 403


def test_logins_are_throttled_per_account_and_address(chat, transport):
    import urllib.error
    import urllib.request
    codes = []
    for _ in range(7):
        request = urllib.request.Request(chat.url + "/login", data=b'{"username":"ghost","password":"nope nope"}',
                                         method="POST", headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(request, timeout=30)
        except urllib.error.HTTPError as error:
            codes.append((error.code, error.headers.get("Retry-After")))
    # Five failures per account and address, then 429 with Retry-After (issue 10: see test_security).
    assert [code for code, _ in codes[:5]] == [401] * 5 and codes[5][0] == 429 and int(codes[5][1]) >= 1, codes


def test_first_run_setup_creates_the_admin(data_dir):
    import urllib.request
    d = Daemon(data_dir, free_port()).start()
    try:
        request = urllib.request.Request(d.url + "/setup", method="POST",
                                         data=b"username=owner&password=gym-owner-pw&display_name=The+Owner",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(request, timeout=10)
            raise AssertionError("expected a redirect")
        except urllib.error.HTTPError as redirect:
            assert redirect.code == 303 and redirect.headers["Location"] == "/chat"
            assert "fitchat_session=" in redirect.headers["Set-Cookie"]
        users = d.cli("user", "list").stdout
        assert "owner" in users and "admin" in users
    finally:
        d.stop()


import urllib.error  # noqa: E402
import urllib.request  # noqa: E402


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_open_registration_by_configuration(data_dir):
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_OPEN_REGISTRATION": "yes"}).start()
    try:
        request = urllib.request.Request(d.url + "/register", method="POST",
                                         data=b'{"username":"newbie","password":"long enough"}',
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read())
        assert body["ok"] is True and body["user"]["name"] == "newbie"
        client = ChatClient(d.url, token=body["token"]).connect()
        client.close()
    finally:
        d.stop()


def test_a_short_token_secret_stops_serve(data_dir):
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_TOKEN_SECRET": "too-short"})
    with pytest.raises(RuntimeError) as stopped:
        d.start(timeout=20)
    assert "token_secret must be at least 32 bytes" in str(stopped.value)


def test_connections_per_address_are_limited(data_dir):
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_MAX_CONNECTIONS_PER_IP": "2"}).start()
    clients = []
    try:
        token = d.token("ann")
        for _ in range(2):
            clients.append(ChatClient(d.url, token=token, transports=["websocket"]).connect())
        third = ChatClient(d.url, token=token, transports=["websocket"])
        with pytest.raises(socketio.exceptions.ConnectionError) as refused:
            third.connect(wait=False)
        assert "rate_limited" in third.refusal()
        assert third.connect_errors == [{"message": "rate_limited"}]
        clients.pop().close()
        # The slot comes back once the server has seen the disconnect (not after a guessed sleep).
        clients.append(connect_when_admitted(d.url, token))
    finally:
        for c in clients:
            c.close()
        d.stop()
