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
import tempfile

import pytest

from fitchat_e2e import Daemon, free_port
from tls_proxy import TLSProxy, chat_through, make_certificate

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


class Caddy(TLSProxy):
    name = "caddy"
    start_timeout = 20

    def configure(self, upstream):
        conf = os.path.join(self.tmp, "Caddyfile")
        with open(conf, "w") as f:
            f.write(CADDYFILE.format(tmp=self.tmp, port=self.port, upstream=upstream))
        env = {"PATH": "/usr/bin:/bin", "HOME": self.tmp, "XDG_DATA_HOME": self.tmp, "XDG_CONFIG_HOME": self.tmp}
        return [CADDY, "run", "--config", conf, "--adapter", "caddyfile"], env


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
    chat_through(caddy, daemon, "squat PR through Caddy")


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
