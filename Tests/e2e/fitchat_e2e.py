"""The real `fitchat` binary for the end-to-end tests: a daemon on a free port with its own data dir.

A module of its own, uniquely named, so that test files import it by a name no other suite uses
(a helper imported as `conftest` clashed with Tests/interop/conftest.py when that suite was
collected after this one)."""
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request


BIN_DIR = os.environ.get("FITCHAT_BIN_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..", ".build", "debug")
FITCHAT = os.path.join(BIN_DIR, "fitchat")

# The daemon runs as it does in production: unprivileged. Running as root hid a permission bug
# (a socket option that needs CAP_NET_ADMIN reset every connection), so when the tests run as root
# the daemon drops to `nobody`, and its data directories belong to that user.
SERVICE_USER = "nobody"
AS_SERVICE_USER = (["setpriv", f"--reuid={SERVICE_USER}", "--regid=nogroup", "--clear-groups", "--inh-caps=-all"]
                   if os.geteuid() == 0 else [])


def give_to_service_user(path):
    """Makes `path` (a test's data directory) the service user's, as the package does for /var/lib/fitchat."""
    if os.geteuid() == 0:
        import pwd
        entry = pwd.getpwnam(SERVICE_USER)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    def __init__(self, data_dir, port, extra_env=None):
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.extra_env = extra_env or {}
        self.proc = None
        self.log_path = os.path.join(data_dir, "daemon.log")

    def env(self):
        env = dict(os.environ)
        env.pop("FITCHAT_DATA_DIR", None)
        # An empty config file of our own: the machine's /etc/fitchat must not leak into tests.
        empty_config = os.path.join(self.data_dir, "empty.conf")
        open(empty_config, "a").close()
        env.update({"FITCHAT_CONFIG": empty_config, "FITCHAT_LOG_TARGET": "stderr"})
        env.update(self.extra_env)
        return env

    def start(self, timeout=30, prefix=(), healthy=True):
        """Starts `fitchat serve` (behind `prefix`, a wrapper such as strace, when given) and waits
        until /healthz answers (200; any status with `healthy=False`, for a daemon expected to
        report a condition such as a full disk)."""
        self.log = open(self.log_path, "ab")
        self.wrapped = bool(prefix)
        self.proc = subprocess.Popen(
            [*prefix, *AS_SERVICE_USER, FITCHAT, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir],
            stdout=self.log, stderr=subprocess.STDOUT, env=self.env())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"fitchat serve exited with {self.proc.returncode}: {self.read_log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        return self
            except urllib.error.HTTPError:
                if not healthy:
                    return self
                time.sleep(0.1)
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("fitchat serve did not answer /healthz: " + self.read_log())

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.signal_daemon(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()
        return self.proc.returncode if self.proc else None

    def signal_daemon(self, sig):
        """Signals the daemon itself: the process started, or the one whose pid it wrote (when a
        wrapper such as strace was started in front of it)."""
        pid = self.proc.pid
        if getattr(self, "wrapped", False):
            with open(os.path.join(self.data_dir, "fitchat.pid")) as f:
                pid = int(f.read().split()[0])
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    def read_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def read_log_all(self):
        """The whole log, for checks on what must never be logged."""
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def cli(self, *args, input=None, expect=0):
        """Runs `fitchat ARGS --data-dir D` and asserts its exit status is exactly `expect` (0 unless
        the caller expects a refusal, which it names: the status is part of the CLI's contract).
        Returns the CompletedProcess for asserting what it printed."""
        result = subprocess.run([FITCHAT, *args, "--data-dir", self.data_dir], input=input,
                                capture_output=True, text=True, env=self.env(), timeout=60)
        assert result.returncode == expect, (
            f"fitchat {' '.join(args)} exited {result.returncode}, expected {expect}\n"
            f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    def token(self, user, create=True):
        args = ["token", "issue", user] + (["--create"] if create else [])
        return self.cli(*args).stdout.strip().splitlines()[-1]


# What `fitchat db check` prints on a sound store (and exits 0).
DB_CHECK_OK = "ok: every index entry points at its record and every record is indexed\n"


def ok(ack):
    """An ack of success, returned for its fields."""
    assert isinstance(ack, dict) and ack.get("ok") is True, ack
    return ack


def failed(ack, code):
    """An error ack with this code and a message; returns the message."""
    assert isinstance(ack, dict) and ack.get("ok") is False, ack
    assert ack["error"]["code"] == code, ack
    assert ack["error"]["message"], ack
    return ack["error"]["message"]
