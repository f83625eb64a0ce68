"""Guarantees the README makes that a planted bug once broke without any test noticing (issue 11):
each test observes the behaviour from outside — through the real client, the bytes on disk, the
exit status of the CLI, the system calls the daemon makes — not today's code."""
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import time

import pytest
import socketio

from chat_client import ChatClient
from fitchat_e2e import AS_SERVICE_USER, DB_CHECK_OK, FITCHAT, Daemon, free_port
from lmdb_raw import delete_first
from test_chat import SECRET, failed, jwt, ok
from test_security import PASSWORD, login, setup_admin

STRACE = "/usr/bin/strace"


@pytest.fixture
def hosted(data_dir):
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_TOKEN_SECRET": SECRET}).start()
    yield d
    d.stop()


def room_names(payload):
    return sorted(r["name"] for r in payload["rooms"])


# 1. A private room is listed to its members only.

def test_private_rooms_are_listed_only_to_their_members(hosted):
    hosted.cli("room", "add", "staff", "--description", "Trainers only", "--private")
    hosted.cli("user", "add", "coach")
    hosted.cli("user", "add", "ann")
    hosted.cli("room", "add-member", "staff", "coach")
    public = ["general", "nutrition", "progress", "workout-tips"]
    coach = ChatClient(hosted.url, token=hosted.token("coach", create=False)).connect()
    ann = ChatClient(hosted.url, token=hosted.token("ann", create=False)).connect()
    try:
        # The list pushed after `status`, and the one `get_rooms` answers and emits.
        assert room_names(ann.wait_for("rooms_list")) == public
        assert room_names(coach.wait_for("rooms_list")) == sorted(public + ["staff"])
        assert room_names(ok(ann.call("get_rooms"))) == public
        assert room_names(ann.wait_for("rooms_list")) == public
        listed = ok(coach.call("get_rooms"))
        assert room_names(listed) == sorted(public + ["staff"])
        staff = next(r for r in listed["rooms"] if r["name"] == "staff")
        assert staff["is_private"] is True and staff["description"] == "Trainers only"
        # A new private room (a rooms_list push to everyone) stays hidden from outsiders too.
        hosted.cli("room", "add", "owners", "--description", "Owners", "--private")
        pushed = ann.wait_for("rooms_list")
        assert room_names(pushed) == public
        failed(ann.call("join_room", {"room": "staff"}), "room_not_found")
    finally:
        coach.close()
        ann.close()


# 2. A host-app token whose signature is empty (`header.payload.`) signs nobody in.

@pytest.mark.parametrize("signature", ["", "A", "AAAA"])
def test_a_host_app_token_without_a_real_signature_is_refused(hosted, signature):
    valid = jwt({"sub": "maria", "exp": int(time.time()) + 300})
    header, payload, _ = valid.split(".")
    client = ChatClient(hosted.url, auth={"token": f"{header}.{payload}.{signature}"}, transports=["websocket"])
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(wait=False)
    assert client.connect_errors == [{"message": "unauthorized"}]
    # The same claims, signed, do sign in: the refusal was the signature's.
    signed = ChatClient(hosted.url, auth={"token": valid}, transports=["websocket"]).connect()
    signed.close()
    assert "maria" in hosted.cli("user", "list").stdout


# 3. Only the SHA-256 of a session token is stored.

def test_session_tokens_are_stored_only_as_their_sha256(data_dir):
    d = Daemon(data_dir, free_port()).start()
    try:
        setup_admin(d, "coach")
        status, _, body = login(d, "coach", PASSWORD)
        assert status == 200, body
        token = json.loads(body)["token"]
        issued = d.token("bot-1")
    finally:
        assert d.stop() == 0
    tokens = [token, issued]
    with open(os.path.join(data_dir, "data.mdb"), "rb") as f:
        stored = f.read()
    for t in tokens:
        raw = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
        assert t.encode() not in stored, "a session token is stored as it was handed out"
        assert raw not in stored, "a session token's random bytes are stored unhashed"
        assert hashlib.sha256(t.encode()).digest() in stored, "the session is not keyed by the token's SHA-256"
    # Three sessions (/setup signs the admin in, then the login, then the CLI's), each keyed by
    # 32 bytes: the SHA-256 of what was handed out.
    dump = subprocess.run(["mdb_dump", "-s", "sessions", data_dir], capture_output=True, text=True, check=True).stdout
    records = dump.split("HEADER=END\n", 1)[1].split("DATA=END")[0].splitlines()
    keys = sorted(line.strip() for line in records[0::2])
    assert len(keys) == 3 and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys), dump
    assert {hashlib.sha256(t.encode()).hexdigest() for t in tokens} <= set(keys), dump


# 5. `fitchat db check` finds a message missing from the room_time index.

def test_db_check_reports_a_message_missing_from_room_time(data_dir):
    d = Daemon(data_dir, free_port()).start()
    try:
        bob = ChatClient(d.url, token=d.token("bob"), transports=["websocket"]).connect()
        ok(bob.call("join_room", {"room": "general"}))
        sent = ok(bob.call("send_message", {"room": "general", "message": "leg day"}))["message"]
        bob.close()
    finally:
        assert d.stop() == 0
    assert d.cli("db", "check").stdout == DB_CHECK_OK
    key = delete_first(data_dir, "room_time")
    # The key is room (8 bytes) · created_at (8) · message id (8), big-endian.
    missing = int.from_bytes(key[16:24], "big")
    assert missing in (sent["id"], sent["id"] - 1)  # the join message or the text, whichever sorts first
    result = d.cli("db", "check", expect=1)
    assert result.stdout == ""
    assert result.stderr == f"fitchat: inconsistent: message {missing} is missing from room_time\n", result.stderr


# 6. An acknowledged message is on disk: LMDB synced the data file before the ack went out.

def parse_strace(path):
    """(time, syscall, fd, path, text) for each call that names a file descriptor, from `strace -f -ttt -y`."""
    calls = []
    pattern = re.compile(r"^\d+\s+(\d+\.\d+)\s+(\w+)\((\d+)<([^>]*)>(.*)$")
    with open(path) as f:
        for line in f:
            m = pattern.match(line)
            if m:
                calls.append((float(m.group(1)), m.group(2), int(m.group(3)), m.group(4), m.group(5)))
    return calls


def test_an_acknowledged_message_was_synced_to_disk_before_the_ack(data_dir):
    if not os.path.exists(STRACE):
        pytest.fail("strace is required (Debian package strace)")
    d = Daemon(data_dir, free_port())
    bob_token = d.token("bob")
    trace = os.path.join(data_dir, "strace.log")
    d.start(prefix=[STRACE, "-f", "-ttt", "-y", "-qq", "-o", trace, "-e",
                    "trace=openat,pwrite64,pwritev,pwritev2,write,writev,fsync,fdatasync,msync,sync_file_range"])
    try:
        bob = ChatClient(d.url, token=bob_token, transports=["websocket"]).connect()
        ok(bob.call("join_room", {"room": "general"}))
        before = time.time()
        ok(bob.call("send_message", {"room": "general", "message": "is this on disk?"}, timeout=30))
        acked = time.time()
        bob.close()
    finally:
        assert d.stop() == 0
    data_file = os.path.realpath(os.path.join(data_dir, "data.mdb"))
    # The data file's descriptors opened O_DSYNC/O_SYNC write through to disk (LMDB's meta page fd).
    syncing_fds = set()
    with open(trace) as f:
        for line in f:
            m = re.search(r'openat\(AT_FDCWD(?:<[^>]*>)?, "([^"]+)", ([A-Z_|]+)[^)]*\) = (\d+)', line)
            if m and os.path.realpath(m.group(1)) == data_file and re.search(r"\bO_(D)?SYNC\b", m.group(2)):
                syncing_fds.add(int(m.group(3)))
    calls = [c for c in parse_strace(trace) if before <= c[0] <= acked]
    on_file = [c for c in calls if os.path.realpath(c[3]) == data_file]
    writes = [c for c in on_file if c[1].startswith(("pwrite", "write"))]
    # fsync/fdatasync of the data file, or (were the map written in place) a synchronous msync.
    syncs = [c for c in on_file if c[1] in ("fsync", "fdatasync", "sync_file_range")]
    syncs += [c for c in calls if c[1] == "msync" and "MS_SYNC" in c[4]]
    assert syncs, f"nothing synced {data_file} between send_message and its ack: {calls}"
    for t, name, fd, _, _ in writes:
        if fd in syncing_fds:
            continue
        assert any(s[0] >= t for s in syncs), (
            f"{name} on fd {fd} at {t} was not synced before the ack at {acked}; "
            f"fds opened O_DSYNC: {syncing_fds}; calls on the file: {on_file}")


# Access control: an archived room is gone for everyone, members included.

def test_an_archived_room_can_be_neither_joined_nor_written(hosted):
    hosted.cli("room", "add", "old-room", "--description", "gone soon")
    ann = ChatClient(hosted.url, token=hosted.token("ann"), transports=["websocket"]).connect()
    try:
        ok(ann.call("join_room", {"room": "old-room"}))
        hosted.cli("room", "archive", "old-room")
        pushed = ann.wait_for("rooms_list", lambda d: all(r["name"] != "old-room" for r in d["rooms"]))
        assert room_names(pushed) == ["general", "nutrition", "progress", "workout-tips"]
        failed(ann.call("send_message", {"room": "old-room", "message": "anyone?"}), "room_not_found")
        failed(ann.call("join_room", {"room": "old-room"}), "room_not_found")
        failed(ann.call("typing_start", {"room": "old-room"}), "room_not_found")
    finally:
        ann.close()


# Disabling a user takes them off the chat at once: host-app users too (they have no session to revoke).

def test_disabling_a_host_app_user_disconnects_them(hosted):
    token = jwt({"sub": "maria", "exp": int(time.time()) + 300})
    maria = ChatClient(hosted.url, auth={"token": token}, transports=["websocket"]).connect()
    try:
        hosted.cli("user", "disable", "maria")
        maria.wait_disconnected()
        again = ChatClient(hosted.url, auth={"token": token}, transports=["websocket"])
        with pytest.raises(socketio.exceptions.ConnectionError):
            again.connect(wait=False)
        assert again.connect_errors == [{"message": "unauthorized"}]
    finally:
        maria.close()
