"""issue 9: the Debian package end to end on a booted Debian 12 (systemd-nspawn).

Steps run in order and share one container; each asserts what the README's "Install on Debian"
promises. The timings (debootstrap, release build, boot, cold start) are printed at the end."""
import base64
import hashlib
import hmac
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time

import pytest

sys.path.append(os.path.join(os.path.dirname(__file__), "..", "e2e"))  # after this folder: its conftest wins
from chat_client import ChatClient  # noqa: E402
from conftest import REPO, TIMINGS, log, timed  # noqa: E402

STATE = {}  # what one step leaves for the next (text sent, tokens, pids)


def build_deb(*args):
    """packaging/build-deb; its last line of output is the .deb's path."""
    out = subprocess.run([os.path.join(REPO, "packaging", "build-deb"), *args], cwd=REPO,
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    path = out.strip().splitlines()[-1]
    assert path.endswith(".deb") and os.path.isfile(path), out
    return path


@pytest.fixture(scope="session")
def debs():
    with timed("release build + package"):
        first = build_deb()
    with timed("package rebuild (revision 2)"):
        second = build_deb("--revision", "2")
    return first, second


def http_get(port, path, timeout=30, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode(errors="replace")
    finally:
        conn.close()


def http_post_json(port, path, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def jwt_hs256(secret, claims):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), head.encode(), hashlib.sha256).digest()
    return head + "." + b64(signature)


def url(port):
    return f"http://127.0.0.1:{port}"


def history(port, token, room="general"):
    client = ChatClient(url(port), token=token).connect()
    try:
        joined = client.call("join_room", {"room": room})
        assert joined.get("ok", True) is not False, joined
        return [m["message"] for m in joined["messages"]]
    finally:
        client.sio.disconnect()


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_0_the_package_is_built_and_lintian_clean(debs):
    first, second = debs
    fields = subprocess.run(["dpkg-deb", "-f", first, "Version", "Depends"], capture_output=True, text=True,
                            check=True).stdout
    version = subprocess.run(["dpkg-parsechangelog", "-l", os.path.join(REPO, "packaging", "changelog"), "-S",
                              "Version"], capture_output=True, text=True, check=True).stdout.strip()
    STATE["version"] = version
    assert f"Version: {version}\n" in fields, fields
    depends = fields.split("Depends:", 1)[1]
    for library in ("liblmdb0", "libsystemd0", "libc6", "libstdc++6"):
        assert library in depends, depends
    assert "swift" not in depends.lower(), "the Swift runtime must be linked statically"
    files = subprocess.run(["dpkg-deb", "-c", first], capture_output=True, text=True, check=True).stdout
    for path in ("./usr/bin/fitchat", "./usr/share/fitchat/www/chat.html", "./lib/systemd/system/fitchat.socket",
                 "./lib/systemd/system/fitchat.service", "./etc/fitchat/fitchat.conf",
                 "./usr/share/man/man1/fitchat.1.gz", "./usr/share/doc/fitchat/copyright",
                 "./usr/share/doc/fitchat/changelog.Debian.gz", "./usr/share/doc/fitchat/README.md"):
        assert path in files, path
    assert subprocess.run(["dpkg", "--compare-versions", os.path.basename(second).split("_")[1], "gt",
                           os.path.basename(first).split("_")[1]]).returncode == 0
    for deb in debs:
        lint = subprocess.run(["lintian", "--fail-on", "error,warning", deb], capture_output=True, text=True)
        log(f"lintian {os.path.basename(deb)}: rc {lint.returncode}\n{lint.stdout}{lint.stderr}")
        problems = [line for line in lint.stdout.splitlines() if line[:2] in ("E:", "W:")]
        assert lint.returncode == 0 and not problems, lint.stdout + lint.stderr


def test_1_apt_installs_the_package_with_its_dependencies(container, debs):
    first, _ = debs
    shutil.copy(first, container.path("/root/"))
    # Neither library is installed in a minimal Debian: apt has to pull them from the mirror. (dpkg
    # may know a name it has seen in a dependency without it being installed: ask for the status.)
    for library in ("liblmdb0", "libqrencode4"):
        status = container.run("dpkg-query", "-W", "-f", "${Status}", library, check=False).stdout
        assert status != "install ok installed", f"the pristine root must not have {library} yet: apt has to pull it"
    with timed("apt-get install"):
        container.sh(f"cd /root && apt-get install -y -q ./{os.path.basename(first)}")
    for library in ("liblmdb0", "libqrencode4"):
        assert container.run("dpkg-query", "-W", "-f", "${Status}", library).stdout == "install ok installed"
    # dpkg-shlibdeps computed the dependencies from the binary's libraries.
    depends = container.run("dpkg-query", "-W", "-f", "${Depends}", "fitchat").stdout
    assert "libqrencode4" in depends and "liblmdb0" in depends, depends
    assert container.run("dpkg-query", "-W", "-f", "${Version}", "fitchat").stdout == STATE["version"]
    assert container.run("fitchat", "--version").stdout.strip() == STATE["version"].rsplit("-", 1)[0]
    assert "fitchat" in container.run("getent", "passwd", "fitchat").stdout
    # The secret: made at install, outside the world-readable config, root:fitchat 0640.
    owner_mode = container.run("stat", "-c", "%U:%G %a", "/etc/fitchat/token-secret").stdout.strip()
    assert owner_mode == "root:fitchat 640", owner_mode
    secret = container.run("cat", "/etc/fitchat/token-secret").stdout.strip()
    assert len(base64.b64decode(secret)) >= 32
    STATE["secret"] = secret
    assert container.run("stat", "-c", "%U:%G %a", "/var/lib/fitchat").stdout.strip() == "fitchat:fitchat 750"


def test_2_the_socket_waits_and_the_first_request_starts_the_service(container, port):
    assert container.run("systemctl", "is-enabled", "fitchat.socket").stdout.strip() == "enabled"
    assert container.run("systemctl", "is-active", "fitchat.socket", check=False).stdout.strip() == "active"
    assert container.run("systemctl", "is-active", "fitchat.service", check=False).stdout.strip() == "inactive"
    start = time.monotonic()
    status, _, body = http_get(port, "/healthz")
    cold = time.monotonic() - start
    TIMINGS["cold start (first request to answer, through fitchat.socket)"] = cold
    log(f"cold start: {cold * 1000:.1f} ms")
    assert status == 200 and body.strip() == "ok", (status, body)
    assert container.run("systemctl", "is-active", "fitchat.service", check=False).stdout.strip() == "active"
    assert container.show("fitchat.service", "NRestarts") == "0"


def test_3_a_real_client_chats_and_the_units_check_out(container, port):
    issued = container.run("fitchat", "token", "issue", "ann", "--create")
    token = issued.stdout.strip().splitlines()[-1]
    assert "using the store /var/lib/fitchat" in issued.stderr, issued.stderr
    # Files the root CLI created belong to the service's user.
    owners = container.sh("stat -c '%n %U' /var/lib/fitchat/*").stdout
    assert "root" not in owners, owners
    STATE["token"] = token

    # A JWT from the "host app", signed with the secret the package made: the daemon found it.
    jwt = jwt_hs256(STATE["secret"], {"sub": "bob", "name": "Bob", "exp": int(time.time()) + 3600})
    ann = ChatClient(url(port), token=token).connect()
    bob = ChatClient(url(port), token=jwt).connect()
    try:
        for client in (ann, bob):
            joined = client.call("join_room", {"room": "general"})
            assert joined.get("ok", True) is not False, joined
        text = f"squats at six {secrets.token_hex(8)}"
        ack = ann.call("send_message", {"room": "general", "message": text})
        assert ack["ok"] and ack["message"]["message"] == text, ack
        got = bob.wait_for("new_message", lambda m: m["message"] == text)
        assert got["user"]["name"] == "ann"
        assert ann.wait_for("new_message", lambda m: m["message"] == text)
        STATE["text"] = text
        # The root CLI reaches the running daemon through /run/fitchat/control.sock: a new room
        # reaches connected clients at once.
        assert container.run("test", "-S", "/run/fitchat/control.sock", check=False).returncode == 0
        container.run("fitchat", "room", "add", "deadlifts", "--description", "Deadlift days")
        bob.wait_for("rooms_list", lambda d: "deadlifts" in [r["name"] for r in d["rooms"]])
    finally:
        ann.sio.disconnect()
        bob.sio.disconnect()

    # The first admin, and the page.
    container.run("fitchat", "user", "add", "coach", "--admin", "--password-stdin", input="correct horse battery\n")
    status, answer = http_post_json(port, "/login", {"username": "coach", "password": "correct horse battery"})
    assert status == 200 and answer["ok"] and answer["user"]["name"] == "coach", (status, answer)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/login", body="username=coach&password=correct+horse+battery",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 303, response.status
    cookie = response.getheader("Set-Cookie").split(";")[0]
    assert cookie.startswith("fitchat_session=")
    # Signed out, / leads to the sign-in page; signed in, to the chat page.
    status, headers, _ = http_get(port, "/")
    assert status == 303 and headers["Location"] in ("/chat", "/login"), (status, headers)
    status, headers, _ = http_get(port, "/chat")
    assert status == 303 and headers["Location"] == "/login", (status, headers)
    status, _, body = http_get(port, "/login")
    assert status == 200 and "<form" in body.lower() and "password" in body.lower(), status
    status, _, body = http_get(port, "/chat", headers={"Cookie": cookie})
    assert status == 200 and "<script" in body and "chat" in body.lower(), (status, body[:500])

    # minbase has no man(1); with it, verify also checks Documentation=man:fitchat(1) resolves.
    container.run("apt-get", "install", "-y", "-q", "--no-install-recommends", "man-db")
    verify = container.run("systemd-analyze", "verify", "/lib/systemd/system/fitchat.socket",
                           "/lib/systemd/system/fitchat.service", check=False)
    assert verify.returncode == 0 and not (verify.stdout + verify.stderr).strip(), verify.stdout + verify.stderr
    security = container.run("systemd-analyze", "security", "--no-pager", "fitchat.service").stdout
    line = [x for x in security.splitlines() if "Overall exposure level" in x][0]
    exposure = float(line.split(":")[1].split()[0])
    log(f"systemd-analyze security on the booted system: {line.strip()}")
    assert exposure <= 1.0, security


def journal(container, *args):
    out = container.run("journalctl", "--no-pager", "-o", "json", *args).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_4_the_journal_has_fields_and_no_message_text(container, port):
    refused = ChatClient(url(port), token="not-a-token")
    with pytest.raises(Exception):
        refused.connect()
    assert "unauthorized" in refused.refusal()

    def entries():
        found = journal(container, "-u", "fitchat.service")
        connected = [e for e in found if e.get("MESSAGE") == "connected" and e.get("FITCHAT_USER") == "ann"]
        refusals = [e for e in found if e.get("MESSAGE") == "connection refused: unauthorized"]
        return (connected, refusals) if connected and refusals else None
    connected, refusals = wait_until(entries, 20, "the connect and refusal entries")
    assert connected[0]["PRIORITY"] == "6" and connected[0].get("FITCHAT_REMOTE"), connected[0]  # info
    assert connected[0]["SYSLOG_IDENTIFIER"] == "fitchat" and "FITCHAT_SESSION" in connected[0]
    assert refusals[0]["PRIORITY"] == "5" and refusals[0].get("FITCHAT_REMOTE"), refusals[0]  # notice
    assert all("CODE_FILE" in e for e in connected + refusals)
    everything = container.run("journalctl", "--no-pager", "-o", "verbose").stdout
    assert "squats at six" not in everything, "message text must never reach the journal"
    assert STATE["text"].split()[-1] not in everything


def test_4b_moderation_is_in_the_journal_with_its_fields_and_no_text(container, port):
    """Issue 16: a moderator's mute and ban over a socket and the root CLI's `fitchat mod mute` are
    notice entries with FITCHAT_ACTION, FITCHAT_ACTOR, FITCHAT_TARGET and FITCHAT_ROOM; the text
    of the message a moderator deleted is nowhere in the journal."""
    container.run("fitchat", "token", "issue", "desk", "--create")
    container.run("fitchat", "user", "set", "desk", "--role", "moderator")
    desk_token = container.run("fitchat", "token", "issue", "desk").stdout.strip().splitlines()[-1]
    container.run("fitchat", "token", "issue", "carl", "--create")
    desk = ChatClient(url(port), token=desk_token).connect()
    ann = ChatClient(url(port), token=STATE["token"]).connect()
    secret = f"deadlift secret {secrets.token_hex(8)}"
    try:
        for client in (desk, ann):
            joined = client.call("join_room", {"room": "general"})
            assert joined.get("ok", True) is not False, joined
        sent = ann.call("send_message", {"room": "general", "message": secret})
        assert sent["ok"], sent
        muted = desk.call("mute", {"room": "general", "user": "ann", "minutes": 10})
        assert muted["ok"] and muted["until"], muted
        assert ann.wait_for("muted", lambda d: d["until"])["room"] == "general"
        refused = ann.call("send_message", {"room": "general", "message": "can I?"})
        assert refused["error"]["code"] == "muted", refused
        deleted = desk.call("delete_message", {"room": "general", "id": sent["message"]["id"]})
        assert deleted["ok"], deleted
        banned = desk.call("ban", {"room": "general", "user": "carl", "reason": "left the gym"})
        assert banned["ok"], banned
    finally:
        desk.sio.disconnect()
        ann.sio.disconnect()
    cli = container.run("fitchat", "mod", "mute", "general", "bob", "--minutes", "5")
    assert "'bob' is muted in 'general'" in cli.stdout, cli.stdout

    expected = [("mute", "desk", "ann"), ("delete_message", "desk", "ann"), ("ban", "desk", "carl"),
                ("mute", "cli:root", "bob")]

    def entries():
        found = [e for e in journal(container) if e.get("FITCHAT_ACTION")]
        keyed = {(e["FITCHAT_ACTION"], e.get("FITCHAT_ACTOR"), e.get("FITCHAT_TARGET")): e for e in found}
        return keyed if all(k in keyed for k in expected) else None
    keyed = wait_until(entries, 20, "the moderation entries")
    for key in expected:
        entry = keyed[key]
        assert entry["PRIORITY"] == "5", entry  # notice
        assert entry["FITCHAT_ROOM"] == "general", entry
        assert entry["MESSAGE"] == f"moderation: {key[0]}", entry
    assert keyed[("mute", "desk", "ann")].get("FITCHAT_UNTIL"), keyed[("mute", "desk", "ann")]
    assert keyed[("mute", "cli:root", "bob")].get("FITCHAT_UNTIL")
    assert keyed[("delete_message", "desk", "ann")]["FITCHAT_MESSAGE_ID"] == str(sent["message"]["id"])
    everything = container.run("journalctl", "--no-pager", "-o", "verbose").stdout
    assert secret.split()[-1] not in everything and "deadlift secret" not in everything, \
        "message text must never reach the journal"


def test_5_the_watchdog_restarts_a_hung_daemon_and_the_socket_keeps_accepting(container, port):
    dropin = container.path("/etc/systemd/system/fitchat.service.d")
    os.makedirs(dropin, exist_ok=True)
    with open(os.path.join(dropin, "test-watchdog.conf"), "w") as f:
        f.write("[Service]\nWatchdogSec=3\n")
    container.run("systemctl", "daemon-reload")
    container.run("systemctl", "restart", "fitchat.service")
    assert container.show("fitchat.service", "WatchdogUSec") == "3s"
    before = int(container.show("fitchat.service", "MainPID"))
    assert before > 0 and container.show("fitchat.service", "NRestarts") == "0"
    container.run("systemctl", "kill", "--kill-whom=main", "--signal=SIGSTOP", "fitchat.service")
    assert container.run("grep", "^State:", f"/proc/{before}/status").stdout.split()[1] == "T", "stopped"
    stopped_at = time.monotonic()

    results = []

    def ask():
        start = time.monotonic()
        try:
            status, _, body = http_get(port, "/healthz", timeout=60)
            results.append((status, body.strip(), time.monotonic() - start))
        except Exception as error:  # refused or reset: the failure this step looks for
            results.append((repr(error), "", time.monotonic() - start))
    threads = []
    for _ in range(6):
        thread = threading.Thread(target=ask)
        thread.start()
        threads.append(thread)
        time.sleep(0.5)

    def restarted():
        pid = int(container.show("fitchat.service", "MainPID") or 0)
        return pid if pid not in (0, before) and container.show("fitchat.service", "ActiveState") == "active" else None
    after = wait_until(restarted, 60, "the watchdog to restart fitchat.service")
    for thread in threads:
        thread.join(70)
    TIMINGS["watchdog restart (SIGSTOP to a new main pid)"] = time.monotonic() - stopped_at
    assert int(container.show("fitchat.service", "NRestarts")) >= 1
    assert after != before
    assert len(results) == 6 and all(r[0] == 200 and r[1] == "ok" for r in results), \
        (results, container.run("journalctl", "--no-pager", "-o", "short-precise", "-n", "60").stdout)
    log("requests during the hang waited " + ", ".join(f"{r[2]:.1f} s" for r in results))
    assert max(r[2] for r in results) > 1.0, "the requests should have waited for the new process"
    watchdog = container.run("journalctl", "--no-pager", "-u", "fitchat.service").stdout
    assert "Watchdog timeout" in watchdog, watchdog[-2000:]

    os.remove(os.path.join(dropin, "test-watchdog.conf"))
    container.run("systemctl", "daemon-reload")
    container.run("systemctl", "restart", "fitchat.service")
    assert container.show("fitchat.service", "WatchdogUSec") == "30s"


def test_6_messages_survive_the_restart_a_backup_and_an_upgrade(container, port, debs):
    assert STATE["text"] in history(port, STATE["token"])
    status = container.run("fitchat", "db", "status").stdout
    assert "/var/lib/fitchat" in status, status
    container.run("fitchat", "backup", "/root/backup")
    assert container.run("test", "-s", "/root/backup/data.mdb", check=False).returncode == 0

    _, second = debs
    shutil.copy(second, container.path("/root/"))
    secret_before = container.run("sha256sum", "/etc/fitchat/token-secret").stdout
    pid_before = int(container.show("fitchat.service", "MainPID"))
    assert pid_before > 0, "the service must be running for the upgrade to restart it"
    with timed("apt-get upgrade to revision 2"):
        container.sh(f"cd /root && apt-get install -y -q ./{os.path.basename(second)}")
    upstream = STATE["version"].rsplit("-", 1)[0]
    assert container.run("dpkg-query", "-W", "-f", "${Version}", "fitchat").stdout == f"{upstream}-2"
    assert container.run("sha256sum", "/etc/fitchat/token-secret").stdout == secret_before
    pid_after = int(container.show("fitchat.service", "MainPID"))
    assert container.show("fitchat.service", "ActiveState") == "active"
    assert pid_after not in (0, pid_before), "the upgrade restarts the running service"
    assert STATE["text"] in history(port, STATE["token"])
    # The kept secret still signs tokens the upgraded daemon accepts.
    jwt = jwt_hs256(STATE["secret"], {"sub": "bob", "exp": int(time.time()) + 600})
    assert STATE["text"] in history(port, jwt)


def test_7_stop_remove_and_purge(container, port):
    container.run("systemctl", "stop", "fitchat.socket", "fitchat.service")
    assert container.show("fitchat.service", "Result") == "success"
    assert container.show("fitchat.service", "ActiveState") == "inactive"
    # With no daemon running, the CLI opens /var/lib/fitchat itself.
    users = container.run("fitchat", "user", "list")
    assert "coach" in users.stdout and "ann" in users.stdout and "/var/lib/fitchat" in users.stderr
    assert "root" not in container.sh("stat -c '%n %U' /var/lib/fitchat/*").stdout
    # Running again, so that the removal has something to stop.
    container.run("systemctl", "start", "fitchat.socket")
    assert http_get(port, "/healthz")[0] == 200
    assert container.show("fitchat.service", "ActiveState") == "active"
    with timed("apt-get remove"):
        container.run("apt-get", "remove", "-y", "-q", "fitchat")
    assert container.run("dpkg-query", "-W", "-f", "${Status}", "fitchat").stdout == "deinstall ok config-files"
    assert container.run("test", "-s", "/var/lib/fitchat/data.mdb", check=False).returncode == 0, "remove keeps the data"
    assert container.run("test", "-f", "/etc/fitchat/token-secret", check=False).returncode == 0
    assert container.run("test", "-f", "/etc/fitchat/fitchat.conf", check=False).returncode == 0
    for unit in ("fitchat.socket", "fitchat.service"):
        assert container.run("systemctl", "is-active", unit, check=False).stdout.strip() != "active", unit
    with pytest.raises(OSError):
        http_get(port, "/healthz", timeout=5)
    with timed("apt-get purge"):
        container.run("apt-get", "purge", "-y", "-q", "fitchat")
    assert container.run("dpkg-query", "-W", "-f", "${Status}", "fitchat", check=False).stdout \
        in ("", "unknown ok not-installed")
    assert container.run("test", "-e", "/var/lib/fitchat", check=False).returncode != 0, "purge removes the data"
    assert container.run("test", "-e", "/etc/fitchat", check=False).returncode != 0, "purge removes /etc/fitchat"
