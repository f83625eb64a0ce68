"""Shared by the issue-16 moderation and report end-to-end files: a gym with an admin, two
moderators and members (a `Chat` of room_chat.py), and readers of the daemon's log lines. A module
of its own, uniquely named: never import helpers from conftest."""
import re

import pytest

from fitchat_e2e import ok
from room_chat import UNLIMITED, Chat

# Who is who in every test's gym: `owner` is an admin, `desk` and `desk2` moderators, the rest members.
ROLES = {"owner": "admin", "desk": "moderator", "desk2": "moderator"}
MEMBERS = ("ann", "bob", "carl")


@pytest.fixture
def gym(data_dir, transport):
    g = Chat(data_dir, transport, UNLIMITED)
    for name in (*ROLES, *MEMBERS):
        g.token(name)
    for name, role in ROLES.items():
        g.cli("user", "set", name, "--role", role)
    g.cli("room", "add", "squats", "--description", "Leg day")
    g.cli("room", "add", "coaches", "--description", "Coaches only", "--private")
    yield g
    g.close()


def mute(actor, user, minutes=10, room="general"):
    return actor.call("mute", {"room": room, "user": user, "minutes": minutes})


def ban(actor, user, room="general", reason=None):
    payload = {"room": room, "user": user}
    if reason is not None:
        payload["reason"] = reason
    return actor.call("ban", payload)


def rooms_by_name(client):
    return {r["name"]: r for r in ok(client.call("get_rooms"))["rooms"]}


def notices(daemon, action):
    """The daemon's notice lines (FITCHAT_LOG_TARGET=stderr) for one moderation action, each as its
    `key=value` fields: `TIME notice fitchat: action=ban actor=desk room=general target=ann [ChatGateway] …`."""
    found = []
    for line in daemon.read_log_all().splitlines():
        level, _, rest = line.partition(" fitchat: ")
        if not level.endswith(" notice") or f" action={action} " not in " " + rest:
            continue
        found.append(dict(re.findall(r"(\w+)=(\S+)", rest.split(" [", 1)[0])))
    return found
