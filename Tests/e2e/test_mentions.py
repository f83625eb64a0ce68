"""Issue 15 through the real python-socketio client, in both transports: `@name` and `@here`
mentions — who is mentioned (readers of the room only, never the author), the message's `mentions`,
the `mentioned` event on every connection of the mentioned user, the `mentions` count of
`rooms_list`, `get_mentions` (newest first, paged, only rooms the caller can still read), and
edits and deletes changing them."""

from fitchat_e2e import failed, ok
from room_chat import chat, transport  # noqa: F401 (pytest fixtures)
from room_chat import fence, history, joined, room_summary, send




def mentions_of(client, **fields):
    return ok(client.call("get_mentions", fields))


def mention_fence(observer, actor, room="general"):
    """Like `fence`, for a client that may be in no room: `actor` mentions `observer`'s user and
    `observer` waits for that `mentioned`; everything sent to it before has arrived by then."""
    marker = send(actor, f"@{observer.name} fence", room=room)
    observer.wait_for("mentioned", lambda e: e["message"]["id"] == marker["id"])
    return marker


def test_a_name_mentions_its_user_in_any_case_wherever_they_are(chat):
    for name in ("carl", "dave"):
        chat.token(name)
    ann, bob, carl = chat.connect("ann"), chat.connect("bob"), chat.connect("carl")
    bob_phone = chat.connect("bob")  # in no room
    joined(ann, bob)
    sent = send(ann, "Great set @BOB, (@Carl) and @dave! cc x@ann @nobody @ann")
    assert sorted(sent["mentions"]) == ["bob", "carl", "dave"]  # not the author, not a word-internal @, not unknowns
    assert bob.wait_for("new_message", lambda m: m["id"] == sent["id"]) == sent
    expected = {"room": "general", "message": sent}
    assert bob.wait_for("mentioned") == expected
    assert bob_phone.wait_for("mentioned") == expected
    assert carl.wait_for("mentioned") == expected  # carl is in no room at all
    assert history(carl, limit=1)["messages"] == [sent]

    # Near misses: longer names, names continued by characters user names may hold.
    near = send(ann, "@bobby @carl.x @dave-2 @bob2 email bob@gym.example")
    assert near["mentions"] == []

    # A name at the end of a sentence, its full stop after it (README: `@ann.` means ann).
    stop = send(ann, "See you at six, @bob.")
    assert stop["mentions"] == ["bob"]
    for client in (bob, bob_phone):
        assert client.wait_for("mentioned", lambda e: e["message"]["id"] == stop["id"])
    assert mentions_of(bob) == {"ok": True, "mentions": [stop, sent], "has_more": False}
    summary = room_summary(bob)
    assert (summary["unread"], summary["mentions"]) == (3, 2)
    ok(bob.call("mark_read", {"room": "general", "id": sent["id"]}))
    summary = room_summary(bob)
    assert (summary["unread"], summary["mentions"]) == (2, 1)
    assert mentions_of(bob)["mentions"] == [stop, sent]  # the list keeps it; only the count is about unread
    # dave was offline: the mention waits for him. general is no room of his: no count there.
    dave = chat.connect("dave")
    assert mentions_of(dave)["mentions"] == [sent]
    assert room_summary(dave)["mentions"] == 0 and room_summary(dave)["joined"] is False
    mention_fence(carl, ann)
    mention_fence(bob_phone, ann)
    assert carl.received("mentioned") == [] and bob_phone.received("mentioned") == []
    fence(ann, bob)
    assert ann.received("mentioned") == []


def test_an_at_sign_right_after_a_letter_of_any_script_is_no_mention(chat):
    """A mention starts at the start of the text or after a space or punctuation (contract, README:
    "not ann@example.com"); a letter is a letter whether it is ASCII or not."""
    chat.token("ann")
    bob = chat.connect("bob")
    joined(bob)
    assert send(bob, "x@ann")["mentions"] == []  # the ASCII case
    for text in ("josé@ann", "Zoë@ann", "Ωμέγα@ann"):
        assert send(bob, text)["mentions"] == [], text
    assert send(bob, "¡@ann!")["mentions"] == ["ann"]  # after punctuation: a mention


def test_only_users_who_can_read_the_room_are_mentioned(chat):
    chat.cli("room", "add", "staff", "--description", "Trainers only", "--private")
    for name in ("coach", "ann", "dave"):
        chat.token(name)
    chat.cli("room", "add-member", "staff", "coach")
    chat.cli("room", "add-member", "staff", "ann")
    coach, ann, bob, carl = chat.connect("coach"), chat.connect("ann"), chat.connect("bob"), chat.connect("carl")
    joined(coach, ann, room="staff")
    secret = send(ann, "@coach @bob @carl bonus plan", room="staff")
    assert secret["mentions"] == ["coach"]
    assert coach.wait_for("mentioned") == {"room": "staff", "message": secret}

    dm = ok(ann.call("open_direct", {"user": "carl"}))["room"]["name"]
    joined(ann, room=dm)
    private = send(ann, "@carl @bob @coach just us", room=dm)
    assert private["mentions"] == ["carl"]
    assert carl.wait_for("mentioned") == {"room": dm, "message": private}

    # A disabled user reads nothing: not mentioned.
    chat.cli("user", "disable", "dave")
    joined(ann)
    assert send(ann, "@dave are you there?")["mentions"] == []

    mention_fence(bob, ann)
    assert bob.received("mentioned") == []
    assert mentions_of(bob)["mentions"] == [m for m in history(bob, limit=1)["messages"]]  # the fence alone
    mention_fence(coach, ann)
    assert coach.received("mentioned") == []


def test_at_most_twenty_names_count_in_one_message(chat):
    names = [f"lifter{n:02d}" for n in range(22)]
    for name in names:
        chat.token(name)
    ann = chat.connect("ann")
    joined(ann)
    roll_call = send(ann, "Roll call: " + " ".join("@" + n for n in names))
    assert sorted(roll_call["mentions"]) == names[:20]
    late = chat.connect(names[21])
    assert mentions_of(late)["mentions"] == []
    first = chat.connect(names[0])
    assert mentions_of(first)["mentions"] == [roll_call]


def test_here_mentions_the_participants_online_at_send_time(chat):
    ann, bob, carl, dave = chat.connect("ann"), chat.connect("bob"), chat.connect("carl"), chat.connect("dave")
    eve = chat.connect("eve")  # online, but no participant of general
    frank = chat.connect("frank")
    joined(ann, bob, carl, dave, frank)
    dave.close()
    frank.close()
    frank = chat.connect("frank")  # a participant, online, though this connection is in no room
    ann.wait_for("presence", lambda p: p["user"]["name"] == "dave" and p["online"] is False)
    online = {p["user"]["name"] for p in ok(ann.call("join_room", {"room": "general"}))["participants"] if p["online"]}
    assert online == {"ann", "bob", "carl", "frank"}

    shout = send(ann, "@here leg day at 6")
    assert sorted(shout["mentions"]) == ["bob", "carl", "frank"]  # the online participants but the author
    for client in (bob, carl, frank):
        assert client.wait_for("mentioned") == {"room": "general", "message": shout}
    both = send(bob, "@here and @dave too")
    assert sorted(both["mentions"]) == ["ann", "carl", "dave", "frank"]
    assert ann.wait_for("mentioned")["message"] == both

    mention_fence(eve, bob)
    assert eve.received("mentioned") == []
    fence(ann, bob)
    assert ann.received("mentioned") == []
    dave = chat.connect("dave")
    assert mentions_of(dave)["mentions"] == [both]
    summary = room_summary(dave)
    assert (summary["mentions"], summary["unread"]) == (1, 4)  # shout, both and the two fences


def test_get_mentions_pages_newest_first_and_shows_only_rooms_still_readable(chat):
    chat.cli("room", "add", "staff", "--description", "Trainers only", "--private")
    for name in ("ann", "bob"):
        chat.token(name)
        chat.cli("room", "add-member", "staff", name)
    ann, bob = chat.connect("ann"), chat.connect("bob")
    for room in ("general", "staff"):
        joined(ann, bob, room=room)
    sent = [send(ann, f"@bob set {n}", room="staff" if n % 3 == 0 else "general") for n in range(7)]
    newest_first = sent[::-1]

    assert mentions_of(bob) == {"ok": True, "mentions": newest_first, "has_more": False}
    pages, before = [], None
    while True:
        page = mentions_of(bob, limit=3, **({"before": before} if before else {}))
        pages.append(page["mentions"])
        if not page["has_more"]:
            break
        before = page["mentions"][-1]["id"]
    assert pages == [newest_first[0:3], newest_first[3:6], newest_first[6:7]]
    assert room_summary(bob, "staff")["mentions"] == 3 and room_summary(bob)["mentions"] == 4

    chat.cli("room", "remove-member", "staff", "bob")
    assert bob.wait_for("room_removed")["room"] == "staff"
    readable = [m for m in newest_first if m["room"] == "general"]
    assert mentions_of(bob) == {"ok": True, "mentions": readable, "has_more": False}
    first = mentions_of(bob, limit=2)
    assert first == {"ok": True, "mentions": readable[:2], "has_more": True}
    rest = mentions_of(bob, limit=2, before=first["mentions"][-1]["id"])
    assert rest == {"ok": True, "mentions": readable[2:], "has_more": False}
    # A `before` in the middle of the hidden room's messages still skips them.
    assert mentions_of(bob, before=sent[3]["id"])["mentions"] == [sent[2], sent[1]]

    for payload in ({"limit": 0}, {"limit": 101}, {"limit": "x"}, {"before": -1}, {"before": "x"}, ["x"], "x"):
        failed(bob.call("get_mentions", payload), "invalid_request")
    assert mentions_of(bob, limit=100)["mentions"] == readable
    # An archived room drops out too.
    chat.cli("room", "archive", "general")
    assert mentions_of(bob) == {"ok": True, "mentions": [], "has_more": False}


def test_edits_add_and_remove_mentions_and_a_delete_takes_them_away(chat):
    ann, bob, carl = chat.connect("ann"), chat.connect("bob"), chat.connect("carl")
    joined(ann, bob)
    original = send(ann, "hello team")
    assert original["mentions"] == []

    def edit(text):
        return ok(ann.call("edit_message", {"room": "general", "id": original["id"], "message": text}))["message"]

    first = edit("hello team @carl")
    assert first["mentions"] == ["carl"] and first["is_edited"] is True
    assert carl.wait_for("mentioned") == {"room": "general", "message": first}
    assert bob.wait_for("message_updated", lambda m: m["mentions"] == ["carl"]) == first
    second = edit("hello team @carl @bob")
    assert sorted(second["mentions"]) == ["bob", "carl"]
    assert bob.wait_for("mentioned") == {"room": "general", "message": second}
    # carl was mentioned already: no second `mentioned` for him.
    marker = mention_fence(carl, ann)
    assert carl.received("mentioned") == []
    assert mentions_of(carl)["mentions"] == [marker, second]

    third = edit("hello team @bob")
    assert third["mentions"] == ["bob"]
    assert mentions_of(carl)["mentions"] == [marker]
    assert mentions_of(bob)["mentions"] == [third]
    assert room_summary(bob)["mentions"] == 1

    ok(ann.call("delete_message", {"room": "general", "id": original["id"]}))
    bob.wait_for("message_deleted", lambda d: d["id"] == original["id"])
    assert mentions_of(bob) == {"ok": True, "mentions": [], "has_more": False}
    summary = room_summary(bob)
    # The tombstone still counts as unread until read (README), but mentions nobody.
    assert (summary["mentions"], summary["unread"]) == (0, 2)
    tombstone = next(m for m in history(bob)["messages"] if m["id"] == original["id"])
    assert tombstone["deleted"] is True and tombstone["mentions"] == []
