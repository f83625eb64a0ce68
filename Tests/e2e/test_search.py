"""Issue 16 search through the real daemon and python-socketio, in both transports (a smoke test;
the rules are covered by the Swift suites): words folded (case, diacritics), the last word a prefix,
only rooms the caller can read, paging with next_before, and an edit and a delete seen at once."""

from fitchat_e2e import failed, ok
from room_chat import chat, transport  # noqa: F401 (pytest fixtures)
from room_chat import joined, send


def search(client, **fields):
    return ok(client.call("search", fields))


def test_search_finds_what_the_caller_may_read(chat):
    chat.token("ann")
    chat.cli("room", "add", "staff", "--description", "front desk", "--private")
    chat.cli("room", "add-member", "staff", "ann")
    ann, bob = chat.connect("ann"), chat.connect("bob")
    joined(ann, bob)
    joined(ann, room="staff")
    first = send(ann, "Übung macht den Meister: 5x5 squats")
    second = send(bob, "squats again, ÜBUNG!")
    secret = send(ann, "staff squats roster", room="staff")

    found = search(bob, query="ubung squ")
    assert found == {"ok": True, "results": [{"room": "general", "message": second},
                                             {"room": "general", "message": first}], "next_before": None}
    # The private room is ann's alone.
    assert [r["message"]["id"] for r in search(ann, query="squats")["results"]] == [secret["id"], second["id"], first["id"]]
    assert [r["room"] for r in search(bob, query="squats")["results"]] == ["general", "general"]
    failed(bob.call("search", {"query": "squats", "room": "staff"}), "room_not_found")
    failed(bob.call("search", {"query": "💪"}), "invalid_request")

    page = search(ann, query="squats", limit=2)
    assert [r["message"]["id"] for r in page["results"]] == [secret["id"], second["id"]]
    rest = search(ann, query="squats", limit=2, before=page["next_before"])
    assert [r["message"]["id"] for r in rest["results"]] == [first["id"]] and rest["next_before"] is None

    ok(ann.call("edit_message", {"room": "general", "id": first["id"], "message": "Leg day"}))
    ok(bob.call("delete_message", {"room": "general", "id": second["id"]}))
    assert search(bob, query="übung")["results"] == []
    assert [r["message"]["id"] for r in search(bob, query="LEG D")["results"]] == [first["id"]]
    assert "ok: every index entry" in chat.cli("db", "check").stdout
