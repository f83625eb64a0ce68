"""Issue 16's reports through the real python-socketio client, in both transports: a member reports
someone's message, the online moderators of the room hear of it (moderators for a public room,
admins for any) and nobody else does, a duplicate is answered with the same report and no second
notice, the refusals (own message, bad reasons, deleted messages, other rooms, rooms the reporter
cannot see — never leaking), the report bucket, and the front desk's `fitchat reports list` and
`resolve`."""
from fitchat_e2e import failed, ok
from moderation_helpers import gym  # noqa: F401 (a fixture)
from room_chat import fence, history, joined, send, transport  # noqa: F401 (transport: a fixture)


def report(client, message, reason="spam", room="general"):
    return client.call("report_message", {"room": room, "id": message["id"], "reason": reason})


def test_a_report_reaches_the_online_moderators_once(gym):
    ann, bob, carl = gym.connect("ann"), gym.connect("bob"), gym.connect("carl")
    desk, desk_phone, owner = gym.connect("desk"), gym.connect("desk"), gym.connect("owner")
    joined(ann, bob, carl)  # the moderators need not be in the room
    offensive = send(bob, "you all lift like grandmas")

    answer = ok(report(ann, offensive, reason="  insulting people  "))
    assert answer["duplicate"] is False
    filed = answer["report"]
    assert isinstance(filed["id"], int) and filed["id"] > 0
    assert (filed["room"], filed["message_id"], filed["reason"]) == ("general", offensive["id"], "insulting people")
    assert filed["created_at"] and filed["resolved_at"] is None
    for moderator in (desk, desk_phone, owner):
        notice = moderator.wait_for("message_reported", lambda d: d["report"]["id"] == filed["id"])["report"]
        assert {k: notice[k] for k in filed} == filed
        assert notice["reporter"]["name"] == "ann" and set(notice["reporter"]) >= {"id", "name", "display_name"}
        assert notice["message"]["id"] == offensive["id"]
        assert notice["message"]["message"] == "you all lift like grandmas"
        assert notice["message"]["user"]["name"] == "bob"

    # The same reporter again: the same report, nobody told twice. Another reporter: a new report.
    again = ok(report(ann, offensive, reason="still insulting"))
    assert again["duplicate"] is True and again["report"]["id"] == filed["id"]
    second = ok(report(carl, offensive, reason="rude"))
    assert second["duplicate"] is False and second["report"]["id"] != filed["id"]
    for moderator in (desk, desk_phone, owner):
        # (predicates throughout: a client's queue may still hold an event already taken from `seen`)
        notice = moderator.wait_for("message_reported", lambda d: d["report"]["reporter"]["name"] == "carl")["report"]
        assert notice["id"] == second["report"]["id"]
        assert moderator.received("message_reported") == []  # nothing for the duplicate
    # Members hear nothing: not the reporters, not the author, not a bystander.
    fence(ann, carl)
    fence(bob, carl)
    fence(carl, ann)
    for member in (ann, bob, carl):
        assert member.received("message_reported") == [], member.name


def test_a_report_in_a_private_room_reaches_admins_only(gym):
    for name in ("ann", "bob", "desk2"):
        gym.cli("room", "add-member", "coaches", name)
    ann, bob, desk, desk2, owner = (gym.connect(n) for n in ("ann", "bob", "desk", "desk2", "owner"))
    joined(ann, bob, desk2, room="coaches")
    secret = send(bob, "the new programme is a secret", room="coaches")
    filed = ok(report(ann, secret, room="coaches", reason="off topic"))["report"]
    notice = owner.wait_for("message_reported")["report"]
    assert notice["id"] == filed["id"] and notice["room"] == "coaches"
    # A moderator does not moderate a private room, even as its member: no notice.
    fence(desk2, ann, room="coaches")
    assert desk2.received("message_reported") == [] and desk.received("message_reported") == []
    # A moderator reporting in a public room is not told of their own report; the others are.
    joined(desk, bob)
    said = send(bob, "hello all")
    ok(report(desk, said, reason="testing"))
    by_desk = lambda d: d["report"]["reporter"]["name"] == "desk"  # noqa: E731
    assert owner.wait_for("message_reported", by_desk)["report"]["message_id"] == said["id"]
    assert desk2.wait_for("message_reported", by_desk)["report"]["message_id"] == said["id"]
    fence(desk, bob)
    assert desk.received("message_reported") == []


def test_what_cannot_be_reported(gym):
    gym.cli("room", "add-member", "coaches", "bob")
    ann, bob, carl, desk = gym.connect("ann"), gym.connect("bob"), gym.connect("carl"), gym.connect("desk")
    joined(ann, bob, desk)
    joined(ann, bob, room="squats")
    joined(bob, room="coaches")
    mine = send(ann, "my own words")
    theirs = send(bob, "bob's words")
    elsewhere = send(bob, "squat talk", room="squats")
    hidden = send(bob, "coaches' secret plan", room="coaches")
    # The payload: reason required, 1..500 characters, no control characters; ids whole numbers.
    for reason in (None, "", "   ", "x" * 501, "bad\nword", "bad\u0000", 5):
        payload = {"room": "general", "id": theirs["id"]}
        if reason is not None:
            payload["reason"] = reason
        failed(ann.call("report_message", payload), "invalid_request")
    for bad_id in ("1", 1.5, None):
        failed(ann.call("report_message", {"room": "general", "id": bad_id, "reason": "x"}), "invalid_request")
    # Own message; a join message (not what people write).
    assert "own" in failed(report(ann, mine), "invalid_request")
    bobs_join = next(m for m in history(ann)["messages"] if m["message_type"] == "join" and m["user"]["name"] == "bob")
    assert "write" in failed(report(ann, bobs_join), "invalid_request")
    # Another room's message, named as this room's: not found here.
    failed(report(ann, elsewhere), "message_not_found")
    failed(carl.call("report_message", {"room": "general", "id": 999999, "reason": "x"}), "not_joined")
    joined(carl)
    failed(carl.call("report_message", {"room": "general", "id": 999999, "reason": "x"}), "message_not_found")
    # A private room the reporter cannot see: its name is unknown to them, its message ids too.
    failed(report(carl, hidden, room="coaches"), "room_not_found")
    failed(report(carl, hidden), "message_not_found")
    assert "secret" not in str(carl.received("message_reported")) + str(carl.seen)
    # Deleted: not found.
    ok(bob.call("delete_message", {"room": "general", "id": theirs["id"]}))
    failed(report(carl, theirs), "message_not_found")
    # A reason of exactly 500 characters is fine; none of the refusals notified anyone.
    fresh = send(ann, "fresh words")
    filed = ok(report(bob, fresh, reason="r" * 500))["report"]  # (carl's five reports are spent)
    assert desk.wait_for("message_reported")["report"]["id"] == filed["id"]
    assert desk.received("message_reported") == []
    assert len([r for r in gym.cli("reports", "list").stdout.splitlines()[1:] if r.strip()]) == 1


def test_the_sixth_quick_report_is_rate_limited(gym):
    ann, bob = gym.connect("ann"), gym.connect("bob")
    joined(ann, bob)
    messages = [send(bob, f"spam number {n}") for n in range(6)]
    for message in messages[:5]:
        ok(report(ann, message))
    failed(report(ann, messages[5]), "rate_limited")
    ok(report(bob, send(ann, "bob may still report")))  # the bucket is the reporter's


def test_the_front_desk_lists_and_resolves_reports(gym):
    ann, bob = gym.connect("ann"), gym.connect("bob")
    joined(ann, bob)
    rude = send(bob, "grandma squats again")
    filed = ok(report(ann, rude, reason="name calling"))["report"]
    other = ok(report(bob, send(ann, "cheap pills"), reason="selling stuff"))["report"]

    listing = gym.cli("reports", "list").stdout
    header, *rows = [line for line in listing.splitlines() if line.strip()]
    for column in ("ID", "ROOM", "MESSAGE", "AUTHOR", "REPORTER", "REASON", "TEXT"):
        assert column in header, header
    row = next(r for r in rows if r.split()[0] == str(filed["id"]))
    for value in ("general", str(rude["id"]), "bob", "ann", "name calling", "grandma squats again", "open"):
        assert value in row, (value, row)
    assert len(rows) == 2

    resolved = gym.cli("reports", "resolve", str(filed["id"]))
    assert str(filed["id"]) in resolved.stdout and "resolved" in resolved.stdout
    open_rows = [r for r in gym.cli("reports", "list").stdout.splitlines()[1:] if r.strip()]
    assert [r.split()[0] for r in open_rows] == [str(other["id"])]
    every = [r for r in gym.cli("reports", "list", "--all").stdout.splitlines()[1:] if r.strip()]
    assert sorted(r.split()[0] for r in every) == sorted([str(filed["id"]), str(other["id"])])
    assert "resolved by cli:" in next(r for r in every if r.split()[0] == str(filed["id"]))

    # A deleted message's report says so instead of its text.
    ok(ann.call("delete_message", {"room": "general", "id": other["message_id"]}))
    row = next(r for r in gym.cli("reports", "list").stdout.splitlines() if r.split()[:1] == [str(other["id"])])
    assert "(deleted)" in row and "cheap pills" not in row

    missing = gym.cli("reports", "resolve", "999999", expect=1)
    assert "999999" in missing.stderr and missing.stderr.strip(), missing.stderr
    assert "Error" in missing.stderr or "no report" in missing.stderr.lower(), missing.stderr
