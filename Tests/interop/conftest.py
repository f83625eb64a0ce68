"""The conformance server as a fixture: a real python-socketio client talks to our Swift server."""
import os
import subprocess

import pytest

BIN_DIR = os.environ.get("FITCHAT_BIN_DIR") or os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug")


@pytest.fixture
def server_url():
    proc = subprocess.Popen([os.path.join(BIN_DIR, "socketio-conformance-server"), "--port", "0"],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("LISTENING "), f"conformance server said {line!r}"
        yield f"http://127.0.0.1:{line.split()[1]}"
    finally:
        proc.kill()
        proc.wait()
