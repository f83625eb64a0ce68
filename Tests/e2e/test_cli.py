"""The admin CLI against a real store, with and without a running daemon (issue 2)."""
import json
import os
import shutil
import subprocess
import urllib.request

from fitchat_e2e import DB_CHECK_OK, AS_SERVICE_USER, FITCHAT, Daemon, free_port, give_to_service_user


def test_healthz_answers_ok(daemon):
    with urllib.request.urlopen(daemon.url + "/healthz", timeout=5) as r:
        assert r.status == 200
        assert r.read().strip() == b"ok"
    # HEAD too (health checkers and curl -I use it): the head of GET, no body.
    with urllib.request.urlopen(urllib.request.Request(daemon.url + "/healthz", method="HEAD"), timeout=5) as r:
        assert r.status == 200 and r.read() == b""
    # The start-up line says what to open.
    assert f"listening on http://127.0.0.1:{daemon.port}/" in daemon.read_log()


def test_a_data_directory_the_daemon_cannot_write_is_a_sentence():
    import tempfile
    locked = tempfile.mkdtemp(prefix="fitchat-root-only-")  # 0700, root's
    hidden = os.path.join(locked, "inside")
    os.mkdir(hidden)
    port = free_port()
    result = subprocess.run([*AS_SERVICE_USER, FITCHAT, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(locked)],
                            env=dict(os.environ, FITCHAT_CONFIG=os.devnull), capture_output=True, text=True, timeout=30)
    assert result.returncode == 1, result.stderr
    if AS_SERVICE_USER:  # as root every directory is writable
        assert f"cannot write in the data directory {locked}" in result.stderr, result.stderr
        beyond = subprocess.run([*AS_SERVICE_USER, FITCHAT, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", hidden],
                                env=dict(os.environ, FITCHAT_CONFIG=os.devnull), capture_output=True, text=True, timeout=30)
        assert beyond.returncode == 1, beyond.stderr
        assert f"cannot reach the data directory {hidden}: permission denied" in beyond.stderr, beyond.stderr
    shutil.rmtree(locked)


def test_every_command_has_help():
    for args in (["--help"], ["serve", "--help"], ["db", "status", "--help"], ["user", "add", "--help"],
                 ["room", "add-member", "--help"], ["token", "issue", "--help"], ["export", "--help"],
                 ["backup", "--help"], ["restore", "--help"]):
        result = subprocess.run([FITCHAT, *args], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, args
        assert "USAGE" in result.stdout.upper(), args


def test_seed_rooms_and_status(data_dir):
    d = Daemon(data_dir, free_port())
    d.cli("db", "migrate")  # makes the store; read commands never do
    rooms = d.cli("room", "list").stdout
    for name in ("general", "workout-tips", "nutrition", "progress"):
        assert name in rooms
    status = d.cli("db", "status").stdout
    assert "schema version" in status.lower()
    assert d.cli("db", "check").stdout == DB_CHECK_OK


def test_users_rooms_members_while_the_daemon_runs(daemon):
    added = daemon.cli("user", "add", "ann", "--display-name", "Ann Lee", "--password-stdin",
                       input="correct horse battery\n")
    assert "ann" in added.stdout
    daemon.cli("user", "add", "coach", "--admin")
    users = daemon.cli("user", "list").stdout
    assert "Ann Lee" in users and "admin" in users
    daemon.cli("room", "add", "trainers", "--description", "Staff only", "--private")
    daemon.cli("room", "add-member", "trainers", "coach")
    rooms = daemon.cli("room", "list").stdout
    assert "trainers" in rooms and "private" in rooms
    daemon.cli("room", "archive", "trainers")
    assert "archived" in daemon.cli("room", "list").stdout
    assert daemon.cli("db", "check").stdout == DB_CHECK_OK


def test_mistakes_are_one_line_on_stderr(daemon):
    for args, needle in ((["user", "add", "bad name!"], "invalid user name"),
                         (["room", "add", "Upper", "--description", "x"], "invalid room name"),
                         (["room", "add-member", "general", "nobody"], "nobody"),
                         (["user", "disable", "ghost"], "ghost")):
        result = daemon.cli(*args, expect=1)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, (args, result.stderr)
        assert needle in lines[0], (args, result.stderr)
    daemon.cli("user", "add", "ann")
    dup = daemon.cli("user", "add", "ann", expect=1)
    assert "already exists" in dup.stderr


def test_a_second_daemon_on_the_same_data_dir_is_refused(daemon):
    second = subprocess.run([FITCHAT, "serve", "--listen", f"127.0.0.1:{free_port()}", "--data-dir", daemon.data_dir],
                            capture_output=True, text=True, env=daemon.env(), timeout=30)
    assert second.returncode == 1, second.stderr
    assert "already serving" in second.stderr


def test_token_issue_prints_a_token_last(daemon):
    token = daemon.token("bot-1")
    assert len(token) >= 40 and " " not in token
    missing = daemon.cli("token", "issue", "nobody", expect=1)


def test_backup_while_running_and_restore_refused_while_running(daemon, tmp_path):
    daemon.cli("user", "add", "ann")
    dest = tmp_path / "backup"
    daemon.cli("backup", str(dest))
    assert (dest / "data.mdb").exists()
    refused = daemon.cli("restore", str(dest), expect=1)
    assert "in use" in refused.stderr
    daemon.stop()
    daemon.cli("user", "add", "bob")
    daemon.cli("restore", str(dest))
    users = daemon.cli("user", "list").stdout
    assert "ann" in users and "bob" not in users
    assert daemon.cli("db", "check").stdout == DB_CHECK_OK


def test_export_is_json_lines_oldest_first(daemon):
    daemon.cli("user", "add", "ann")
    daemon.cli("room", "add-member", "general", "ann")
    daemon.cli("room", "add-member", "nutrition", "ann")
    lines = daemon.cli("export").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 2
    assert [r["message_type"] for r in records] == ["join", "join"]
    assert records[0]["id"] < records[1]["id"]
    for key in ("id", "room", "user", "message", "message_type", "created_at", "is_edited", "edited_at"):
        assert key in records[0]
    only = [json.loads(line) for line in daemon.cli("export", "--room", "nutrition").stdout.splitlines()]
    assert [r["room"] for r in only] == ["nutrition"]


# What a new owner hits (issue 10): no store made by mistake, absolute paths, sentences not internals.

def test_read_commands_never_create_a_store(data_dir):
    d = Daemon(data_dir, free_port())
    for args in (["user", "list"], ["db", "status"], ["db", "check"], ["export"], ["room", "list"],
                 ["user", "disable", "ann"], ["backup", os.path.join(data_dir, "bk")]):
        result = d.cli(*args, expect=1)
        assert f"no fitchat store in {os.path.realpath(data_dir)}" in result.stderr, (args, result.stderr)
    assert not os.path.exists(os.path.join(data_dir, "data.mdb"))
    assert not os.path.exists(os.path.join(data_dir, "bk"))


def test_a_missing_data_dir_is_named_absolutely_and_never_created(tmp_path):
    missing = tmp_path / "nowhere"
    env = dict(os.environ, FITCHAT_CONFIG=os.devnull)
    for args in (["user", "list"], ["user", "add", "ann"], ["token", "issue", "ann", "--create"], ["db", "migrate"]):
        result = subprocess.run([FITCHAT, *args, "--data-dir", "nowhere"], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 1, (args, result.stderr)
        assert str(missing) in result.stderr, (args, result.stderr)
    assert not missing.exists()


def test_creating_commands_make_a_store_in_an_existing_directory(data_dir):
    d = Daemon(data_dir, free_port())
    d.token("ann", create=True)
    assert "ann" in d.cli("user", "list").stdout


def test_writes_behind_a_daemon_that_cannot_be_told_are_refused(data_dir):
    runtime = os.path.join(data_dir, "run")  # the data dir belongs to the daemon's user
    os.mkdir(runtime)
    give_to_service_user(runtime)
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_RUNTIME_DIR": str(runtime)})
    d.cli("user", "add", "ann")
    d.start()
    try:
        # The CLI, without the daemon's runtime dir, cannot reach its control socket.
        other = dict(d.env())
        other.pop("FITCHAT_RUNTIME_DIR")
        result = subprocess.run([FITCHAT, "user", "disable", "ann", "--data-dir", data_dir], env=other,
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 1, result.stderr
        assert os.path.join(os.path.realpath(data_dir), "control.sock") in result.stderr, result.stderr
        assert "nothing was changed" in result.stderr
        assert "active" in d.cli("user", "list").stdout
        # With the daemon's runtime dir the same command works.
        d.cli("user", "disable", "ann")
        assert "disabled" in d.cli("user", "list").stdout
    finally:
        d.stop()


def test_an_address_in_use_is_a_sentence_and_leaves_no_pid_file(daemon, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    result = subprocess.run([FITCHAT, "serve", "--listen", f"127.0.0.1:{daemon.port}", "--data-dir", str(other)],
                            env=daemon.env(), capture_output=True, text=True, timeout=30)
    assert result.returncode == 1, result.stderr
    assert f"cannot listen on 127.0.0.1:{daemon.port}: the address is already in use" in result.stderr, result.stderr
    assert "errno" not in result.stderr and "descriptor" not in result.stderr
    assert not (other / "fitchat.pid").exists()


def test_a_missing_config_file_is_named(tmp_path):
    result = subprocess.run([FITCHAT, "user", "list", "--config", "missing.conf", "--data-dir", str(tmp_path)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1, result.stderr
    assert f"config file {tmp_path}/missing.conf does not exist" in result.stderr, result.stderr
    assert "NSCocoaErrorDomain" not in result.stderr


def test_two_restores_in_one_second_keep_both_previous_stores(data_dir, tmp_path):
    d = Daemon(data_dir, free_port())
    d.cli("user", "add", "ann")
    backup = tmp_path / "backup"
    d.cli("backup", str(backup))
    first = d.cli("restore", str(backup))
    second = d.cli("restore", str(backup))
    assert "NSCocoaErrorDomain" not in first.stderr + second.stderr
    kept = [name for name in os.listdir(data_dir) if ".before-restore-" in name]
    assert len(kept) == 2, kept
    assert "ann" in d.cli("user", "list").stdout
    # Restored by root, the store belongs to the data directory's owner: the unprivileged daemon opens it.
    assert os.stat(os.path.join(data_dir, "data.mdb")).st_uid == os.stat(data_dir).st_uid
    d.start()
    try:
        assert "ann" in d.cli("user", "list").stdout
    finally:
        d.stop()


def test_cli_mistakes_found_in_the_first_hour_trial(daemon):
    daemon.cli("user", "add", "bob")
    dup = daemon.cli("user", "add", "BOB", expect=1)
    assert "user 'bob' already exists" in dup.stderr, dup.stderr
    long = daemon.cli("room", "add", "essays", "--description", "x" * 201, expect=1)
    assert "at most 200 characters" in long.stderr, long.stderr
    daemon.cli("room", "add", "old-room", "--description", "gone soon")
    daemon.cli("room", "archive", "old-room")
    archived = daemon.cli("room", "add-member", "old-room", "bob", expect=1)
    assert "archived" in archived.stderr, archived.stderr
