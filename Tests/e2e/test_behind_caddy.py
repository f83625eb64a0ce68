"""Issue 17, behind a reverse proxy: fitchat behind a real Caddy from Debian (the `caddy` package)
terminating TLS with a certificate the test makes, running the README's Caddy snippet (its one
`reverse_proxy` line; the test adds its own certificate, ports and temp paths). With
`trusted_proxies = 127.0.0.1/32`, python-socketio chats through it over both transports, the
cookie is `Secure` (Caddy says https), and each client counts under the address Caddy names — a
client's own `X-Forwarded-For` buys it no other address.

Caddy runs unprivileged from the test's temp dir, with its admin endpoint off, no HTTP→HTTPS
redirect listener, and its state in the temp dir; no system configuration is read or touched."""
import http.client
import os
import shutil
import ssl
import subprocess
import tempfile
import time

import pytest
import requests

from chat_client import ChatClient
from fitchat_e2e import AS_SERVICE_USER, Daemon, free_port, give_to_service_user, ok
from test_behind_nginx import PASSWORD, handshake, make_certificate

CADDY = shutil.which("caddy") or "/usr/bin/caddy"

# The README's Caddy snippet (keep the two in step) inside the test's own site block and options.
CADDYFILE = """
{{
    admin off
    auto_https disable_redirects
    storage file_system {tmp}/storage
}}

https://127.0.0.1:{port} {{
    tls {tmp}/cert.pem {tmp}/key.pem
    reverse_proxy 127.0.0.1:{upstream}
}}
"""


class Caddy:
    def __init__(self, tmp, upstream):
        self.tmp = tmp
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.cert = os.path.join(tmp, "cert.pem")
        conf = os.path.join(tmp, "Caddyfile")
        with open(conf, "w") as f:
            f.write(CADDYFILE.format(tmp=tmp, port=self.port, upstream=upstream))
        for name in os.listdir(tmp):
            os.chmod(os.path.join(tmp, name), 0o644)
        give_to_service_user(tmp)
        self.log_path = os.path.join(tmp, "caddy.out")
        self.log = open(self.log_path, "ab")
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "XDG_DATA_HOME": tmp, "XDG_CONFIG_HOME": tmp}
        self.proc = subprocess.Popen(
            [*AS_SERVICE_USER, CADDY, "run", "--config", conf, "--adapter", "caddyfile"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("caddy exited: " + self.output())
            try:
                if requests.get(self.url + "/healthz", verify=self.cert, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("caddy did not answer: " + self.output())
            time.sleep(0.1)

    def session(self):
        """A requests session that trusts the test's certificate (and nothing from the environment)."""
        http = requests.Session()
        http.trust_env = False
        http.verify = self.cert
        return http

    def output(self):
        try:
            return open(self.log_path, errors="replace").read()[-3000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


@pytest.fixture
def caddied(data_dir):
    if not os.path.exists(CADDY):
        pytest.fail("caddy is missing: `make test` installs it (TEST_DEBS)")
    daemon = Daemon(data_dir, free_port(), extra_env={
        "FITCHAT_TRUSTED_PROXIES": "127.0.0.1/32",
        "FITCHAT_MAX_PENDING_CONNECTIONS_PER_IP": "2",
    }).start()
    tmp = tempfile.mkdtemp(prefix="fitchat-caddy-")
    caddy = None
    try:
        make_certificate(tmp)
        caddy = Caddy(tmp, daemon.port)
        yield daemon, caddy
    finally:
        if caddy:
            caddy.stop()
        daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def handshake_from(caddy, source, headers=None):
    """A polling handshake through Caddy from the loopback address `source` (127.0.0.0/8 is all
    loopback on Linux): a client of its own as far as Caddy can tell."""
    context = ssl.create_default_context(cafile=caddy.cert)
    connection = http.client.HTTPSConnection("127.0.0.1", caddy.port, context=context, timeout=10,
                                             source_address=(source, 0))
    try:
        connection.request("GET", "/socket.io/?EIO=4&transport=polling", headers=headers or {})
        return connection.getresponse().status
    finally:
        connection.close()


def test_chat_through_caddy_over_both_transports_with_a_secure_cookie(caddied):
    daemon, caddy = caddied
    setup = requests.post(caddy.url + "/setup", json={"username": "coach", "password": PASSWORD},
                          verify=caddy.cert, timeout=30)
    assert setup.status_code == 200, setup.text
    login = requests.post(caddy.url + "/login", json={"username": "coach", "password": PASSWORD},
                          verify=caddy.cert, timeout=30)
    assert login.status_code == 200, login.text
    cookie = login.headers["Set-Cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie, cookie
    session = cookie.split(";", 1)[0]

    coach = ChatClient(caddy.url, transports=["polling"], http_session=caddy.session(),
                       headers={"Cookie": session, "Origin": caddy.url}).connect()
    bob = ChatClient(caddy.url, token=daemon.token("bob"), transports=["websocket"],
                     http_session=caddy.session()).connect()
    try:
        assert coach.sio.transport() == "polling" and bob.sio.transport() == "websocket"
        for client in (coach, bob):
            ok(client.call("join_room", {"room": "general"}))
            client.wait_for("room_joined")
        sent = ok(coach.call("send_message", {"room": "general", "message": "squat PR through Caddy"}))["message"]
        assert bob.wait_for("new_message", lambda m: m["id"] == sent["id"])["message"] == "squat PR through Caddy"
        back = ok(bob.call("send_message", {"room": "general", "message": "nice, over a WebSocket"}))["message"]
        assert coach.wait_for("new_message", lambda m: m["id"] == back["id"])["message"] == "nice, over a WebSocket"
    finally:
        coach.close()
        bob.close()

    # An http Origin behind a proxy that says https is another site's: refused.
    refused = handshake(caddy.url, headers={"Origin": "http://127.0.0.1:%d" % caddy.port}, verify=caddy.cert)
    assert refused.status_code == 403, refused.text


def test_each_client_counts_under_the_address_caddy_names(caddied):
    daemon, caddy = caddied
    # Two half-open sessions per address. 127.0.0.2 names itself differently each time, to no
    # avail: all three are 127.0.0.2 and the third is refused.
    answers = [handshake_from(caddy, "127.0.0.2", {"X-Forwarded-For": f"198.51.100.{80 + i}"}) for i in range(3)]
    assert answers == [200, 200, 429], answers
    # Another client behind the same proxy has its own budget.
    assert handshake_from(caddy, "127.0.0.3") == 200
    refusals = [line for line in daemon.read_log_all().splitlines() if "session refused" in line]
    assert refusals and all("remote=127.0.0.2" in line and "proxy=127.0.0.1" in line for line in refusals), refusals
    assert "198.51.100" not in daemon.read_log_all()
