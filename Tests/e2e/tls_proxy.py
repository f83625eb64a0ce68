"""A real reverse proxy (nginx, Caddy) in front of fitchat for the end-to-end tests: TLS with a
certificate the test makes, run unprivileged from the test's temp dir on a free port, and the
walk-through every proxy must pass (sign-up and sign-in with a `Secure` cookie, python-socketio
chatting over both transports, an http Origin refused)."""
import os
import subprocess
import time

import requests

from chat_client import ChatClient
from fitchat_e2e import AS_SERVICE_USER, free_port, give_to_service_user, ok

PASSWORD = "correct horse battery"


def make_certificate(tmp):
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", os.path.join(tmp, "key.pem"), "-out", os.path.join(tmp, "cert.pem"),
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30)


def handshake(base, headers=None, **kwargs):
    """An Engine.IO polling handshake (a half-open session: counted against its address until it times out)."""
    return requests.get(base + "/socket.io/?EIO=4&transport=polling", headers=headers or {}, timeout=10, **kwargs)


class TLSProxy:
    """One proxy process forwarding https://127.0.0.1:PORT to fitchat on `upstream`. A subclass
    writes its configuration in `configure` and returns the command (and environment) to run."""
    name = "proxy"
    start_timeout = 10

    def __init__(self, tmp, upstream):
        self.tmp = tmp
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.cert = os.path.join(tmp, "cert.pem")
        command, env = self.configure(upstream)
        for name in os.listdir(tmp):
            os.chmod(os.path.join(tmp, name), 0o644)
        give_to_service_user(tmp)
        self.output_path = os.path.join(tmp, f"{self.name}.out")
        self.log = open(self.output_path, "ab")
        self.proc = subprocess.Popen([*AS_SERVICE_USER, *command], stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env)
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: " + self.diagnostics())
            try:
                if requests.get(self.url + "/healthz", verify=self.cert, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer: " + self.diagnostics())
            time.sleep(0.1)

    def configure(self, upstream):
        raise NotImplementedError

    def diagnostics(self):
        """The end of what the proxy said, for a failure message."""
        try:
            return open(self.output_path, errors="replace").read()[-3000:]
        except OSError:
            return ""

    def session(self):
        """A requests session that trusts the test's certificate (and nothing from the environment)."""
        http = requests.Session()
        http.trust_env = False
        http.verify = self.cert
        return http

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def chat_through(proxy, daemon, message):
    """The first admin signs up and in through the proxy: the cookie is Secure (the proxy said
    https). python-socketio through https: the cookie's holder over long-polling (with an Origin
    the server accepts only as https, the scheme the proxy reported), a token holder over
    WebSocket; each sees the other's message. An http Origin is another site's: refused."""
    setup = requests.post(proxy.url + "/setup", json={"username": "coach", "password": PASSWORD},
                          verify=proxy.cert, timeout=30)
    assert setup.status_code == 200, setup.text
    assert "Secure" in setup.headers["Set-Cookie"], setup.headers["Set-Cookie"]
    login = requests.post(proxy.url + "/login", json={"username": "coach", "password": PASSWORD},
                          verify=proxy.cert, timeout=30)
    assert login.status_code == 200, login.text
    cookie = login.headers["Set-Cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie, cookie
    session = cookie.split(";", 1)[0]

    coach = ChatClient(proxy.url, transports=["polling"], http_session=proxy.session(),
                       headers={"Cookie": session, "Origin": proxy.url}).connect()
    bob = ChatClient(proxy.url, token=daemon.token("bob"), transports=["websocket"],
                     http_session=proxy.session()).connect()
    try:
        assert coach.sio.transport() == "polling" and bob.sio.transport() == "websocket"
        for client in (coach, bob):
            ok(client.call("join_room", {"room": "general"}))
            client.wait_for("room_joined")
        sent = ok(coach.call("send_message", {"room": "general", "message": message}))["message"]
        assert bob.wait_for("new_message", lambda m: m["id"] == sent["id"])["message"] == message
        back = ok(bob.call("send_message", {"room": "general", "message": "nice, over a WebSocket"}))["message"]
        assert coach.wait_for("new_message", lambda m: m["id"] == back["id"])["message"] == "nice, over a WebSocket"
    finally:
        coach.close()
        bob.close()

    refused = handshake(proxy.url, headers={"Origin": "http://127.0.0.1:%d" % proxy.port}, verify=proxy.cert)
    assert refused.status_code == 403, refused.text
