"""Issue 15 through the real python-socketio client, in both transports: `get_history` pages back
through a room (oldest first in each page, `has_more` false at the beginning), for rooms joined or
not, with the contract's refusals and the shared "reads" rate bucket."""
import time

from fitchat_e2e import failed, ok
from room_chat import chat, transport  # noqa: F401 (pytest fixtures)
from room_chat import joined, send, send_many, call_many, ids, history, room_summary


def test_paging_back_through_a_long_room_returns_every_message_once_oldest_first(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob")
    ann_join = joined(ann)["messages"][-1]
    assert ann_join["message_type"] == "join" and ann_join["user"]["name"] == "ann"
    sent = send_many(ann, [f"set {n}" for n in range(160)])
    assert len(sent) == 160 and all(m["mentions"] == [] for m in sent)

    # bob never joined general: a public room is readable all the same, and reading joins nothing.
    latest = history(bob)
    assert latest["room"] == "general" and latest["has_more"] is True
    assert latest["messages"] == sent[-50:]  # default limit 50, the latest, oldest first
    pages = [latest["messages"]]
    before = latest["messages"][0]["id"]
    while True:
        page = history(bob, before=before, limit=100)
        assert all(m["id"] < before for m in page["messages"])
        assert ids(page["messages"]) == sorted(ids(page["messages"]))
        pages.insert(0, page["messages"])
        if not page["has_more"]:
            break
        assert len(page["messages"]) == 100
        before = page["messages"][0]["id"]
    assert [len(p) for p in pages] == [11, 100, 50]
    everything = [m for p in pages for m in p]
    assert everything == [ann_join] + sent
    assert ids(everything) == sorted(set(ids(everything)))
    # The first page ends the room: nothing before its first message.
    assert history(bob, before=ann_join["id"]) == {"ok": True, "room": "general", "messages": [], "has_more": False}
    one = history(bob, before=sent[0]["id"], limit=1)
    assert one["messages"] == [ann_join] and one["has_more"] is False
    two = history(bob, before=sent[5]["id"], limit=2)
    assert two["messages"] == sent[3:5] and two["has_more"] is True
    assert history(bob, limit=100)["messages"] == sent[-100:]
    # `before` is a message of the room (README, History): none past the end, none of another room.
    failed(bob.call("get_history", {"room": "general", "before": sent[-1]["id"] + 10_000}), "invalid_request")
    elsewhere = joined(ann, room="nutrition")["messages"][-1]
    failed(bob.call("get_history", {"room": "general", "before": elsewhere["id"]}), "invalid_request")
    # Reading joined nothing: bob is no participant and his join made no message.
    assert history(bob, limit=1)["messages"] == sent[-1:]
    summary = room_summary(bob)
    assert summary["joined"] is False and summary["last_read"] is None


def test_history_shows_the_current_state_of_edited_deleted_and_reacted_messages(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob")
    joined(ann, bob)
    first, second, third = send(ann, "Squats 5x5"), send(ann, "Deadlift 1x5"), send(bob, "nice @ann")
    edited = ok(ann.call("edit_message", {"room": "general", "id": first["id"], "message": "Squats 5x5 @bob"}))["message"]
    ok(ann.call("delete_message", {"room": "general", "id": second["id"]}))
    reactions = ok(ann.call("react", {"room": "general", "id": third["id"], "emoji": "💪", "on": True}))["reactions"]
    carl = chat.connect("carl")
    page = history(carl, limit=3)["messages"]
    assert ids(page) == [first["id"], second["id"], third["id"]]
    assert page[0] == edited and page[0]["mentions"] == ["bob"] and page[0]["is_edited"] is True
    assert page[1]["deleted"] is True and page[1]["message"] == "" and page[1]["mentions"] == []
    assert page[2]["reactions"] == reactions and page[2]["mentions"] == ["ann"]


def test_private_and_direct_rooms_are_read_only_by_their_members(chat):
    chat.cli("room", "add", "staff", "--description", "Trainers only", "--private")
    chat.token("coach")
    chat.cli("room", "add-member", "staff", "coach")
    coach, ann, bob = chat.connect("coach"), chat.connect("ann"), chat.connect("bob")
    joined(coach, room="staff")
    secret = send(coach, "bonus plan", room="staff")
    # A member reads it without being joined on this connection; outsiders get what a missing room gets.
    coach2 = chat.connect("coach")
    assert history(coach2, room="staff")["messages"][-1] == secret
    failed(ann.call("get_history", {"room": "staff"}), "room_not_found")
    failed(ann.call("get_history", {"room": "staff", "before": secret["id"] + 1, "limit": 5}), "room_not_found")
    failed(ann.call("get_history", {"room": "no-such-room"}), "room_not_found")

    dm = ok(ann.call("open_direct", {"user": "bob"}))["room"]["name"]
    joined(ann, room=dm)
    note = send(ann, "spot me?", room=dm)
    assert history(bob, room=dm)["messages"][-1] == note  # bob is a participant, not joined here
    failed(coach.call("get_history", {"room": dm}), "room_not_found")

    chat.cli("room", "archive", "staff")
    failed(coach2.call("get_history", {"room": "staff"}), "room_not_found")


def test_bad_history_requests_are_invalid_requests(chat):
    ann = chat.connect("ann")
    joined(ann)
    sent = send(ann, "hi")
    bad = [{"room": "general", "limit": 0}, {"room": "general", "limit": 101}, {"room": "general", "limit": "x"},
           {"room": "general", "limit": -5}, {"room": "general", "limit": 2.5}, {"room": "general", "limit": True},
           {"room": "general", "before": -1}, {"room": "general", "before": "x"},
           {"room": "general", "before": str(sent["id"])}, {"room": "general", "before": [sent["id"]]},
           {"room": 5}, {}, ["general"], "general"]
    for payload in bad:
        failed(ann.call("get_history", payload), "invalid_request")
    # The edges of the limits are fine.
    assert history(ann, limit=1)["messages"] == [sent]
    assert history(ann, limit=100)["messages"][-1] == sent


def test_reads_share_one_rate_bucket(chat):
    """get_history, get_mentions and mark_read draw on one "reads" bucket (burst 30, 10/s): 60 of them
    interleaved at once fit no separate bucket of 30 each would refuse, but the shared one does."""
    ann, bob = chat.connect("ann"), chat.connect("bob")
    joined(ann, bob)
    sent = send(bob, "read me")
    kinds = [("get_history", {"room": "general", "limit": 1}), ("get_mentions", {}),
             ("mark_read", {"room": "general", "id": sent["id"]})]
    calls = [kinds[n % 3] for n in range(60)]
    started = time.monotonic()
    acks = call_many(ann, calls)
    elapsed = time.monotonic() - started
    refused = [n for n, a in enumerate(acks) if a.get("ok") is False]
    for n in refused:
        failed(acks[n], "rate_limited")
    accepted = len(acks) - len(refused)
    assert 30 <= accepted <= 30 + 10 * elapsed + 1, (accepted, elapsed)
    for event, _ in kinds:
        assert any(calls[n][0] == event for n in refused), f"no {event} refused: {[calls[n][0] for n in refused]}"
    # Another user's bucket is their own.
    assert history(bob, limit=1)["messages"] == [sent]
