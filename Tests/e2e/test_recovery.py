"""Issue 15 through the real python-socketio client, in both transports: a client that comes back
(a new Engine.IO session of the same user) sends `join_room {"room","since"}` or one `resume` and
gets, exactly once and in order, every message it missed plus the current state of older messages
changed meanwhile, or `recovered: false` when more than 1,000 are missing; live events never
duplicate what the answer holds; and all of it across daemons killed with SIGKILL."""
import signal
import threading
import time

import pytest

from fitchat_e2e import DB_CHECK_OK, failed, ok
from room_chat import chat, transport  # noqa: F401 (pytest fixtures)
from room_chat import UNLIMITED, Chat, call_many, history, ids, joined, room_summary, send, send_many




def wait_until(predicate, timeout=15, what="the condition"):
    """Waits for events to arrive until `predicate()` holds (polled: the events are read from the
    client's record, which `wait_for` would consume)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not hold within {timeout}s")
        time.sleep(0.01)


def live(client, room="general"):
    """The `new_message` events this client got for the room.

    Not necessarily in the order the server sent them: python-engineio's client runs the handler of
    each message in a thread of its own, so two events close together may be recorded either way
    round. A client's "last id seen" is therefore the highest one (ids strictly increase), and the
    tests check live events as a set; the order the server promises is checked in its answers."""
    return [m for m in client.received("new_message") if m["room"] == room]


def last_seen(client, room="general"):
    return max(ids(live(client, room)))


def call_unless_dropped(client, event, data, timeout=15):
    """Like `call`, but returns None as soon as the connection is gone (a killed daemon answers nothing;
    python-socketio's own `call` would wait out its whole timeout)."""
    answered = threading.Event()
    box = []

    def on_ack(*args):
        box.append(args[0] if args else None)
        answered.set()

    try:
        client.sio.emit(event, data, callback=on_ack)
    except Exception:  # the client noticed the drop already (BadNamespaceError and the like)
        return None
    deadline = time.monotonic() + timeout
    while not answered.wait(0.02):
        if client.disconnected.is_set() and not answered.wait(0.1):
            return None
        if time.monotonic() > deadline:
            raise TimeoutError(f"{event}: no ack within {timeout}s and still connected")
    return box[0]


def edit(client, message, text, room="general"):
    return ok(client.call("edit_message", {"room": room, "id": message["id"], "message": text}))["message"]


def react(client, message, emoji, room="general"):
    return ok(client.call("react", {"room": room, "id": message["id"], "emoji": emoji, "on": True}))["reactions"]


def tombstone_of(message):
    return {**message, "message": "", "deleted": True, "reactions": [], "mentions": []}


def same_tombstone(got, message):
    """A tombstone of `message`: same id, author, type and time; no text, reactions or mentions."""
    keys = ("id", "room", "user", "message_type", "created_at", "message", "deleted", "reactions", "mentions")
    expected = tombstone_of(message)
    return {k: got.get(k) for k in keys} == {k: expected[k] for k in keys}


# --- join_room with since ------------------------------------------------------------------------

def test_a_returning_client_gets_exactly_what_it_missed_and_the_current_state_of_the_rest(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob")
    first_join = joined(ann)
    joined(bob)
    untouched = send(bob, "warm-up")
    old = [send(bob, f"old {n}") for n in range(3)]
    wait_until(lambda: old[-1]["id"] in ids(live(ann)), what="ann got the old messages")
    since = last_seen(ann)
    assert since == old[-1]["id"]
    ann.close()

    missed = [send(bob, f"new {n}") for n in range(5)]
    edit(bob, old[0], "old 0, fixed")
    edited = edit(bob, old[0], "old 0, fixed @ann")
    ok(bob.call("delete_message", {"room": "general", "id": old[1]["id"]}))
    reactions = react(bob, old[2], "👍")
    fire = react(bob, missed[1], "🔥")  # a missed message reacted to: in `messages`, in its current state

    ann2 = chat.connect("ann")
    answer = ok(ann2.call("join_room", {"room": "general", "since": since}))
    assert answer["recovered"] is True and answer["has_more"] is True
    assert answer["room"]["name"] == "general"
    expected = [dict(m) for m in missed]
    expected[1]["reactions"] = fire
    assert answer["messages"] == expected
    updated = answer["updated"]
    assert ids(updated) == [old[0]["id"], old[1]["id"], old[2]["id"]], updated  # in change order, each once
    assert updated[0] == edited and edited["mentions"] == ["ann"] and edited["is_edited"] is True
    assert same_tombstone(updated[1], old[1]), updated[1]
    assert updated[2] == {**old[2], "reactions": reactions}
    assert untouched["id"] not in ids(updated)
    # The position before this join: where ann's first join left it (the room's end then).
    assert answer["last_read"] == first_join["messages"][-1]["id"]
    event = ann2.wait_for("room_joined")
    assert event["recovered"] is True and event["messages"] == answer["messages"]
    assert event["updated"] == answer["updated"]
    # The edit mentioned ann while she was away: stored for her.
    assert ok(ann2.call("get_mentions"))["mentions"] == [edited]

    # Live traffic resumes, and nothing recovered comes again as new_message.
    after = send(bob, "welcome back")
    wait_until(lambda: after["id"] in ids(live(ann2)), what="the live message reached ann2")
    assert ids(live(ann2)) == [after["id"]]
    # The join moved ann's read position to the end.
    summary = room_summary(ann2)
    assert summary["last_read"] == missed[-1]["id"] and summary["unread"] == 1, summary


def test_updated_holds_each_changed_message_once_in_the_order_of_its_latest_change(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob")
    joined(ann, bob)
    a, b, c = (send(bob, text) for text in ("alpha", "bravo", "charlie"))
    since = c["id"]
    edit(bob, a, "alpha 2")
    react(ann, b, "👍")
    edit(bob, c, "charlie 2")
    latest_a = edit(bob, a, "alpha 3")  # a moves to the end of the change log
    answer = ok(ann.call("join_room", {"room": "general", "since": since}))
    assert answer["recovered"] is True and answer["messages"] == []
    assert [(m["id"], m["message"]) for m in answer["updated"]] == [
        (b["id"], "bravo"), (c["id"], "charlie 2"), (a["id"], "alpha 3")]
    assert answer["updated"][2] == latest_a
    # From a position inside the change log: only what changed after it.
    news = send(bob, "delta")
    edit(bob, b, "bravo 2")
    answer = ok(ann.call("join_room", {"room": "general", "since": news["id"]}))
    assert [(m["id"], m["message"]) for m in answer["updated"]] == [(b["id"], "bravo 2")]
    assert answer["messages"] == []


def test_since_at_the_end_or_at_zero(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob")
    joined(ann, bob)
    sent = [send(bob, f"m{n}") for n in range(3)]
    everything = history(ann)["messages"]
    assert everything[-3:] == sent and len(everything) == 5  # two joins, three texts

    nothing = ok(ann.call("join_room", {"room": "general", "since": sent[-1]["id"]}))
    assert nothing["recovered"] is True and nothing["messages"] == [] and nothing["updated"] == []
    assert nothing["has_more"] is True
    whole = ok(ann.call("join_room", {"room": "general", "since": 0}))
    assert whole["recovered"] is True and whole["messages"] == everything and whole["updated"] == []
    assert whole["has_more"] is False
    plain = ok(ann.call("join_room", {"room": "general"}))
    assert "recovered" not in plain and "updated" not in plain
    assert plain["messages"] == everything
    for since in (-1, "5", 1.5, True, [1]):
        failed(ann.call("join_room", {"room": "general", "since": since}), "invalid_request")


def test_more_than_1000_missed_messages_are_not_recovered_but_reloaded(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob", transport=["websocket"])
    joined(ann, bob)
    seen = history(ann)["messages"][-1]["id"]
    ann.close()
    missed = send_many(bob, [f"rep {n}" for n in range(1001)])

    ann2 = chat.connect("ann")
    answer = ok(ann2.call("join_room", {"room": "general", "since": seen}))
    assert answer["recovered"] is False
    assert answer["messages"] == missed[-50:] and answer["has_more"] is True and answer["updated"] == []
    # Exactly 1,000 missing is still recovered, in full.
    exactly = ok(ann2.call("join_room", {"room": "general", "since": missed[0]["id"]}))
    assert exactly["recovered"] is True and exactly["messages"] == missed[1:]
    assert ann2.wait_for("room_joined", lambda d: d["recovered"] is False)["messages"] == missed[-50:]
    # resume says the same per room.
    rooms = ok(ann2.call("resume", {"rooms": {"general": seen}}))["rooms"]
    assert ok(rooms["general"])["recovered"] is False and rooms["general"]["messages"] == missed[-50:]
    assert rooms["general"]["updated"] == []


def test_more_than_1000_changed_messages_are_not_recovered(chat):
    ann, bob = chat.connect("ann"), chat.connect("bob", transport=["websocket"])
    joined(ann, bob)
    old = send_many(bob, [f"plan {n}" for n in range(1001)])
    seen = old[-1]["id"]
    ann.close()
    edited = []
    for start in range(1, len(old), 100):  # every message but the first: 1,000 changed
        acks = call_many(bob, [("edit_message", {"room": "general", "id": m["id"], "message": m["message"] + "!"})
                               for m in old[start:start + 100]])
        edited += [ok(a)["message"] for a in acks]
    assert len(edited) == 1000

    ann2 = chat.connect("ann")
    answer = ok(ann2.call("join_room", {"room": "general", "since": seen}))
    assert answer["recovered"] is True and answer["messages"] == []
    assert sorted(answer["updated"], key=lambda m: m["id"]) == edited
    first = edit(bob, old[0], "plan 0!")  # the 1,001st changed message
    answer = ok(ann2.call("join_room", {"room": "general", "since": seen}))
    assert answer["recovered"] is False and answer["updated"] == []
    assert answer["messages"] == edited[-50:] and answer["has_more"] is True
    assert first["is_edited"] is True


# --- resume --------------------------------------------------------------------------------------

def test_resume_recovers_several_rooms_in_one_call_with_a_per_room_refusal(chat):
    chat.cli("room", "add", "staff", "--description", "Trainers only", "--private")
    ann, bob, carl = chat.connect("ann"), chat.connect("bob"), chat.connect("carl")
    for room in ("general", "nutrition"):
        joined(ann, bob, room=room)
    joined(carl, room="progress")
    g_old, n_old = send(bob, "general before"), send(bob, "nutrition before", room="nutrition")
    wait_until(lambda: n_old["id"] in ids(live(ann, "nutrition")) and g_old["id"] in ids(live(ann)))
    ok(ann.call("mark_read", {"room": "general", "id": g_old["id"]}))
    last = {"general": last_seen(ann), "nutrition": last_seen(ann, "nutrition")}
    ann.close()

    g_missed = [send(bob, f"g{n}") for n in range(2)]
    n_missed = [send(bob, f"n{n}", room="nutrition") for n in range(3)]
    n_edited = edit(bob, n_old, "nutrition before, edited", room="nutrition")

    ann2 = chat.connect("ann")
    answer = ok(ann2.call("resume", {"rooms": {**last, "no-such-room": 1, "staff": 1, "progress": 0}}))
    rooms = answer["rooms"]
    assert set(rooms) == {"general", "nutrition", "no-such-room", "staff", "progress"}
    general, nutrition = ok(rooms["general"]), ok(rooms["nutrition"])
    assert general["recovered"] is True and general["messages"] == g_missed and general["updated"] == []
    assert nutrition["recovered"] is True and nutrition["messages"] == n_missed
    assert nutrition["updated"] == [n_edited]
    assert general["room"]["name"] == "general" and nutrition["room"]["name"] == "nutrition"
    failed(rooms["no-such-room"], "room_not_found")
    failed(rooms["staff"], "room_not_found")  # private, ann is no member: as if missing
    # A room ann was no participant of is joined, with a stored join message, as join_room does.
    progress = ok(rooms["progress"])
    assert progress["recovered"] is True and progress["room"]["name"] == "progress"
    carl_sees = carl.wait_for("new_message", lambda m: m["room"] == "progress")
    assert carl_sees["message_type"] == "join" and carl_sees["user"]["name"] == "ann"
    assert carl.wait_for("user_joined", lambda d: d["room"] == "progress")["user"]["name"] == "ann"
    joined_events = {ann2.wait_for("room_joined", lambda d, r=r: d["room"]["name"] == r)["room"]["name"]
                     for r in ("general", "nutrition", "progress")}
    assert joined_events == {"general", "nutrition", "progress"}

    # Resume restores a connection: read positions stay where they were (join_room would move them).
    summary = room_summary(ann2)
    assert summary["last_read"] == g_old["id"] and summary["unread"] == 2 and summary["joined"] is True
    # nutrition: from ann's own join message on, bob's text before and the three missed ones.
    assert room_summary(ann2, "nutrition")["unread"] == 4
    # The connection is in the rooms again: live messages arrive, once.
    after = send(bob, "live again", room="nutrition")
    wait_until(lambda: after["id"] in ids(live(ann2, "nutrition")))
    assert ids(live(ann2, "nutrition")) == [after["id"]] and live(ann2) == []


def test_bad_resume_requests_are_invalid_requests(chat):
    ann = chat.connect("ann")
    joined(ann)
    too_many = {f"room-{n}": 1 for n in range(101)}
    for payload in ({"rooms": {}}, {"rooms": []}, {"rooms": "general"}, {"rooms": {"general": -1}},
                    {"rooms": {"general": "7"}}, {"rooms": {"general": 1.5}}, {"rooms": too_many}, {}, ["general"]):
        failed(ann.call("resume", payload), "invalid_request")
    # 100 rooms is the most: answered, every unknown one refused on its own.
    hundred = {f"room-{n}": 1 for n in range(99)} | {"general": 0}
    rooms = ok(ann.call("resume", {"rooms": hundred}))["rooms"]
    assert ok(rooms["general"])["recovered"] is True
    assert all(rooms[f"room-{n}"]["error"]["code"] == "room_not_found" for n in range(99))


def test_one_resume_of_25_rooms_is_one_join(chat):
    """The join bucket holds 20: a resume of 25 rooms answers every one, and it counts as one join."""
    rooms = [f"wod-{n}" for n in range(25)]
    for room in rooms:
        chat.cli("room", "add", room, "--description", "daily workout")
    ann = chat.connect("ann")
    answer = ok(ann.call("resume", {"rooms": {room: 0 for room in rooms}}))["rooms"]
    for room in rooms:
        joined_room = ok(answer[room])
        assert joined_room["recovered"] is True and joined_room["has_more"] is False
        assert [(m["message_type"], m["user"]["name"]) for m in joined_room["messages"]] in ([], [("join", "ann")])
    assert all(room_summary(ann, room)["joined"] is True for room in rooms[:3])
    # Plenty of joins left: 19 more join_rooms pass.
    for room in rooms[:19]:
        ok(ann.call("join_room", {"room": room}))


def test_a_resume_carrying_more_than_2000_messages_in_all_reloads_instead(chat):
    """Each of three rooms missed 800 (under 1,000 each, 2,400 in all): no resume answer carries more
    than 2,000 messages; each room is either recovered in full or says recovered: false with its
    latest 50 — never a partial gap."""
    rooms = ("general", "nutrition", "progress")
    ann, bob = chat.connect("ann"), chat.connect("bob", transport=["websocket"])
    since = {}
    for room in rooms:
        joined(ann, bob, room=room)
        since[room] = history(ann, room=room)["messages"][-1]["id"]
    ann.close()
    missed = {room: send_many(bob, [f"{room} {n}" for n in range(800)], room=room) for room in rooms}
    ann2 = chat.connect("ann")
    answer = ok(ann2.call("resume", {"rooms": since}))["rooms"]
    carried = 0
    for room in rooms:
        got = ok(answer[room])
        if got["recovered"]:
            assert got["messages"] == missed[room]
            carried += len(got["messages"])
        else:
            assert got["messages"] == missed[room][-50:] and got["updated"] == [] and got["has_more"] is True
    assert carried <= 2000 and not all(ok(answer[room])["recovered"] for room in rooms)


# --- no duplicates while messages keep coming ----------------------------------------------------

@pytest.mark.parametrize("how", ["join_room", "resume"])
def test_messages_sent_during_the_recovery_arrive_exactly_once(chat, how):
    """A sender keeps sending (and getting acks) while three returning clients recover at different
    moments: each gets every acknowledged message after its `since` exactly once, the recovered ones
    in the answer and the rest live, never both."""
    ann, bob = chat.connect("ann"), chat.connect("bob")
    joined(ann, bob)
    since = history(ann)["messages"][-1]["id"]
    ann.close()
    before = [send(bob, f"missed {n}") for n in range(20)]

    acked = []
    sending_done = threading.Event()
    errors = []

    def keep_sending():
        try:
            for n in range(150):
                acked.append(send(bob, f"during {n}")["id"])
        except Exception as e:  # reported by the main thread
            errors.append(e)
        finally:
            sending_done.set()

    sender = threading.Thread(target=keep_sending)
    sender.start()
    answers = []
    try:
        for threshold in (20, 70, 120):
            wait_until(lambda: len(acked) >= threshold or sending_done.is_set(), what=f"{threshold} acks")
            client = chat.connect("ann")
            if how == "join_room":
                answer = ok(client.call("join_room", {"room": "general", "since": since}))
            else:
                answer = ok(ok(client.call("resume", {"rooms": {"general": since}}))["rooms"]["general"])
            assert answer["recovered"] is True
            answers.append((client, answer))
    finally:
        sender.join(60)
    assert not errors, errors
    assert len(acked) == 150
    expected = ids(before) + acked
    for client, answer in answers:
        recovered = ids(answer["messages"])
        wait_until(lambda: set(expected) <= set(recovered + ids(live(client))), what="every message arrived")
    marker = send(bob, "that's all")  # anything sent twice has arrived by the time this has
    for client, answer in answers:
        wait_until(lambda: marker["id"] in ids(live(client)), what="the marker arrived")
        recovered = ids(answer["messages"])
        arrived = sorted(ids(live(client)))
        assert recovered == expected[:len(recovered)]  # the answer: a prefix, in order
        assert arrived == expected[len(recovered):] + [marker["id"]], (len(recovered), arrived[:5])
    # The resumers came at different moments: the later ones recovered more.
    assert len(answers[0][1]["messages"]) < len(answers[2][1]["messages"])


# --- daemon restarts -----------------------------------------------------------------------------

ROUNDS = 10
ROOMS = ("general", "nutrition")
PER_SENDER = 12  # messages each sender tries to send per round


class Member:
    """One user's view across restarts: every message it got (recovered or live), per room, and the
    latest state it knows of each (from the message, a resume's `updated`, or live updates)."""

    def __init__(self, name):
        self.name = name
        self.got = {room: [] for room in ROOMS}
        self.how = []
        self.view = {}  # id -> (text, deleted)
        self.client = None

    def last(self):
        return {room: max(ids(self.got[room]), default=0) for room in ROOMS}

    def take(self, room, messages, how):
        self.got[room].extend(messages)
        self.how.extend((room, m["id"], how) for m in messages)
        self.apply(messages)

    def apply(self, messages):
        for m in messages:
            self.view[m["id"]] = (m["message"], m["deleted"])

    def take_live(self, round_):
        for room in ROOMS:
            self.take(room, live(self.client, room), f"live in round {round_}")
        self.apply(self.client.received("message_updated"))
        for gone in self.client.received("message_deleted"):
            self.view[gone["id"]] = ("", True)

    def twice(self, room):
        """How each message that came more than once came (for the failure message)."""
        got = ids(self.got[room])
        return {i: [h for r, x, h in self.how if r == room and x == i] for i in set(got) if got.count(i) > 1}


def test_every_acknowledged_message_survives_ten_sigkills(data_dir, transport):
    """Ten rounds: every member resumes from the highest id it saw, the lifter edits or deletes one of
    its earlier messages, two senders send while the daemon is killed with SIGKILL at a different
    moment each round, and it starts again on the same store. A sleeper stays away for most rounds
    and catches up through `updated`. In the end every member has every acknowledged message exactly
    once, in its acknowledged state, and `fitchat db check` is clean after every kill."""
    chat = Chat(data_dir, transport, UNLIMITED)
    members = {name: Member(name) for name in ("reader", "lifter", "runner", "sleeper")}
    acked = {}  # id -> (room, text): every message a sender got an ack for
    changed = {}  # id -> (text, deleted): every acknowledged edit or delete
    sender_errors = []
    try:
        for round_ in range(ROUNDS + 1):
            present = [m for m in members.values()
                       if m.name != "sleeper" or round_ % 4 == 0 or round_ == ROUNDS]
            for m in present:
                m.client = chat.connect(m.name)
                if round_ == 0:
                    for room in ROOMS:
                        m.take(room, ok(m.client.call("join_room", {"room": room}))["messages"], "first join")
                    continue
                rooms = ok(m.client.call("resume", {"rooms": m.last()}))["rooms"]
                assert set(rooms) == set(ROOMS), rooms
                for room in ROOMS:
                    answer = ok(rooms[room])
                    assert answer["recovered"] is True, (round_, m.name, room, answer["messages"][:3])
                    assert ids(answer["messages"]) == sorted(set(ids(answer["messages"])))
                    assert all(x["id"] > m.last()[room] for x in answer["messages"])
                    m.take(room, answer["messages"], f"resumed in round {round_} from {m.last()[room]}")
                    m.apply(answer["updated"])
            if round_ == ROUNDS:
                break

            # The lifter changes one of its acknowledged messages; those connected see it live before
            # the senders start (so the kill cannot catch the update half-recorded by this client).
            lifter = members["lifter"]
            own = sorted(i for i, (room, text) in acked.items() if text.startswith("lifter") and i not in changed)
            if own:
                target, room = own[0], acked[own[0]][0]
                if round_ % 2:
                    ok(lifter.client.call("delete_message", {"room": room, "id": target}))
                    changed[target] = ("", True)
                    event, match = "message_deleted", (lambda e: e["id"] == target)
                else:
                    text = f"{acked[target][1]} (edited in round {round_})"
                    ok(lifter.client.call("edit_message", {"room": room, "id": target, "message": text}))
                    changed[target] = (text, False)
                    event, match = "message_updated", (lambda e: e["id"] == target)
                for m in present:
                    wait_until(lambda: any(match(e) for e in m.client.received(event)), what=f"{m.name}: {event}")

            this_round = []

            def sender(member, round_=round_, this_round=this_round):
                try:
                    for n in range(PER_SENDER):
                        room = ROOMS[n % 2]
                        text = f"{member.name} round {round_} set {n}"
                        ack = call_unless_dropped(member.client, "send_message", {"room": room, "message": text})
                        if ack is None:
                            return
                        message = ok(ack)["message"]
                        acked[message["id"]] = (room, text)
                        this_round.append(message["id"])
                except Exception as e:  # asserted by the main thread
                    sender_errors.append((member.name, round_, repr(e)))

            threads = [threading.Thread(target=sender, args=(members[name],)) for name in ("lifter", "runner")]
            for t in threads:
                t.start()
            # Kill at a different moment each round: early, mid-stream, or once everything was acked.
            kill_after = (3 + 7 * round_) % (2 * PER_SENDER + 1)
            wait_until(lambda: len(this_round) >= kill_after or not any(t.is_alive() for t in threads),
                       what=f"{kill_after} acks in round {round_}")
            chat.daemon.stop(sig=signal.SIGKILL)
            for t in threads:
                t.join(30)
                assert not t.is_alive(), "a sender hung after the kill"
            assert not sender_errors, sender_errors
            for m in present:
                m.take_live(round_)
                m.client.close()
            chat.clients = []
            assert chat.cli("db", "check").stdout == DB_CHECK_OK, round_
            chat.restart(sig=signal.SIGKILL)

        assert len(acked) >= 5 * ROUNDS and len(changed) >= ROUNDS - 1, (len(acked), len(changed))
        for m in members.values():
            for room in ROOMS:
                got = ids(m.got[room])
                assert len(got) == len(set(got)), f"{m.name} got messages twice in {room}: {m.twice(room)}"
                missing = [i for i, (r, _) in acked.items() if r == room and i not in got]
                assert not missing, f"{m.name} never got {missing} in {room}"
            for message_id, (room, text) in acked.items():
                assert m.view[message_id] == changed.get(message_id, (text, False)), (m.name, message_id)
    finally:
        chat.close()
    assert chat.cli("db", "check").stdout == DB_CHECK_OK
