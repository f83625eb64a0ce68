"""Issue 16's roles, first slice: `member`, `moderator`, `admin` through the CLI, the admin API and
`/api/me`, and what a moderator may do over python-socketio (both transports): delete anyone's
message in a public room, nothing more than a member in a private room, and no admin API."""
import pytest

from chat_client import ChatClient
from fitchat_e2e import Daemon, failed, free_port, ok
from http_api import login, request

OWNER_PASSWORD = "owner-password-1"
PASSWORD = "deadlift-200kg"


@pytest.fixture
def gym(data_dir):
    d = Daemon(data_dir, free_port()).start()
    d.cli("user", "add", "owner", "--role", "admin", "--password-stdin", input=OWNER_PASSWORD + "\n")
    yield d
    d.stop()


def test_roles_are_given_by_the_cli_and_the_admin_api(gym):
    added = gym.cli("user", "add", "desk", "--role", "moderator", "--password-stdin", input=PASSWORD + "\n")
    assert added.stdout.startswith("added moderator 'desk'")
    assert "disagree" in gym.cli("user", "add", "x", "--admin", "--role", "member", "--password-stdin",
                                 input=PASSWORD + "\n", expect=64).stderr
    assert "moderator" in gym.cli("user", "list").stdout
    status, _, me = request(gym, "GET", "/api/me", token=login(gym, "desk", PASSWORD))
    assert status == 200 and me["role"] == "moderator"
    # A moderator is no admin.
    status, _, answer = request(gym, "GET", "/api/admin/users", token=login(gym, "desk", PASSWORD))
    assert status == 403 and answer["error"]["code"] == "forbidden"
    owner = login(gym, "owner", OWNER_PASSWORD)
    gym.cli("user", "add", "mia", "--password-stdin", input=PASSWORD + "\n")
    status, _, answer = request(gym, "POST", "/api/admin/users/mia/set", {"role": "moderator"}, token=owner)
    assert status == 200 and answer["user"]["role"] == "moderator"
    status, _, answer = request(gym, "POST", "/api/admin/users/mia/set", {"role": "janitor"}, token=owner)
    assert status == 400 and answer["error"]["message"] == "'role' must be \"member\", \"moderator\" or \"admin\""
    assert "is now member" in gym.cli("user", "set", "mia", "--role", "member").stdout
    status, _, answer = request(gym, "POST", "/api/admin/invites", {"role": "moderator"}, token=owner)
    assert status == 200 and answer["invite"]["role"] == "moderator"


@pytest.mark.parametrize("transport", [["polling"], ["websocket"]], ids=["polling", "websocket"])
def test_a_moderator_deletes_in_public_rooms_only(gym, transport):
    gym.cli("user", "add", "desk", "--role", "moderator", "--password-stdin", input=PASSWORD + "\n")
    gym.cli("room", "add", "coaches", "--description", "Coaches", "--private")
    for user in ("desk", "ann"):
        gym.token(user, create=user == "ann")
        gym.cli("room", "add-member", "coaches", user)
    ann = ChatClient(gym.url, token=gym.token("ann", create=False), transports=transport).connect()
    desk = ChatClient(gym.url, token=gym.token("desk", create=False), transports=transport).connect()
    try:
        for room in ("general", "coaches"):
            ok(ann.call("join_room", {"room": room}))
            ok(desk.call("join_room", {"room": room}))
        spam = ok(ann.call("send_message", {"room": "general", "message": "buy followers"}))["message"]
        ok(desk.call("delete_message", {"room": "general", "id": spam["id"]}))
        assert ann.wait_for("message_deleted", lambda d: d["id"] == spam["id"])["room"] == "general"
        ours = ok(ann.call("send_message", {"room": "coaches", "message": "plan for Monday"}))["message"]
        failed(desk.call("delete_message", {"room": "coaches", "id": ours["id"]}), "forbidden")
        # Nor may a moderator edit someone else's message.
        other = ok(ann.call("send_message", {"room": "general", "message": "hello"}))["message"]
        failed(desk.call("edit_message", {"room": "general", "id": other["id"], "message": "bye"}), "forbidden")
    finally:
        ann.close()
        desk.close()
