"""Issue 15 through the real python-socketio client, in both transports: durable read positions
(`mark_read`, monotonic, across restarts), what `rooms_list` reports per room (`joined`, `last_id`,
`last_read`, `unread` capped at 999, `mentions`), `read_updated` receipts and turning them off
(`set_preferences`), and the position `join_room` reports for the "new messages" divider."""

from fitchat_e2e import failed, ok
from room_chat import chat, transport  # noqa: F401 (pytest fixtures)
from room_chat import fence, history, joined, room_summary, send, send_many

READ_FIELDS = ("joined", "last_id", "last_read", "unread", "unread_capped", "mentions")




def read_state(summary):
    return {k: summary[k] for k in READ_FIELDS}


def state(joined_, last_id, last_read, unread=0, mentions=0, capped=False):
    return {"joined": joined_, "last_id": last_id, "last_read": last_read, "unread": unread,
            "unread_capped": capped, "mentions": mentions}


def mark(client, message, room="general"):
    return ok(client.call("mark_read", {"room": room, "id": message["id"]}))


def receipts(client, user=None, room="general"):
    """The room's read_updated events the client holds (not yet consumed by wait_for), optionally one
    user's."""
    return [e for e in client.received("read_updated")
            if e["room"] == room and (user is None or e["user"]["name"] == user)]


# --- rooms_list ----------------------------------------------------------------------------------

def test_rooms_list_reports_each_rooms_read_state(chat):
    chat.cli("user", "add", "coach", "--admin")
    ann = chat.connect("ann")
    pushed = ann.wait_for("rooms_list")["rooms"]
    assert {r["name"] for r in pushed} == {"general", "nutrition", "progress", "workout-tips"}
    for summary in pushed:  # a fresh store: empty rooms, nobody a participant
        assert read_state(summary) == state(False, None, None), summary

    own_join = joined(ann)["messages"][-1]
    assert read_state(room_summary(ann)) == state(True, own_join["id"], own_join["id"])
    bob, carl, dave = chat.connect("bob"), chat.connect("carl"), chat.connect("dave")
    joined(bob)
    texts = [send(bob, f"set {n}") for n in range(3)]
    chat.cli("notice", "general", "Pool closed today")
    joined(carl)
    ok(carl.call("leave_room", {"room": "general"}))
    leave = ann.wait_for("new_message", lambda m: m["message_type"] == "leave")
    dave_join = joined(dave, room="nutrition")["messages"][-1]

    # Three texts and the notice count; bob's and carl's join and carl's leave do not.
    assert read_state(room_summary(ann)) == state(True, leave["id"], own_join["id"], unread=4)
    assert read_state(room_summary(ann, "nutrition")) == state(False, dave_join["id"], None)
    assert read_state(room_summary(carl)) == state(False, leave["id"], None)  # carl left: no longer joined
    shout = send(bob, "@ann spot me?")
    assert read_state(room_summary(ann)) == state(True, shout["id"], own_join["id"], unread=5, mentions=1)
    # bob's own messages never count for him.
    assert read_state(room_summary(bob)) == state(True, shout["id"], shout["id"])

    # A fresh connection of ann's gets the same, pushed after status.
    ann2 = chat.connect("ann")
    listed = {r["name"]: r for r in ann2.wait_for("rooms_list")["rooms"]}
    assert read_state(listed["general"]) == state(True, shout["id"], own_join["id"], unread=5, mentions=1)

    # Sending moves the sender's position to the message: nothing unread, and no read_updated for it.
    reply = send(ann, "on my way")
    assert read_state(room_summary(ann)) == state(True, reply["id"], reply["id"])
    assert read_state(room_summary(bob)) == state(True, reply["id"], shout["id"], unread=1)
    fence(bob, ann)
    assert receipts(bob, "ann") == []
    assert texts[-1]["id"] < leave["id"] < shout["id"]


def test_a_new_participant_starts_at_the_end_and_a_leaver_counts_nothing(chat):
    chat.cli("room", "add", "staff", "--description", "Trainers only", "--private")
    chat.token("coach")
    chat.cli("room", "add-member", "staff", "coach")
    coach, ann = chat.connect("coach"), chat.connect("ann")
    joined(coach, room="staff")
    earlier = [send(coach, f"plan {n}", room="staff") for n in range(3)]
    chat.cli("room", "add-member", "staff", "ann")
    staff = read_state(room_summary(ann, "staff"))
    assert staff["unread"] == 0 and staff["last_id"] == staff["last_read"] and staff["last_id"] >= earlier[-1]["id"]
    later = send(coach, "welcome ann", room="staff")
    assert read_state(room_summary(ann, "staff")) == state(True, later["id"], staff["last_read"], unread=1)

    joined(ann)
    joined(coach)
    send(coach, "general chatter")
    assert room_summary(ann)["unread"] == 1
    ok(ann.call("leave_room", {"room": "general"}))
    summary = read_state(room_summary(ann))
    assert summary["joined"] is False and summary["unread"] == 0 and summary["mentions"] == 0
    assert summary["last_read"] is None


def test_unread_is_capped_at_999(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob", transport=["websocket"])
    joined(ann, bob)
    position = history(ann)["messages"][-1]["id"]  # bob's join
    assert mark(ann, {"id": position})["id"] == position
    burst = send_many(bob, [f"rep {n}" + (" @ann" if n in (10, 500) else "") for n in range(998)])
    assert read_state(room_summary(ann)) == state(True, burst[-1]["id"], position, unread=998, mentions=2)
    more = send_many(bob, [f"extra {n}" for n in range(5)])
    summary = room_summary(ann)
    assert summary["unread"] == 999 and summary["unread_capped"] is True and summary["mentions"] == 2
    assert summary["last_id"] == more[-1]["id"]
    # Reading up to a message in the middle counts from there: 500 left, no cap.
    mark(ann, burst[502])
    summary = room_summary(ann)
    left_mentions = sum("@ann" in m["message"] for m in burst[503:])
    assert (summary["unread"], summary["unread_capped"], summary["mentions"]) == (998 - 503 + 5, False, left_mentions)
    mark(ann, more[-1])
    assert read_state(room_summary(ann)) == state(True, more[-1]["id"], more[-1]["id"])


# --- mark_read -----------------------------------------------------------------------------------

def test_mark_read_is_monotonic_tells_the_room_and_survives_a_restart(chat):
    ann, bob, dave = chat.connect("ann"), chat.connect("bob"), chat.connect("dave")
    joined(ann, bob)
    joined(bob, dave, room="nutrition")
    ann_phone = chat.connect("ann")  # in no room
    m = [send(bob, f"m{n}") for n in range(5)]

    assert mark(ann, m[2]) == {"ok": True, "room": "general", "id": m[2]["id"]}
    # (Each wait names the receipt it expects: ChatClient.wait_for may hand back an event it returned
    # before when it waits for a second one of the same kind without saying which.)
    receipt = bob.wait_for("read_updated", lambda e: e["user"]["name"] == "ann" and e["id"] == m[2]["id"])
    assert receipt == {"room": "general", "user": ann.status["user"], "id": m[2]["id"]}
    assert set(receipt["user"]) == {"id", "name", "display_name"}
    # Every connection of the reader's hears it, the one that is not in the room too.
    assert ann_phone.wait_for("read_updated", lambda e: e["id"] == m[2]["id"]) == receipt
    assert ann.wait_for("read_updated", lambda e: e["id"] == m[2]["id"]) == receipt
    assert read_state(room_summary(ann)) == state(True, m[4]["id"], m[2]["id"], unread=2)

    # Backwards or in place: the answer is the current position, nothing is sent.
    assert mark(ann, m[1]) == {"ok": True, "room": "general", "id": m[2]["id"]}
    assert mark(ann, m[2]) == {"ok": True, "room": "general", "id": m[2]["id"]}
    assert mark(ann, m[3])["id"] == m[3]["id"]
    assert bob.wait_for("read_updated", lambda e: e["user"]["name"] == "ann" and e["id"] == m[3]["id"])
    assert ann_phone.wait_for("read_updated", lambda e: e["id"] == m[3]["id"])
    assert receipts(bob, "ann") == [] and receipts(ann_phone) == []
    # dave is in another room only: no receipt of general reaches him.
    fence(dave, bob, room="nutrition")
    assert receipts(dave) == []
    assert read_state(room_summary(ann)) == state(True, m[4]["id"], m[3]["id"], unread=1)

    chat.restart()
    ann = chat.connect("ann")
    listed = {r["name"]: r for r in ann.wait_for("rooms_list")["rooms"]}
    assert read_state(listed["general"]) == state(True, m[4]["id"], m[3]["id"], unread=1)
    assert mark(ann, m[0])["id"] == m[3]["id"]
    assert ok(ann.call("join_room", {"room": "general"}))["last_read"] == m[3]["id"]
    assert read_state(room_summary(ann)) == state(True, m[4]["id"], m[4]["id"])


def test_mark_read_refusals(chat):
    chat.cli("room", "add", "staff", "--description", "Trainers only", "--private")
    ann, bob, carl = chat.connect("ann"), chat.connect("bob"), chat.connect("carl")
    joined(ann, bob)
    joined(bob, room="nutrition")
    here = send(bob, "in general")
    there = send(bob, "in nutrition", room="nutrition")
    failed(carl.call("mark_read", {"room": "general", "id": here["id"]}), "not_joined")
    failed(ann.call("mark_read", {"room": "general", "id": there["id"]}), "message_not_found")
    failed(ann.call("mark_read", {"room": "general", "id": there["id"] + 1000}), "message_not_found")
    failed(ann.call("mark_read", {"room": "nope", "id": here["id"]}), "room_not_found")
    failed(ann.call("mark_read", {"room": "staff", "id": here["id"]}), "room_not_found")
    for payload in ({"room": "general", "id": str(here["id"])}, {"room": "general"}, {"room": "general", "id": 1.5},
                    {"id": here["id"]}, [here["id"]]):
        failed(ann.call("mark_read", payload), "invalid_request")
    assert room_summary(ann)["last_read"] < here["id"]  # nothing moved


# --- read receipts off ---------------------------------------------------------------------------

def test_a_reader_who_shares_no_receipts_is_seen_by_nobody_but_themself(chat):
    ann, ann_phone, bob, carl = chat.connect("ann"), chat.connect("ann"), chat.connect("bob"), chat.connect("carl")
    assert ann.status["preferences"] == {"share_read_receipts": True}
    joined(ann, bob, carl)
    assert ok(ann.call("set_preferences", {"share_read_receipts": False})) == {
        "ok": True, "preferences": {"share_read_receipts": False}}
    for payload in ({"share_read_receipts": "no"}, {"share_read_receipts": 0}, {}, ["share_read_receipts"]):
        failed(ann.call("set_preferences", payload), "invalid_request")
    assert chat.connect("ann").status["preferences"] == {"share_read_receipts": False}
    assert bob.status["preferences"] == {"share_read_receipts": True}

    sent = send(bob, "who saw this?")
    mark(ann, sent)
    # ann's own connections always hear it (other devices clear their badges).
    own = ann_phone.wait_for("read_updated", lambda e: e["id"] == sent["id"])
    assert own == {"room": "general", "user": ann.status["user"], "id": sent["id"]}
    assert ann.wait_for("read_updated", lambda e: e["id"] == sent["id"]) == own
    # carl shares: bob hears carl's receipt, and by then would have heard ann's.
    mark(carl, sent)
    assert bob.wait_for("read_updated", lambda e: e["user"]["name"] == "carl" and e["id"] == sent["id"])
    assert carl.wait_for("read_updated", lambda e: e["user"]["name"] == "carl" and e["id"] == sent["id"])
    assert receipts(bob, "ann") == [] and receipts(carl, "ann") == []

    positions = {p["user"]["name"]: p["last_read"] for p in ok(bob.call("join_room", {"room": "general"}))["participants"]}
    assert positions["ann"] is None and positions["carl"] == sent["id"]
    own_view = {p["user"]["name"]: p["last_read"] for p in ok(ann.call("join_room", {"room": "general"}))["participants"]}
    assert own_view["ann"] == sent["id"] and own_view["carl"] == sent["id"]
    assert room_summary(ann)["last_read"] == sent["id"]  # stored all the same

    # Turned back on, receipts flow again.
    assert ok(ann.call("set_preferences", {"share_read_receipts": True}))["preferences"] == {"share_read_receipts": True}
    later = send(bob, "and this?")
    mark(ann, later)
    assert bob.wait_for("read_updated", lambda e: e["user"]["name"] == "ann" and e["id"] == later["id"])
    positions = {p["user"]["name"]: p["last_read"] for p in ok(carl.call("join_room", {"room": "general"}))["participants"]}
    assert positions["ann"] == later["id"]


# --- join_room's last_read -----------------------------------------------------------------------

def test_join_room_reports_the_position_before_the_join_and_moves_it_to_the_end(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob")
    first = ok(ann.call("join_room", {"room": "general"}))
    assert first["last_read"] is None  # not a participant before
    assert ann.wait_for("room_joined")["last_read"] is None
    at_join = first["messages"][-1]["id"]
    joined(bob)
    batch = [send(bob, f"b{n}") for n in range(3)]
    assert room_summary(ann)["unread"] == 3

    again = ok(ann.call("join_room", {"room": "general"}))
    assert again["last_read"] == at_join  # the divider goes after this
    assert [m["id"] for m in again["messages"] if m["id"] > again["last_read"]][-3:] == [m["id"] for m in batch]
    assert read_state(room_summary(ann)) == state(True, batch[-1]["id"], batch[-1]["id"])
    later = send(bob, "b3")
    ann_elsewhere = chat.connect("ann")
    third = ok(ann_elsewhere.call("join_room", {"room": "general"}))
    assert third["last_read"] == batch[-1]["id"]
    assert read_state(room_summary(ann)) == state(True, later["id"], later["id"])
    me = next(p for p in third["participants"] if p["user"]["name"] == "ann")
    assert me["last_read"] in (batch[-1]["id"], later["id"])  # before or after this join's move


def test_joining_moves_the_read_position_and_says_so(chat):
    """join_room moves the caller's position to the end (contract), and "when a position moves"
    read_updated goes to the user's own connections and, sharing, to the room's others (issue 15,
    README Read state): the page's "seen by" and the other devices' badges follow a join as they
    follow mark_read."""
    ann, bob = chat.connect("ann"), chat.connect("bob")
    joined(ann, bob)
    phone = chat.connect("ann")
    batch = [send(bob, f"b{n}") for n in range(3)]
    again = ok(ann.call("join_room", {"room": "general"}))
    assert again["last_read"] < batch[0]["id"]
    assert room_summary(ann)["last_read"] == batch[-1]["id"]
    expected = {"room": "general", "user": ann.status["user"], "id": batch[-1]["id"]}
    assert bob.wait_for("read_updated", lambda e: e["user"]["name"] == "ann") == expected
    assert phone.wait_for("read_updated") == expected


def test_preferences_are_stored(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob")
    joined(ann, bob)
    sent = send(bob, "private reader")
    ok(ann.call("set_preferences", {"share_read_receipts": False}))
    ok(ann.call("mark_read", {"room": "general", "id": sent["id"]}))
    chat.restart()
    ann, bob = chat.connect("ann"), chat.connect("bob")
    assert ann.status["preferences"] == {"share_read_receipts": False}
    assert bob.status["preferences"] == {"share_read_receipts": True}
    positions = {p["user"]["name"]: p["last_read"] for p in ok(bob.call("join_room", {"room": "general"}))["participants"]}
    assert positions["ann"] is None
    assert room_summary(ann)["last_read"] == sent["id"]
