"""Issue 17, behind a reverse proxy: fitchat behind a real nginx from Debian terminating TLS with a
certificate the test makes. `trusted_proxies = 127.0.0.1/32`: the forwarded client address feeds the
per-address limits and the logs, `X-Forwarded-Proto: https` makes the session cookie `Secure`, and
python-socketio chats through the proxy over both transports. A fitchat that does not trust its peer
ignores the same headers. `/metrics` answers the proxy's loopback clients and the bearer token only.

nginx runs from the test's own prefix, config, pid and log files in a temp dir, on a free port, in
the foreground (no system configuration is read or touched); it is unprivileged like fitchat."""
import json
import os
import shutil
import tempfile

import pytest
import requests
import socketio

from chat_client import ChatClient
from fitchat_e2e import Daemon, free_port, ok
from tls_proxy import PASSWORD, TLSProxy, chat_through, handshake, make_certificate

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
METRICS_TOKEN = "metrics-token-0123456789abcdef"

# The README's nginx snippet, with the test's paths and ports (keep the two in step).
NGINX_CONF = """
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}

    server {{
        listen 127.0.0.1:{port} ssl;
        server_name localhost;
        ssl_certificate     {tmp}/cert.pem;
        ssl_certificate_key {tmp}/key.pem;

        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            # Above Engine.IO's ping interval (25 s) plus its timeout (20 s): a held long-poll or a
            # quiet WebSocket is not cut by the proxy.
            proxy_read_timeout 75s;
            proxy_send_timeout 75s;
            proxy_buffering off;
        }}
    }}
}}
"""


class Nginx(TLSProxy):
    name = "nginx"

    def configure(self, upstream):
        conf = os.path.join(self.tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(tmp=self.tmp, port=self.port, upstream=upstream))
        # -e: the error log from the start (before the config names one); -g: in the foreground.
        return [NGINX, "-p", self.tmp, "-c", conf, "-e", os.path.join(self.tmp, "error.log"),
                "-g", "daemon off;"], None

    def diagnostics(self):
        try:
            return open(os.path.join(self.tmp, "error.log")).read()[-3000:]
        except OSError:
            return ""


@pytest.fixture
def proxied(data_dir):
    if not os.path.exists(NGINX):
        pytest.fail("nginx is missing: `make test` installs nginx-light (TEST_DEBS)")
    daemon = Daemon(data_dir, free_port(), extra_env={
        "FITCHAT_TRUSTED_PROXIES": "127.0.0.1/32",
        "FITCHAT_METRICS_TOKEN": METRICS_TOKEN,
        "FITCHAT_TOKEN_SECRET": "s" * 40,
        "FITCHAT_MAX_PENDING_CONNECTIONS_PER_IP": "2",
    }).start()
    tmp = tempfile.mkdtemp(prefix="fitchat-nginx-")
    nginx = None
    try:
        make_certificate(tmp)
        nginx = Nginx(tmp, daemon.port)
        yield daemon, nginx
    finally:
        if nginx:
            nginx.stop()
        daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def test_chat_through_nginx_over_both_transports_with_a_secure_cookie(proxied):
    daemon, nginx = proxied
    chat_through(nginx, daemon, "deadlift PR through nginx")
    # Straight to fitchat (plain http, nobody said https): no Secure, or the browser would drop it.
    direct = requests.post(daemon.url + "/login", json={"username": "coach", "password": PASSWORD}, timeout=30)
    assert direct.status_code == 200 and "Secure" not in direct.headers["Set-Cookie"], direct.headers


def test_the_forwarded_client_is_the_address_limits_and_logs_use(proxied):
    daemon, nginx = proxied
    # nginx appends its peer (127.0.0.1, trusted) to what the client sent: the client is the
    # rightmost untrusted entry. Two half-open sessions per address: the third from 198.51.100.7
    # is refused, while 198.51.100.8 (another client behind the same proxy) still gets in.
    first = {"X-Forwarded-For": "198.51.100.7"}
    assert handshake(nginx.url, first, verify=nginx.cert).status_code == 200
    assert handshake(nginx.url, first, verify=nginx.cert).status_code == 200
    third = handshake(nginx.url, first, verify=nginx.cert)
    assert third.status_code == 429, third.text
    assert handshake(nginx.url, {"X-Forwarded-For": "198.51.100.8"}, verify=nginx.cert).status_code == 200
    # And a client without the header is 127.0.0.1 itself, with a budget of its own.
    assert handshake(nginx.url, verify=nginx.cert).status_code == 200
    log = daemon.read_log_all()
    refusals = [line for line in log.splitlines() if "session refused" in line]
    assert refusals and all("remote=198.51.100.7" in line for line in refusals), refusals
    assert all("proxy=127.0.0.1" in line for line in refusals), refusals


def test_forwarding_headers_from_an_untrusted_peer_are_ignored(data_dir):
    # This fitchat trusts only 10.9.9.9: the loopback test client forging X-Forwarded-For and
    # Forwarded changes neither its per-address budget nor the address in the log.
    daemon = Daemon(data_dir, free_port(), extra_env={
        "FITCHAT_TRUSTED_PROXIES": "10.9.9.9/32",
        "FITCHAT_MAX_PENDING_CONNECTIONS_PER_IP": "2",
    }).start()
    try:
        forged = [{"X-Forwarded-For": "198.51.100.1"}, {"X-Forwarded-For": "198.51.100.2"},
                  {"Forwarded": "for=198.51.100.3;proto=https"}]
        statuses = [handshake(daemon.url, headers).status_code for headers in forged]
        assert statuses == [200, 200, 429], statuses
        refusals = [line for line in daemon.read_log_all().splitlines() if "session refused" in line]
        assert refusals and all("remote=127.0.0.1" in line for line in refusals), refusals
        assert "198.51.100" not in daemon.read_log_all()
        # Nor does a forged https make the cookie Secure.
        setup = requests.post(daemon.url + "/setup", json={"username": "coach", "password": PASSWORD},
                              headers={"X-Forwarded-Proto": "https"}, timeout=30)
        assert setup.status_code == 200 and "Secure" not in setup.headers["Set-Cookie"], setup.headers
        # A non-loopback client forged as loopback is still the loopback peer here (it is one):
        # /metrics answers; the 404 for outsiders is checked through the proxy below.
        assert requests.get(daemon.url + "/metrics", timeout=10).status_code == 200
    finally:
        daemon.stop()


def test_metrics_through_nginx_need_a_loopback_client_or_the_token(proxied):
    daemon, nginx = proxied
    # The test's own request through nginx comes from 127.0.0.1: a loopback client of a trusted proxy.
    assert requests.get(nginx.url + "/metrics", verify=nginx.cert, timeout=10).status_code == 200
    outsider = {"X-Forwarded-For": "203.0.113.50"}
    refused = requests.get(nginx.url + "/metrics", headers=outsider, verify=nginx.cert, timeout=10)
    assert refused.status_code == 404, refused.text
    assert "fitchat_" not in refused.text
    wrong = requests.get(nginx.url + "/metrics", headers={**outsider, "Authorization": "Bearer nope-" + METRICS_TOKEN},
                         verify=nginx.cert, timeout=10)
    assert wrong.status_code == 404
    allowed = requests.get(nginx.url + "/metrics", headers={**outsider, "Authorization": f"Bearer {METRICS_TOKEN}"},
                           verify=nginx.cert, timeout=10)
    assert allowed.status_code == 200 and "fitchat_" in allowed.text, allowed.text[:300]


def test_a_clients_own_forwarded_header_through_nginx_is_not_believed(proxied):
    """nginx writes X-Forwarded-For and passes a client's own `Forwarded` header on untouched:
    believed, it opened /metrics to anyone and gave every request a fresh address for the limits
    (found by the issue-17 attack). fitchat reads only the family `forwarded_headers` names."""
    daemon, nginx = proxied
    outsider = {"X-Forwarded-For": "203.0.113.51", "Forwarded": "for=127.0.0.1;proto=https"}
    refused = requests.get(nginx.url + "/metrics", headers=outsider, verify=nginx.cert, timeout=10)
    assert refused.status_code == 404, refused.text
    # Two half-open sessions per address: a fresh `Forwarded: for=` each time buys no third.
    answers = [handshake(nginx.url, {"X-Forwarded-For": "198.51.100.60", "Forwarded": f"for=198.51.100.{70 + i}"},
                         verify=nginx.cert).status_code for i in range(3)]
    assert answers == [200, 200, 429], answers


def test_ipv6_clients_count_by_their_64(data_dir):
    # One host is given a whole IPv6 /64: counted address by address it had 2^64 budgets. This
    # fitchat trusts the test (127.0.0.1) as its proxy, so the test names the clients itself.
    daemon = Daemon(data_dir, free_port(), extra_env={
        "FITCHAT_TRUSTED_PROXIES": "127.0.0.1/32",
        "FITCHAT_MAX_PENDING_CONNECTIONS_PER_IP": "2",
        "FITCHAT_MAX_CONNECTIONS_PER_IP": "2",
    }).start()
    clients = []
    try:
        def forwarded(address):
            return {"X-Forwarded-For": address}

        # Half-open sessions: three addresses of one /64 share its two slots; the next /64 has its own.
        assert handshake(daemon.url, forwarded("2001:db8:1:2::a")).status_code == 200
        assert handshake(daemon.url, forwarded("2001:db8:1:2:ffff:ffff:ffff:ffff")).status_code == 200
        third = handshake(daemon.url, forwarded("2001:db8:1:2::c"))
        assert third.status_code == 429, third.text
        assert handshake(daemon.url, forwarded("2001:db8:1:3::a")).status_code == 200
        # IPv4 (also written IPv4-mapped) still counts address by address.
        assert handshake(daemon.url, forwarded("198.51.100.20")).status_code == 200
        assert handshake(daemon.url, forwarded("::ffff:198.51.100.20")).status_code == 200
        assert handshake(daemon.url, forwarded("198.51.100.20")).status_code == 429
        assert handshake(daemon.url, forwarded("198.51.100.21")).status_code == 200
        # IPv4 clients through a NAT64 translator are as many clients, not one shared /64.
        assert handshake(daemon.url, forwarded("64:ff9b::198.51.100.30")).status_code == 200
        assert handshake(daemon.url, forwarded("64:ff9b::198.51.100.30")).status_code == 200
        assert handshake(daemon.url, forwarded("64:ff9b::198.51.100.31")).status_code == 200
        assert handshake(daemon.url, forwarded("198.51.100.30")).status_code == 429
        # The log keeps the whole address of who was refused.
        refusals = [line for line in daemon.read_log_all().splitlines() if "session refused" in line]
        assert any("remote=2001:db8:1:2::c" in line for line in refusals), refusals

        # Chat connections (python-socketio, both transports): two per /64.
        token = daemon.token("ann")
        for address, transport in [("2001:db8:5:6::1", "websocket"), ("2001:db8:5:6::2", "polling")]:
            clients.append(ChatClient(daemon.url, token=token, transports=[transport],
                                      headers=forwarded(address)).connect())
        refused = ChatClient(daemon.url, token=token, transports=["websocket"], headers=forwarded("2001:db8:5:6::3"))
        with pytest.raises(socketio.exceptions.ConnectionError):
            refused.connect(wait=False)
        assert refused.connect_errors == [{"message": "rate_limited"}], refused.connect_errors
        clients.append(ChatClient(daemon.url, token=token, transports=["websocket"],
                                  headers=forwarded("2001:db8:5:7::3")).connect())

        # Sign-in attempts: the per-address budget (30) is the /64's, whichever address of it tries.
        statuses = []
        for i in range(32):
            answer = requests.post(daemon.url + "/login", json={"username": "no such!", "password": "x"},
                                   headers=forwarded(f"2001:db8:9:9::{i + 1:x}"), allow_redirects=False, timeout=10)
            statuses.append(answer.status_code)
        assert statuses[:30] == [401] * 30 and statuses[30:] == [429, 429], statuses
        other = requests.post(daemon.url + "/login", json={"username": "no such!", "password": "x"},
                              headers=forwarded("2001:db8:9:a::1"), allow_redirects=False, timeout=10)
        assert other.status_code == 401, other.status_code
    finally:
        for client in clients:
            client.close()
        daemon.stop()


def test_pending_sessions_of_all_addresses_together_are_capped(data_dir):
    # Many /64s (a /48 holds 65,536) each have a pending-session budget: all of them together have one.
    daemon = Daemon(data_dir, free_port(), extra_env={
        "FITCHAT_TRUSTED_PROXIES": "127.0.0.1/32",
        "FITCHAT_MAX_PENDING_CONNECTIONS": "3",
    }).start()
    clients = []
    try:
        sids = []
        for i in range(1, 4):
            answer = handshake(daemon.url, {"X-Forwarded-For": f"2001:db8:a:{i}::1"})
            assert answer.status_code == 200, answer.text
            sids.append(json.loads(answer.text[1:])["sid"])
        busy = handshake(daemon.url, {"X-Forwarded-For": "2001:db8:a:4::1"})
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "5", (busy.status_code, busy.text)
        token = daemon.token("ann")
        refused = ChatClient(daemon.url, token=token, transports=["websocket"],
                             headers={"X-Forwarded-For": "2001:db8:a:5::1"})
        # The upgrade is answered, then closed with 1013 before any OPEN packet: python-engineio
        # reports that as a failed connection or as the empty packet it could not decode.
        with pytest.raises((socketio.exceptions.ConnectionError, ValueError)):
            refused.connect(wait=False)
        refused.close()
        lines = [line for line in daemon.read_log_all().splitlines() if "too many not signed in" in line]
        assert len(lines) == 1 and "refused=1" in lines[0], lines  # one line, not one per refusal

        # A pending session that ends frees its place: real clients get in on both transports.
        closed = requests.post(daemon.url + f"/socket.io/?EIO=4&transport=polling&sid={sids[0]}", data="1", timeout=10)
        assert closed.status_code == 200, closed.text
        for address, transport in [("2001:db8:a:6::1", "polling"), ("2001:db8:a:7::1", "websocket")]:
            client = ChatClient(daemon.url, token=token, transports=[transport],
                                headers={"X-Forwarded-For": address}).connect()
            clients.append(client)
            ok(client.call("join_room", {"room": "general"}))
        ok(clients[0].call("send_message", {"room": "general", "message": "in after the rush"}))
    finally:
        for client in clients:
            client.close()
        daemon.stop()
