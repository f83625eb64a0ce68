"""Issue 16's reports list for moderators through the real python-socketio client, in both
transports: `get_reports` (the rooms the caller moderates — public rooms for a moderator, a private
room's too for an admin —, newest first, open ones unless `include_resolved`, each with its
reporter, author and the message as it is now; members get `forbidden`) and `resolve_report` (a
report of another room, or none, is `invalid_request`; resolving again keeps the first resolution;
`report_resolved` reaches the room's other moderators online and the caller's other connections,
nobody else)."""
from fitchat_e2e import failed, ok
from moderation_helpers import gym  # noqa: F401 (a fixture)
from room_chat import fence, joined, send, transport  # noqa: F401 (transport: a fixture)


def report(client, message, reason="spam", room="general"):
    return ok(client.call("report_message", {"room": room, "id": message["id"], "reason": reason}))["report"]


def listed(client, **fields):
    return ok(client.call("get_reports", fields))["reports"]


def setup_reports(gym):
    """ann reports bob in general and in the private coaches room, bob reports ann in squats."""
    for name in ("ann", "bob"):
        gym.cli("room", "add-member", "coaches", name)
    ann, bob = gym.connect("ann"), gym.connect("bob")
    joined(ann, bob)
    joined(ann, bob, room="squats")
    joined(ann, bob, room="coaches")
    rude = send(bob, "grandma squats again")
    in_general = report(ann, rude, reason="name calling")
    secret = send(bob, "the coaches' secret plan", room="coaches")
    in_coaches = report(ann, secret, reason="off topic", room="coaches")
    pills = send(ann, "cheap pills here", room="squats")
    in_squats = report(bob, pills, reason="selling stuff", room="squats")
    return ann, bob, {"general": in_general, "coaches": in_coaches, "squats": in_squats}, rude


def test_each_moderator_lists_the_reports_of_the_rooms_they_moderate(gym):
    ann, bob, filed, rude = setup_reports(gym)
    desk, owner = gym.connect("desk"), gym.connect("owner")

    # A moderator: the public rooms' reports, newest first, with who and what.
    mine = listed(desk)
    assert [r["id"] for r in mine] == [filed["squats"]["id"], filed["general"]["id"]]
    general = mine[1]
    for key in ("id", "room", "message_id", "reason", "created_at", "resolved_at"):
        assert general[key] == filed["general"][key], key
    assert general["resolved_by"] is None
    assert general["reporter"]["name"] == "ann" and general["author"]["name"] == "bob"
    assert general["message"]["id"] == rude["id"] and general["message"]["message"] == "grandma squats again"
    assert general["message"]["deleted"] is False
    assert "secret" not in str(mine)
    # An admin: the private room's too.
    every = listed(owner)
    assert [r["id"] for r in every] == [filed["squats"]["id"], filed["coaches"]["id"], filed["general"]["id"]]
    assert every[1]["room"] == "coaches" and every[1]["message"]["message"] == "the coaches' secret plan"
    # A member: forbidden, whatever is asked.
    failed(ann.call("get_reports", {}), "forbidden")
    failed(bob.call("get_reports", {"include_resolved": True}), "forbidden")
    failed(desk.call("get_reports", {"include_resolved": "yes"}), "invalid_request")

    # The message as it is now: a tombstone once deleted.
    ok(bob.call("delete_message", {"room": "general", "id": rude["id"]}))
    now = next(r for r in listed(desk) if r["id"] == filed["general"]["id"])
    assert now["message"]["deleted"] is True and now["message"]["message"] != "grandma squats again"
    assert now["author"]["name"] == "bob"


def test_resolving_a_report_tells_the_other_moderators(gym):
    ann, bob, filed, _ = setup_reports(gym)
    desk, desk_phone, desk2, owner = gym.connect("desk"), gym.connect("desk"), gym.connect("desk2"), gym.connect("owner")
    joined(desk, desk_phone, desk2, owner)

    answer = ok(desk.call("resolve_report", {"id": filed["general"]["id"]}))["report"]
    assert answer["id"] == filed["general"]["id"] and answer["room"] == "general"
    assert answer["resolved_at"] and answer["resolved_by"] == "desk"
    assert answer["reporter"]["name"] == "ann" and answer["author"]["name"] == "bob"
    # The other moderators and the caller's other connection hear of it; the caller and members do not.
    for other in (desk_phone, desk2, owner):
        assert other.wait_for("report_resolved", lambda d: d["id"] == filed["general"]["id"]) == {
            "id": filed["general"]["id"], "room": "general"}
    fence(desk, bob)
    fence(ann, bob)
    fence(bob, ann)
    assert desk.received("report_resolved") == []
    assert ann.received("report_resolved") == [] and bob.received("report_resolved") == []

    # Gone from the open list, there with include_resolved.
    assert filed["general"]["id"] not in [r["id"] for r in listed(desk2)]
    with_resolved = {r["id"]: r for r in listed(desk2, include_resolved=True)}
    assert with_resolved[filed["general"]["id"]]["resolved_by"] == "desk"
    assert with_resolved[filed["squats"]["id"]]["resolved_at"] is None

    # Resolving again keeps the first resolution.
    again = ok(desk2.call("resolve_report", {"id": filed["general"]["id"]}))["report"]
    assert again["resolved_by"] == "desk" and again["resolved_at"] == answer["resolved_at"]

    # Another room's report (a private room a moderator does not moderate), or none: invalid_request,
    # the same words either way.
    refused = failed(desk.call("resolve_report", {"id": filed["coaches"]["id"]}), "invalid_request")
    assert str(filed["coaches"]["id"]) in refused
    missing = failed(desk.call("resolve_report", {"id": 999999}), "invalid_request")
    assert missing == refused.replace(str(filed["coaches"]["id"]), "999999")
    failed(ann.call("resolve_report", {"id": filed["squats"]["id"]}), "invalid_request")
    for bad in ("1", None, 1.5):
        failed(desk.call("resolve_report", {"id": bad}), "invalid_request")
    assert filed["coaches"]["id"] in [r["id"] for r in listed(owner)]

    # The admin resolves the private room's: the public rooms' moderators are not told.
    ok(owner.call("resolve_report", {"id": filed["coaches"]["id"]}))
    fence(desk, bob)
    fence(desk2, bob)
    assert [d for d in desk.received("report_resolved") + desk2.received("report_resolved")
            if d["id"] == filed["coaches"]["id"]] == []
    assert [r["id"] for r in listed(owner)] == [filed["squats"]["id"]]
