"""A store fitchat wrote at schema 5 (before issue 15) served by this fitchat: `serve` migrates it,
read positions start at the end of every room, and a client that last saw message 7 before the
upgrade recovers exactly what changed after it — including the edit, deletion and reactions made
before the upgrade. Through python-socketio, both transports."""
import os
import shutil

import pytest

from chat_client import ChatClient
from fitchat_e2e import DB_CHECK_OK, Daemon, free_port, give_to_service_user, ok

SCHEMA_5_STORE = os.path.join(os.path.dirname(__file__), "..", "Fixtures", "schema5-store", "data.mdb")


@pytest.mark.parametrize("transport", [["polling"], ["websocket"]], ids=["polling", "websocket"])
def test_a_store_from_before_issue_15_migrates_and_recovers_across_the_upgrade(data_dir, transport):
    target = os.path.join(data_dir, "data.mdb")
    shutil.copyfile(SCHEMA_5_STORE, target)
    give_to_service_user(target)
    d = Daemon(data_dir, free_port())
    assert "schema version 5 needs migrating to 7" in d.cli("db", "check", expect=1).stderr
    d.start()  # serve migrates
    try:
        assert "schema version: 7" in d.cli("db", "status").stdout
        ann = ChatClient(d.url, token=d.token("ann", create=False), transports=transport).connect()
        rooms = {r["name"]: r for r in ann.wait_for("rooms_list")["rooms"]}
        assert rooms["general"]["joined"] and rooms["general"]["last_id"] == 12
        assert rooms["general"]["last_read"] == 12 and rooms["general"]["unread"] == 0
        assert rooms["dm-2-3"]["unread"] == 0 and rooms["workout-tips"]["joined"] is False
        answer = ok(ann.call("join_room", {"room": "general", "since": 7}))
        assert answer["recovered"] is True
        assert [m["id"] for m in answer["messages"]] == [12]
        updated = {m["id"]: m for m in answer["updated"]}
        assert list(updated) == [5, 6, 7]
        assert updated[5]["message"] == "Leg day" and updated[5]["is_edited"]
        assert updated[6]["deleted"] and updated[6]["message"] == ""
        assert [r["count"] for r in updated[7]["reactions"]] == [2]
        # Unread counting carries on from the migrated counts.
        coach = ChatClient(d.url, token=d.token("coach", create=False), transports=transport).connect()
        ok(coach.call("join_room", {"room": "general"}))
        ok(coach.call("send_message", {"room": "general", "message": "@ann new plan"}))
        assert ann.wait_for("mentioned")["message"]["mentions"] == ["ann"]
        bob = ChatClient(d.url, token=d.token("bob", create=False), transports=transport).connect()
        general = next(r for r in ok(bob.call("get_rooms"))["rooms"] if r["name"] == "general")
        assert (general["unread"], general["mentions"]) == (1, 0)
        for c in (ann, coach, bob):
            c.close()
    finally:
        d.stop()
    assert d.cli("db", "check").stdout == DB_CHECK_OK
