"""Garbage at every door: the daemon answers with errors, stays up and loses nothing."""
import os
import random
import socket
import urllib.request

from chat_client import ChatClient
from fitchat_e2e import DB_CHECK_OK


def raw(port, data, read=True):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        if read:
            try:
                return s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                return b""
    return b""


def ws_frame(payload, opcode=0x1, fin=True):
    mask = os.urandom(4)
    header = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 65536:
        header += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        header += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def test_garbage_everywhere_and_the_daemon_lives_on(daemon):
    port = daemon.port
    token = daemon.token("ann")
    ann = ChatClient(daemon.url, token=token, transports=["websocket"]).connect()
    assert ann.call("join_room", {"room": "general"})["ok"]
    kept = ann.call("send_message", {"room": "general", "message": "before the storm"})["message"]["id"]

    rng = random.Random(7)
    # Not HTTP at all, truncated requests, absurd headers, a huge request line.
    for blob in (b"\x00\xff" * 100, b"GET / HTTP/1.1\r\n", b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\n\r\n",
                 b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: " + b"b" * 50_000 + b"\r\n\r\n",
                 b"POST /login HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
                 b"POST /socket.io/?EIO=4&transport=polling&sid=nope HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
                 bytes(rng.getrandbits(8) for _ in range(4096))):
        raw(port, blob)
    # Polling with garbage bodies on a real session.
    with urllib.request.urlopen(daemon.url + "/socket.io/?EIO=4&transport=polling", timeout=5) as r:
        sid = r.read()[1:].decode().split('"sid":"')[1].split('"')[0]
    for body in (b"4\xff\xfe", b"b!!!", b"9", b"\x1e\x1e", b"42[\"send_message\"," + b"[" * 5000):
        request = urllib.request.Request(f"{daemon.url}/socket.io/?EIO=4&transport=polling&sid={sid}", data=body, method="POST")
        try:
            urllib.request.urlopen(request, timeout=5)
        except Exception:
            pass
    # WebSocket frames: random bytes, invalid UTF-8, unknown opcodes, a bogus length.
    handshake = (f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 "Sec-WebSocket-Version: 13\r\n\r\n").encode()
    for frames in ([ws_frame(b"40"), ws_frame(bytes(rng.getrandbits(8) for _ in range(300)), opcode=0x2)],
                   [ws_frame(b"4\xc3\x28")], [ws_frame(b"x", opcode=0x3)], [b"\x81\xff" + b"\x00" * 12],
                   [ws_frame(b'40{"token":' + b'"' * 1000 + b"}")],
                   [ws_frame(b'42["join_room",' + b"{" * 20000 + b"]")]):
        raw(port, handshake + b"".join(frames))

    with urllib.request.urlopen(daemon.url + "/healthz", timeout=5) as response:
        assert response.status == 200
    assert ann.call("send_message", {"room": "general", "message": "after the storm"})["ok"]
    ann.close()
    exported = daemon.cli("export", "--room", "general").stdout
    assert f'"id":{kept},' in exported and "after the storm" in exported
    assert daemon.proc.poll() is None
    assert daemon.cli("db", "check").stdout == DB_CHECK_OK
