"""Issue 14 through the real python-socketio client, in both transports: editing, deleting
(tombstones, in history, exports and the raw store), reactions, direct messages (including two
users opening the same conversation at once) and `fitchat notice`."""
import json
import os
import shutil
import struct
import threading
import urllib.error
import urllib.request

import pytest

from chat_client import ChatClient
from fitchat_e2e import DB_CHECK_OK, Daemon, failed, free_port, give_to_service_user, ok
from lmdb_raw import entries

TRANSPORTS = {"polling": ["polling"], "websocket": ["websocket"]}
# A store fitchat wrote at schema 4, before issue 14 (see its README).
SCHEMA_4_STORE = os.path.join(os.path.dirname(__file__), "..", "Fixtures", "schema4-store", "data.mdb")


@pytest.fixture(params=list(TRANSPORTS))
def transport(request):
    return TRANSPORTS[request.param]


@pytest.fixture
def chat(data_dir, transport):
    d = Daemon(data_dir, free_port()).start()
    clients = []

    def connect(user, create=True):
        client = ChatClient(d.url, token=d.token(user, create=create), transports=transport).connect()
        clients.append(client)
        return client

    d.connect = connect
    yield d
    for c in clients:
        c.close()
    d.stop()




def joined(*clients, room="general"):
    for c in clients:
        ok(c.call("join_room", {"room": room}))


def send(client, text, room="general"):
    return ok(client.call("send_message", {"room": room, "message": text}))["message"]


def by_id(messages, message_id):
    return next(m for m in messages if m["id"] == message_id)


def test_the_author_edits_and_the_room_sees_the_whole_message(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob")
    joined(ann, bob)
    sent = send(ann, "Leg day")
    assert sent["deleted"] is False and sent["reactions"] == [] and sent["is_edited"] is False
    ok(bob.call("react", {"room": "general", "id": sent["id"], "emoji": "💪", "on": True}))

    edited = ok(ann.call("edit_message", {"room": "general", "id": sent["id"], "message": "  Leg day!!  "}))["message"]
    assert edited["message"] == "Leg day!!" and edited["is_edited"] is True and edited["edited_at"]
    assert edited["reactions"] == [{"emoji": "💪", "count": 1, "users": ["bob"]}]
    assert bob.wait_for("message_updated", lambda m: m["id"] == sent["id"]) == edited
    assert ann.wait_for("message_updated", lambda m: m["id"] == sent["id"]) == edited
    history = ok(bob.call("join_room", {"room": "general"}))["messages"]
    assert by_id(history, sent["id"]) == edited

    failed(bob.call("edit_message", {"room": "general", "id": sent["id"], "message": "mine"}), "forbidden")
    failed(ann.call("edit_message", {"room": "general", "id": sent["id"], "message": "   "}), "invalid_message")
    failed(ann.call("edit_message", {"room": "general", "id": sent["id"], "message": "x" * 2001}), "message_too_long")
    failed(ann.call("edit_message", {"room": "general", "id": 9999, "message": "x"}), "message_not_found")
    failed(ann.call("edit_message", {"room": "general", "id": "1", "message": "x"}), "invalid_request")
    join_message = history[0]
    assert join_message["message_type"] == "join" and join_message["user"]["name"] == "ann"
    failed(ann.call("edit_message", {"room": "general", "id": join_message["id"], "message": "x"}), "invalid_message")
    failed(ann.call("edit_message", {"room": "nutrition", "id": sent["id"], "message": "x"}), "not_joined")
    failed(ann.call("edit_message", {"room": "nope", "id": sent["id"], "message": "x"}), "room_not_found")


def test_deleting_leaves_a_tombstone_in_history_exports_and_the_store(chat):
    chat.cli("user", "add", "coach", "--admin")
    ann, bob, coach = chat.connect("ann"), chat.connect("bob"), chat.connect("coach", create=False)
    joined(ann, bob, coach)
    mine = send(ann, "my secret plan")
    theirs = send(bob, "bob's rant")
    ok(bob.call("react", {"room": "general", "id": mine["id"], "emoji": "🔥", "on": True}))
    chat.cli("notice", "general", "Gym closed Monday")
    notice = ann.wait_for("new_message", lambda m: m["message_type"] == "system")

    failed(bob.call("delete_message", {"room": "general", "id": mine["id"]}), "forbidden")
    failed(ann.call("delete_message", {"room": "general", "id": notice["id"]}), "forbidden")
    assert ok(ann.call("delete_message", {"room": "general", "id": mine["id"]})) == {
        "ok": True, "room": "general", "id": mine["id"]}
    assert bob.wait_for("message_deleted") == {"room": "general", "id": mine["id"]}
    # An admin deletes anyone's message, a notice too.
    ok(coach.call("delete_message", {"room": "general", "id": theirs["id"]}))
    ok(coach.call("delete_message", {"room": "general", "id": notice["id"]}))
    for event, payload in (("delete_message", {}), ("edit_message", {"message": "back"}),
                           ("react", {"emoji": "👍", "on": True})):
        failed(ann.call(event, {"room": "general", "id": mine["id"], **payload}), "message_not_found")

    history = ok(bob.call("join_room", {"room": "general"}))["messages"]
    for message_id in (mine["id"], theirs["id"], notice["id"]):
        tombstone = by_id(history, message_id)
        assert tombstone["deleted"] is True and tombstone["message"] == "" and tombstone["reactions"] == []
    exported = [json.loads(line) for line in chat.cli("export").stdout.splitlines()]
    assert by_id(exported, mine["id"])["deleted"] is True and by_id(exported, mine["id"])["message"] == ""
    assert all("deleted" in m and "reactions" in m for m in exported)

    for c in (ann, bob, coach):
        c.close()
    chat.stop()
    assert chat.cli("db", "check").stdout == DB_CHECK_OK
    # In the file: the records hold no text, and no reactions are left for the deleted message.
    messages = dict(entries(chat.data_dir, "messages"))
    for message_id in (mine["id"], theirs["id"], notice["id"]):
        record = messages[struct.pack(">Q", message_id)]
        assert b"secret plan" not in record and b"rant" not in record and b"Gym closed" not in record
    assert struct.pack(">Q", mine["id"]) not in dict(entries(chat.data_dir, "reactions"))


def test_reactions_toggle_between_two_users_in_order_of_first_use(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob")
    joined(ann, bob)
    sent = send(ann, "PR today: 100 kg")
    react = lambda client, emoji, on: client.call(  # noqa: E731
        "react", {"room": "general", "id": sent["id"], "emoji": emoji, "on": on})

    ok(react(ann, "👍", True))
    ok(react(bob, ":fire:", True))
    both = ok(react(bob, "👍", True))
    expected = [{"emoji": "👍", "count": 2, "users": ["ann", "bob"]},
                {"emoji": ":fire:", "count": 1, "users": ["bob"]}]
    assert both == {"ok": True, "room": "general", "id": sent["id"], "reactions": expected}
    update = ann.wait_for("reaction_updated", lambda u: len(u["reactions"]) == 2 and u["reactions"][0]["count"] == 2)
    assert update == {"room": "general", "id": sent["id"], "reactions": expected}
    assert ok(react(bob, "👍", True))["reactions"] == expected  # on when on: fine
    assert ok(react(ann, "👍", False))["reactions"][0] == {"emoji": "👍", "count": 1, "users": ["bob"]}
    assert ok(react(ann, "👍", False))["reactions"][0]["count"] == 1  # off when off: fine
    for emoji in ("👍🏽", "🏳️‍🌈", "🇩🇪", "1️⃣", "❤️", ":+1:"):
        ok(react(ann, emoji, True))
    for bad in ("x", "👍👍", "", ":Fire:", "1", "❤", " 👍", ":" + "a" * 33 + ":"):
        failed(react(ann, bad, True), "invalid_request")
    failed(ann.call("react", {"room": "general", "id": sent["id"], "emoji": "👍"}), "invalid_request")
    history = ok(ann.call("join_room", {"room": "general"}))["messages"]
    assert [r["emoji"] for r in by_id(history, sent["id"])["reactions"]] == [
        "👍", ":fire:", "👍🏽", "🏳️‍🌈", "🇩🇪", "1️⃣", "❤️", ":+1:"]


def test_a_message_holds_at_most_twenty_emojis(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob")
    joined(ann, bob)
    sent = send(ann, "React!")
    for n in range(20):
        ok(ann.call("react", {"room": "general", "id": sent["id"], "emoji": f":e{n}:", "on": True}))
    message = failed(bob.call("react", {"room": "general", "id": sent["id"], "emoji": "👍", "on": True}),
                     "invalid_request")
    assert "20" in message
    assert len(ok(bob.call("react", {"room": "general", "id": sent["id"], "emoji": ":e3:", "on": True}))["reactions"]) == 20


def test_open_direct_makes_one_private_room_listed_with_kind_title_and_peer(chat):
    chat.cli("user", "add", "ann", "--display-name", "Ann K")
    chat.cli("user", "add", "bob", "--display-name", "Bob M")
    ann, bob, eve = chat.connect("ann", create=False), chat.connect("bob", create=False), chat.connect("eve")
    room = ok(ann.call("open_direct", {"user": "BOB"}))["room"]
    assert room["kind"] == "direct" and room["is_private"] is True and room["title"] == "Bob M"
    assert room["peer"]["name"] == "bob" and room["name"].startswith("dm-")
    for client, title in ((ann, "Bob M"), (bob, "Ann K")):
        listed = client.wait_for("rooms_list", lambda d: any(r["name"] == room["name"] for r in d["rooms"]))
        entry = next(r for r in listed["rooms"] if r["name"] == room["name"])
        assert entry["kind"] == "direct" and entry["title"] == title and entry["participants"] == 2
        assert all(r["kind"] in ("public", "private") for r in listed["rooms"] if r is not entry)
    # Idempotent, from either side.
    assert ok(ann.call("open_direct", {"user": "bob"}))["room"]["name"] == room["name"]
    assert ok(bob.call("open_direct", {"user": "ann"}))["room"]["title"] == "Ann K"

    joined_room = ok(ann.call("join_room", {"room": room["name"]}))
    assert joined_room["room"]["kind"] == "direct" and joined_room["room"]["peer"]["name"] == "bob"
    joined(bob, room=room["name"])
    sent = send(ann, "Spot me at 6?", room=room["name"])
    assert bob.wait_for("new_message", lambda m: m["id"] == sent["id"])["message"] == "Spot me at 6?"
    ok(bob.call("react", {"room": room["name"], "id": sent["id"], "emoji": "👍", "on": True}))
    ok(ann.call("typing_start", {"room": room["name"]}))
    assert bob.wait_for("user_typing", lambda t: t["room"] == room["name"])["user"]["name"] == "ann"
    ok(ann.call("edit_message", {"room": room["name"], "id": sent["id"], "message": "Spot me at 7?"}))
    assert bob.wait_for("message_updated", lambda m: m["id"] == sent["id"])["reactions"][0]["users"] == ["bob"]
    # Nobody else can tell it exists.
    failed(eve.call("join_room", {"room": room["name"]}), "room_not_found")
    failed(eve.call("send_message", {"room": room["name"], "message": "hi"}), "room_not_found")
    assert room["name"] not in [r["name"] for r in ok(eve.call("get_rooms"))["rooms"]]

    failed(ann.call("open_direct", {"user": "ann"}), "invalid_request")
    assert failed(ann.call("open_direct", {"user": "nobody"}), "invalid_request") == "no such user"
    failed(ann.call("open_direct", {"user": 7}), "invalid_request")
    failed(ann.call("open_direct", {}), "invalid_request")
    # An admin cannot add a third person, nor make a room that looks like a direct one.
    chat.cli("room", "add-member", room["name"], "eve", expect=1)
    assert "reserved" in chat.cli("room", "add", "dm-9-10", "--description", "x", expect=1).stderr
    # A disabled user's conversation stays readable by the other side; new ones are refused.
    chat.cli("user", "disable", "bob")
    history = ok(ann.call("join_room", {"room": room["name"]}))["messages"]
    assert [m["message"] for m in history if m["message_type"] == "text"] == ["Spot me at 7?"]
    assert failed(eve.call("open_direct", {"user": "bob"}), "invalid_request") == "no such user"


def test_two_users_opening_the_same_conversation_at_once_get_one_room(chat):
    pairs = [(chat.connect(f"u{n}a"), chat.connect(f"u{n}b"), f"u{n}a", f"u{n}b") for n in range(3)]
    for a, b, name_a, name_b in pairs:
        barrier = threading.Barrier(2)
        answers = {}

        def open_from(client, peer, key):
            barrier.wait()
            answers[key] = client.call("open_direct", {"user": peer})

        threads = [threading.Thread(target=open_from, args=(a, name_b, "a")),
                   threading.Thread(target=open_from, args=(b, name_a, "b"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(15)
        assert ok(answers["a"])["room"]["name"] == ok(answers["b"])["room"]["name"]
    rooms = chat.cli("room", "list").stdout
    assert sum(1 for line in rooms.splitlines() if " dm-" in line) == 3, rooms
    for c in [c for a, b, _, _ in pairs for c in (a, b)]:
        c.close()
    chat.stop()
    assert chat.cli("db", "check").stdout == DB_CHECK_OK
    assert len(entries(chat.data_dir, "direct_rooms")) == 3


def test_refusals_carry_the_contracts_codes(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob")
    joined(ann)
    sent = send(ann, "hi")
    failed(bob.call("react", {"room": "general", "id": sent["id"], "emoji": "👍", "on": True}), "not_joined")
    failed(bob.call("delete_message", {"room": "general", "id": sent["id"]}), "not_joined")
    failed(ann.call("delete_message", {"room": "coaches", "id": sent["id"]}), "room_not_found")
    failed(ann.call("delete_message", {"room": "general"}), "invalid_request")
    failed(ann.call("delete_message", ["general", sent["id"]]), "invalid_request")
    failed(ann.call("react", {"room": "general", "id": sent["id"], "emoji": "👍", "on": "yes"}), "invalid_request")
    failed(ann.call("edit_message", {"room": "general", "id": sent["id"], "message": 5}), "invalid_message")


def test_fitchat_notice_reaches_the_room(chat):
    chat.cli("user", "add", "coach", "--admin", "--display-name", "Coach")
    ann = chat.connect("ann")
    joined(ann)
    out = chat.cli("notice", "general", "Pool closed today").stdout
    assert "notice posted to 'general'" in out
    notice = ann.wait_for("new_message", lambda m: m["message_type"] == "system")
    assert notice["message"] == "Pool closed today" and notice["user"]["name"] == "coach"
    assert notice["deleted"] is False and notice["reactions"] == []
    chat.cli("notice", "nowhere", "x", expect=1)
    assert "notice" in chat.cli("--help").stdout
    # The admin API reserves direct-message names as the CLI does.
    request = urllib.request.Request(
        chat.url + "/api/admin/rooms", method="POST",
        data=json.dumps({"name": "dm-1-2", "description": "sneaky"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + chat.token("coach", create=False)})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    error = json.loads(refused.value.read())["error"]
    assert error["code"] == "invalid_request" and "reserved" in error["message"], error


def test_a_store_from_before_issue_14_migrates_and_keeps_everything(data_dir, transport):
    target = os.path.join(data_dir, "data.mdb")
    shutil.copyfile(SCHEMA_4_STORE, target)
    give_to_service_user(target)
    d = Daemon(data_dir, free_port())
    for command in (("db", "check"), ("db", "status"), ("export",)):
        assert "schema version 4 needs migrating to 7" in d.cli(*command, expect=1).stderr
    d.start()  # serve migrates
    try:
        assert "schema version: 7" in d.cli("db", "status").stdout
        ann = ChatClient(d.url, token=d.token("ann", create=False), transports=transport).connect()
        rooms = ann.wait_for("rooms_list")["rooms"]
        assert {r["name"]: r["kind"] for r in rooms} == {
            "general": "public", "workout-tips": "public", "nutrition": "public", "progress": "public",
            "coaches": "private"}
        general = ok(ann.call("join_room", {"room": "general"}))["messages"]
        assert [m["message"] for m in general if m["message_type"] != "join"] == [
            "Gym closed Monday", "Morning all!", "Leg day 🦵", "Who is up for a 5k?"]
        assert all(m["deleted"] is False and m["reactions"] == [] for m in general)
        coaches = ok(ann.call("join_room", {"room": "coaches"}))["messages"]
        assert [m["message"] for m in coaches][-2:] == ["Ann, can you cover the 6am class?", "Sure 👍"]
        # The old messages take the new events.
        ok(ann.call("react", {"room": "general", "id": 9, "emoji": "🏃", "on": True}))
        ok(ann.call("edit_message", {"room": "general", "id": 6, "message": "Morning, all!"}))
        ok(ann.call("delete_message", {"room": "general", "id": 7}))
        failed(ann.call("open_direct", {"user": "bob"}), "invalid_request")  # bob is disabled
        assert ok(ann.call("open_direct", {"user": "coach"}))["room"]["title"] == "Coach Carla"
        ann.close()
    finally:
        d.stop()
    assert d.cli("db", "check").stdout == DB_CHECK_OK
    exported = [json.loads(line) for line in d.cli("export").stdout.splitlines()]
    assert len(exported) == 11 and by_id(exported, 7)["deleted"] is True and by_id(exported, 7)["message"] == ""
    assert by_id(exported, 9)["reactions"] == [{"emoji": "🏃", "count": 1, "users": ["ann"]}]
