"""Issue 12's CLI against the real daemon: invites, one-time sign-in links, `user add` on a
terminal and without one, `user set` / `enable`, and room notices reaching connected clients."""
import base64
import hashlib
import json
import os
import pty
import re
import select
import subprocess
import time
import urllib.error
import urllib.request

from chat_client import ChatClient
from fitchat_e2e import DB_CHECK_OK, FITCHAT

CODE = r"[A-Za-z0-9_-]{43}"


def post_json(daemon, path, fields):
    request = urllib.request.Request(daemon.url + path, data=json.dumps(fields).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def invite_rows(daemon):
    """`invite list` as {id: {column: value}}."""
    lines = daemon.cli("invite", "list").stdout.splitlines()
    header = lines[0].split("  ")
    header = [h.strip() for h in header if h.strip()]
    rows = {}
    for line in lines[1:]:
        cells = [c.strip() for c in re.split(r"\s{2,}", line.strip())]
        rows[int(cells[0])] = dict(zip(header, cells))
    return rows


def test_invite_create_list_revoke(daemon):
    made = daemon.cli("invite", "create", "--uses", "2", "--expires", "12h", "--public-url", "https://chat.example-gym.com")
    last = made.stdout.strip().splitlines()[-1]
    match = re.fullmatch(r"https://chat\.example-gym\.com/join/(" + CODE + ")", last)
    assert match, made.stdout
    code = match.group(1)
    assert len(base64.urlsafe_b64decode(code + "=")) == 32  # 256 random bits

    # The default link is the listen address; FITCHAT_PUBLIC_URL sets it too.
    plain = daemon.cli("invite", "create", "--expires", "never", "--role", "admin").stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"http://127\.0\.0\.1:8080/join/" + CODE, plain), plain
    env = dict(daemon.env(), FITCHAT_PUBLIC_URL="https://gym.example/chat/")
    third = subprocess.run([FITCHAT, "invite", "create", "--data-dir", daemon.data_dir], env=env,
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert third.returncode == 0, third.stderr
    assert re.fullmatch(r"https://gym\.example/chat/join/" + CODE, third.stdout.strip().splitlines()[-1]), third.stdout

    rows = invite_rows(daemon)
    assert rows[1]["ROLE"] == "member" and rows[1]["USES"] == "0/2" and rows[1]["STATE"] == "valid", rows
    assert rows[1]["CREATED BY"] == "cli"
    assert rows[2]["ROLE"] == "admin" and rows[2]["USES"] == "0/unlimited" and rows[2]["EXPIRES"] == "never", rows
    assert code not in daemon.cli("invite", "list").stdout  # codes are not stored, so never listed

    daemon.cli("invite", "revoke", "1")
    assert invite_rows(daemon)[1]["STATE"] == "revoked"
    missing = daemon.cli("invite", "revoke", "99", expect=1)
    assert "no invite with id 99" in missing.stderr
    # A value the parser refuses is a usage error (64, EX_USAGE); one the command refuses, 1.
    for bad, status, needle in ((["--expires", "7w"], 1, "not a lifetime"), (["--uses", "0"], 1, "at least one use"),
                                (["--role", "owner"], 64, "owner"), (["--public-url", "chat.example"], 1, "public-url")):
        result = daemon.cli("invite", "create", *bad, expect=status)
        assert needle in result.stderr, (bad, result.stderr)
    assert daemon.cli("db", "check").stdout == DB_CHECK_OK

    # Only the SHA-256 of the code is at rest.
    with open(os.path.join(daemon.data_dir, "data.mdb"), "rb") as f:
        raw = f.read()
    assert code.encode() not in raw and base64.urlsafe_b64decode(code + "=") not in raw
    assert hashlib.sha256(code.encode()).digest() in raw


def run_on_a_terminal(args, answers, env, timeout=60):
    """Runs the CLI with a pseudo-terminal as stdin/stdout/stderr, answering each prompt in turn;
    returns (exit code, everything the terminal showed)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([FITCHAT, *args], stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True)
    os.close(slave)
    shown = b""
    pending = list(answers)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        if pending and shown.rstrip().endswith(pending[0][0].encode()):
            prompt, answer = pending.pop(0)
            shown += b"<answered>"
            os.write(master, answer.encode() + b"\n")
        if proc.poll() is not None and not ready:
            break
    code = proc.wait(timeout=10)
    os.close(master)
    return code, shown.decode(errors="replace")


def test_user_add_on_a_terminal_asks_twice_without_echo(daemon):
    args = ["user", "add", "ann", "--data-dir", daemon.data_dir]
    code, shown = run_on_a_terminal(args, [("New password:", "correct horse battery"), ("Repeat it:", "correct horse battery")],
                                    daemon.env())
    assert code == 0, shown
    assert shown.count("New password:") == 1 and shown.count("Repeat it:") == 1, shown
    assert "correct horse battery" not in shown, "the password was echoed: " + shown
    assert "added member 'ann'" in shown
    status, body = post_json(daemon, "/login", {"username": "ann", "password": "correct horse battery"})
    assert status == 200 and body["user"]["name"] == "ann", body

    # Two different answers make no account.
    code, shown = run_on_a_terminal(["user", "add", "bob", "--data-dir", daemon.data_dir],
                                    [("New password:", "first password"), ("Repeat it:", "second password")], daemon.env())
    assert code != 0 and "the two passwords differ" in shown, shown
    assert "bob" not in daemon.cli("user", "list").stdout


def test_user_add_without_a_terminal_prints_a_one_time_sign_in_link(daemon):
    result = subprocess.run([FITCHAT, "user", "add", "maria", "--display-name", "Maria G", "--data-dir", daemon.data_dir,
                             "--public-url", daemon.url], env=daemon.env(), stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(re.escape(daemon.url) + "/welcome/" + CODE, last), result.stdout
    users = daemon.cli("user", "list").stdout
    maria = next(line for line in users.splitlines() if " maria " in f" {line} ")
    assert " no " in maria  # no password yet: the link is the way in

    # `user link` prints a fresh one (the CLI's password reset); each code differs.
    again = daemon.cli("user", "link", "maria", "--expires", "30m").stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"http://127\.0\.0\.1:8080/welcome/" + CODE, again) and again.split("/")[-1] != last.split("/")[-1]
    refused = daemon.cli("user", "link", "maria", "--expires", "never", expect=64)
    assert "must expire" in refused.stderr
    ghost = daemon.cli("user", "link", "ghost", expect=1)
    assert "ghost" in ghost.stderr

    # With --password-stdin the password is read and no link is printed.
    piped = daemon.cli("user", "add", "sam", "--password-stdin", input="a long password\n")
    assert "/welcome/" not in piped.stdout


def test_a_room_notice_reaches_connected_clients_at_once(daemon):
    daemon.cli("user", "add", "coach", "--admin")
    ann = ChatClient(daemon.url, token=daemon.token("ann")).connect()
    other = ChatClient(daemon.url, token=daemon.token("bob")).connect()
    try:
        assert ann.call("join_room", {"room": "general"})["ok"]
        assert other.call("join_room", {"room": "nutrition"})["ok"]
        started = time.monotonic()
        posted = daemon.cli("room", "notice", "general", "Gym closed Monday for cleaning")
        message = ann.wait_for("new_message", lambda m: m["message_type"] == "system", timeout=5)
        elapsed = time.monotonic() - started
        assert message["message"] == "Gym closed Monday for cleaning" and message["room"] == "general"
        assert message["user"]["name"] == "coach"
        assert f"message {message['id']}" in posted.stdout
        assert elapsed < 5, elapsed
        # It is stored: history shows it to whoever joins later.
        assert other.call("join_room", {"room": "general"})["ok"]
        joined = other.wait_for("room_joined", lambda d: d["room"]["name"] == "general")
        assert any(m["message_type"] == "system" and m["id"] == message["id"] for m in joined["messages"])
        # A room the client is not in does not hear it.
        assert not [m for m in other.received("new_message") if m.get("room") == "nutrition" and m["message_type"] == "system"]
        # Only an active admin signs a notice: a member, or an admin who is disabled, is refused.
        member = daemon.cli("room", "notice", "general", "From Ann", "--from", "ann", expect=1)
        assert "only an active admin may sign a notice" in member.stderr
        daemon.cli("user", "add", "boss", "--admin", "--password-stdin", input="a long password\n")
        daemon.cli("user", "disable", "boss")
        disabled = daemon.cli("room", "notice", "general", "From Boss", "--from", "boss", expect=1)
        assert "only an active admin may sign a notice" in disabled.stderr
        assert not [m for m in ann.received("new_message") if m["message"] in ("From Ann", "From Boss")]
        daemon.cli("user", "set", "ann", "--role", "admin")
        signed = daemon.cli("room", "notice", "general", "From Ann", "--from", "ann")
        assert ann.wait_for("new_message", lambda m: m["message"] == "From Ann", timeout=5)["user"]["name"] == "ann", signed.stdout
        empty = daemon.cli("room", "notice", "general", "   ", expect=1)
        assert "a message needs some text" in empty.stderr
    finally:
        ann.close()
        other.close()


def test_rooms_unarchive_and_set_description_reach_clients(daemon):
    ann = ChatClient(daemon.url, token=daemon.token("ann")).connect()
    try:
        ann.wait_for("rooms_list")
        daemon.cli("room", "archive", "nutrition")
        rooms = ann.wait_for("rooms_list", lambda d: "nutrition" not in [r["name"] for r in d["rooms"]])
        daemon.cli("room", "unarchive", "nutrition")
        ann.wait_for("rooms_list", lambda d: "nutrition" in [r["name"] for r in d["rooms"]])
        daemon.cli("room", "set", "nutrition", "--description", "Meal plans and macros")
        rooms = ann.wait_for("rooms_list", lambda d: any(r["description"] == "Meal plans and macros" for r in d["rooms"]))
        assert rooms
        assert "Meal plans and macros" in daemon.cli("room", "list").stdout
        daemon.cli("room", "add-member", "general", "ann")
        assert "ann" in daemon.cli("room", "members", "general").stdout
    finally:
        ann.close()


def test_user_set_and_enable_take_effect(daemon):
    daemon.cli("user", "add", "coach", "--admin")
    daemon.cli("user", "add", "ann", "--password-stdin", input="correct horse battery\n")

    # Role: at once in the store (the admin page checks it on every request); the last admin stays.
    daemon.cli("user", "set", "ann", "--role", "admin")
    assert re.search(r"\bann\b.*\badmin\b", daemon.cli("user", "list").stdout)
    daemon.cli("user", "set", "coach", "--role", "member")
    last = daemon.cli("user", "set", "ann", "--role", "member", expect=1)
    assert "last active admin" in last.stderr
    nothing = daemon.cli("user", "set", "ann", expect=64)
    assert "--display-name" in nothing.stderr

    # Display name: the next sign-in shows it.
    daemon.cli("user", "set", "ann", "--display-name", "Ann Lee")
    status, body = post_json(daemon, "/login", {"username": "ann", "password": "correct horse battery"})
    assert status == 200 and body["user"]["display_name"] == "Ann Lee", body
    taken = daemon.cli("user", "set", "ann", "--display-name", "coach", expect=1)
    assert "another user's name" in taken.stderr

    # Disable closes her connection; enable lets her back in.
    client = ChatClient(daemon.url, token=daemon.token("ann", create=False)).connect(wait=False)
    assert client.wait_for("status")["user"]["display_name"] == "Ann Lee"
    daemon.cli("user", "set", "coach", "--role", "admin")
    daemon.cli("user", "disable", "ann")
    deadline = time.monotonic() + 10
    client.wait_disconnected()
    assert post_json(daemon, "/login", {"username": "ann", "password": "correct horse battery"})[0] == 401
    assert "disabled" in daemon.cli("token", "issue", "ann", expect=1).stderr
    daemon.cli("user", "enable", "ann")
    status, _ = post_json(daemon, "/login", {"username": "ann", "password": "correct horse battery"})
    assert status == 200
    again = ChatClient(daemon.url, token=daemon.token("ann", create=False)).connect()
    again.close()


def test_backup_time_is_shown_by_db_status(daemon, tmp_path):
    assert "last backup:    never" in daemon.cli("db", "status").stdout
    daemon.cli("backup", str(tmp_path / "bk"))
    status = daemon.cli("db", "status").stdout
    assert re.search(r"last backup:\s+\d{4}-\d\d-\d\dT", status), status
    assert re.search(r"invites\s+0", status) and "signin_links" in status


def test_every_argument_and_option_of_every_command_has_help():
    dump = json.loads(subprocess.run([FITCHAT, "--experimental-dump-help"], capture_output=True, text=True,
                                     timeout=30, check=True).stdout)
    seen, missing = set(), []

    def walk(command, path):
        seen.add(" ".join(path))
        if path[-1] == "help":  # ArgumentParser's own `help` subcommand
            return
        for argument in command.get("arguments") or []:
            if not (argument.get("abstract") or "").strip():
                missing.append((" ".join(path), argument.get("valueName")))
        for sub in command.get("subcommands") or []:
            walk(sub, path + [sub["commandName"]])

    walk(dump["command"], ["fitchat"])
    assert not missing, missing
    for command in ("invite create", "invite list", "invite revoke", "user enable", "user set", "user link",
                    "room unarchive", "room set", "room notice", "room members"):
        assert "fitchat " + command in seen, command
    version = subprocess.run([FITCHAT, "--version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and re.fullmatch(r"\d+\.\d+\.\d+\S*", version.stdout.strip())


def test_a_bad_public_url_is_refused_before_anything_is_made(daemon):
    """Every flag is checked before the store changes: a refused --public-url (exit 1, like the
    other values a command refuses) leaves no account, invite or sign-in link behind."""
    users_before = daemon.cli("user", "list").stdout
    invites_before = daemon.cli("invite", "list").stdout
    added = subprocess.run([FITCHAT, "user", "add", "zed", "--public-url", "ftp://x", "--data-dir", daemon.data_dir],
                           env=daemon.env(), stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert added.returncode == 1 and "public-url" in added.stderr, added
    invite = daemon.cli("invite", "create", "--public-url", "javascript:alert(1)", expect=1)
    assert "public-url" in invite.stderr
    assert daemon.cli("user", "list").stdout == users_before
    assert daemon.cli("invite", "list").stdout == invites_before

    # `user link` with a bad address makes no link, so the one handed out before still works.
    daemon.cli("user", "add", "ivy", "--password-stdin", input="a long password\n")
    good = daemon.cli("user", "link", "ivy").stdout.strip().splitlines()[-1]
    link = daemon.cli("user", "link", "ivy", "--public-url", "ftp://x", expect=1)
    assert "public-url" in link.stderr
    with urllib.request.urlopen(daemon.url + "/api/welcome/" + good.split("/")[-1], timeout=20) as response:
        assert json.loads(response.read())["state"] == "valid"
    assert daemon.cli("db", "check").stdout == DB_CHECK_OK


def test_a_link_on_a_wildcard_listen_address_comes_with_a_note(daemon):
    """With `listen` on every interface and no public_url, the printed link names 0.0.0.0:
    standard error says members need public_url; with one, no note."""
    env = daemon.env()
    env["FITCHAT_LISTEN"] = "0.0.0.0:9090"
    wild = subprocess.run([FITCHAT, "invite", "create", "--data-dir", daemon.data_dir], env=env,
                          capture_output=True, text=True, timeout=60)
    assert wild.returncode == 0, wild.stderr
    assert re.fullmatch(r"http://0\.0\.0\.0:9090/join/" + CODE, wild.stdout.strip().splitlines()[-1]), wild.stdout
    assert "set public_url to the address members open" in wild.stderr, wild.stderr
    public = subprocess.run([FITCHAT, "invite", "create", "--public-url", "https://chat.example/", "--data-dir",
                             daemon.data_dir], env=env, capture_output=True, text=True, timeout=60)
    assert public.returncode == 0, public.stderr
    assert public.stdout.strip().splitlines()[-1].startswith("https://chat.example/join/")
    assert "public_url" not in public.stderr
    local = daemon.cli("invite", "create")
    assert "public_url" not in local.stderr
