"""Issue 16's `fitchat mod` against a running daemon (through its control socket: the clients, over
python-socketio in both transports, see each action at once) and against a stopped one (the CLI
writes the store; the daemon started afterwards enforces it), with the CLI's refusals."""
import subprocess

from fitchat_e2e import FITCHAT, failed, ok
from moderation_helpers import gym, rooms_by_name  # noqa: F401 (gym: a fixture)
from room_chat import history, joined, send, transport  # noqa: F401 (transport: a fixture)


def test_the_cli_moderates_the_running_daemons_clients_at_once(gym):
    ann, bob = gym.connect("ann"), gym.connect("bob")
    joined(ann, bob)

    muted = gym.cli("mod", "mute", "general", "ann", "--minutes", "5").stdout
    assert muted.startswith("'ann' is muted in 'general' until "), muted
    until = ann.wait_for("muted", lambda d: d["until"])["until"]
    assert until[:16] in muted  # the same end, to the minute
    failed(ann.call("send_message", {"room": "general", "message": "am I muted?"}), "muted")
    listing = gym.cli("mod", "list").stdout
    row = next(line for line in listing.splitlines() if " ann " in f" {line} ")
    assert "general" in row and until[:16] in row and "cli:" in row, listing

    assert "may write in 'general' again" in gym.cli("mod", "unmute", "general", "ann").stdout
    assert ann.wait_for("muted", lambda d: d["until"] is None) == {"room": "general", "until": None}
    spoken = send(ann, "free to speak")
    bob.wait_for("new_message", lambda m: m["id"] == spoken["id"])
    assert "was not muted" in gym.cli("mod", "unmute", "general", "ann").stdout
    assert " ann " not in f" {gym.cli('mod', 'list').stdout} "

    banned = gym.cli("mod", "ban", "general", "ann", "--reason", "x").stdout
    assert banned.startswith("'ann' is banned from 'general'") and "no longer a member" in banned
    told = bob.wait_for("user_banned")
    assert (told["room"], told["user"]["name"], told["reason"]) == ("general", "ann", "x")
    assert ann.wait_for("room_removed")["banned"] is True
    assert bob.wait_for("new_message", lambda m: m["message_type"] == "leave")["user"]["name"] == "ann"
    failed(ann.call("join_room", {"room": "general"}), "banned")
    row = next(line for line in gym.cli("mod", "list").stdout.splitlines() if " ann " in f" {line} ")
    assert "banned" in row and " x " in f" {row} " and "general" in row, row

    assert "may join 'general' again" in gym.cli("mod", "unban", "general", "ann").stdout
    assert ann.wait_for("user_unbanned") == {"room": "general"}
    joined(ann)
    assert " ann " not in f" {gym.cli('mod', 'list').stdout} "

    doomed = send(ann, "delete me please")
    assert gym.cli("mod", "delete", "general", str(doomed["id"])).stdout.strip() == \
        f"message {doomed['id']} in 'general' deleted"
    for client in (ann, bob):
        assert client.wait_for("message_deleted", lambda d: d["id"] == doomed["id"]) == \
            {"room": "general", "id": doomed["id"]}
    assert "delete me please" not in [m.get("message") for m in history(bob)["messages"]]


def test_the_cli_refuses_clearly(gym):
    cases = [
        (("mod", "mute", "no-such-room", "ann", "--minutes", "5"), "no-such-room"),
        (("mod", "mute", "general", "nobody", "--minutes", "5"), "nobody"),
        (("mod", "mute", "general", "ann", "--minutes", "0"), "minutes"),
        (("mod", "mute", "general", "ann", "--minutes", "43201"), "minutes"),
        (("mod", "ban", "no-such-room", "ann"), "no-such-room"),
        (("mod", "ban", "general", "nobody"), "nobody"),
        (("mod", "ban", "general", "ann", "--reason", "y" * 501), "reason"),
        (("mod", "unban", "general", "nobody"), "nobody"),
        (("mod", "unmute", "no-such-room", "ann"), "no-such-room"),
        (("mod", "delete", "general", "999999"), "999999"),
        (("mod", "delete", "no-such-room", "1"), "no-such-room"),
    ]
    for args, named in cases:
        result = _refused(gym, *args)
        assert named in result.stderr and "Error" not in result.stdout, (args, result.stderr)
    # A direct conversation has no moderation.
    ann = gym.connect("ann")
    dm = ok(ann.call("open_direct", {"user": "bob"}))["room"]["name"]
    _refused(gym, "mod", "mute", dm, "bob", "--minutes", "5")
    # Nothing was applied.
    assert [line for line in gym.cli("mod", "list").stdout.splitlines()[1:] if line.strip()] == []
    assert all(not r["banned"] and r["muted_until"] is None for r in rooms_by_name(ann).values())


def _refused(gym, *args):
    """Runs the CLI expecting a non-zero exit and a message on stderr; returns the result."""
    result = subprocess.run([FITCHAT, *args, "--data-dir", gym.data_dir], capture_output=True, text=True,
                            env=gym.daemon.env(), timeout=60)
    assert result.returncode != 0 and result.stderr.strip(), (args, result)
    return result


def test_with_the_daemon_stopped_the_cli_writes_the_store(gym):
    ann = gym.connect("ann")
    joined(ann)
    gym.stop()
    banned = gym.cli("mod", "ban", "general", "ann", "--reason", "left the gym").stdout
    assert "no longer a member" in banned
    assert "muted" in gym.cli("mod", "mute", "squats", "bob", "--minutes", "5").stdout
    gym.restart()
    ann, bob = gym.connect("ann"), gym.connect("bob")
    failed(ann.call("join_room", {"room": "general"}), "banned")
    assert rooms_by_name(ann)["general"]["banned"] is True
    joined(bob, room="squats")
    failed(bob.call("send_message", {"room": "squats", "message": "hello?"}), "muted")
    assert rooms_by_name(bob)["squats"]["muted_until"]
    assert "ann" not in gym.cli("room", "members", "general").stdout.split()
