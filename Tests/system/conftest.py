"""The booted Debian 12 for the package's end-to-end test, and the timings it prints at the end.

A minbase debootstrap root (cached in build/debian-bookworm-root; made when missing) is copied for
each run, booted with `systemd-nspawn --boot --register=no --keep-unit` in the host's network, and
driven with `nsenter -t <its systemd pid> -a`."""
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(REPO, "build")
ROOT_CACHE = os.path.join(BUILD, "debian-bookworm-root")
RUNS = os.path.join(BUILD, "system-test")
SUITE = "bookworm"

TIMINGS = {}


def log(text):
    print(f"[system-test] {text}", file=sys.stderr, flush=True)


def timed(name):
    class Timer:
        def __enter__(self):
            self.start = time.monotonic()
            return self

        def __exit__(self, *exc):
            TIMINGS[name] = time.monotonic() - self.start
            log(f"{name}: {TIMINGS[name]:.1f} s")
    return Timer()


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("system test timings")
        for name, seconds in TIMINGS.items():
            if seconds is None:
                terminalreporter.write_line(f"{name}: cached")
                continue
            unit = "ms" if name.startswith("cold start") else "s"
            value = seconds * 1000 if unit == "ms" else seconds
            terminalreporter.write_line(f"{name}: {value:.1f} {unit}")


def debian_mirror():
    """The Debian mirror this machine's apt uses for the suite (deb822 .sources or one-line .list)."""
    files = sorted(glob.glob("/etc/apt/sources.list.d/*.sources")) + ["/etc/apt/sources.list"] + \
        sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
    for path in files:
        try:
            text = open(path).read()
        except OSError:
            continue
        if path.endswith(".sources"):
            for stanza in text.split("\n\n"):
                fields = {}
                for line in stanza.splitlines():
                    if ":" in line and not line.lstrip().startswith("#"):
                        key, value = line.split(":", 1)
                        fields[key.strip().lower()] = value.split()
                if SUITE in fields.get("suites", []) and "main" in fields.get("components", []) \
                        and "deb" in fields.get("types", []) and fields.get("uris"):
                    return fields["uris"][0]
        else:
            for line in text.splitlines():
                words = [w for w in line.split() if not w.startswith("[")]
                if len(words) >= 4 and words[0] == "deb" and words[2] == SUITE and "main" in words[3:]:
                    return words[1]
    return "http://deb.debian.org/debian"


def ensure_root():
    """The pristine root: debootstrap once, then reused (an interrupted one is never taken)."""
    if os.path.exists(os.path.join(ROOT_CACHE, ".fitchat-complete")):
        TIMINGS["debootstrap"] = None
        log(f"debootstrap: cached {ROOT_CACHE}")
        return
    partial = ROOT_CACHE + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    shutil.rmtree(ROOT_CACHE, ignore_errors=True)
    mirror = debian_mirror()
    log(f"debootstrap {SUITE} from {mirror}")
    with timed("debootstrap"):
        subprocess.run(["debootstrap", "--variant=minbase", "--include=systemd,systemd-sysv,dbus",
                        SUITE, partial, mirror], check=True, stdout=subprocess.DEVNULL)
    open(os.path.join(partial, ".fitchat-complete"), "w").close()
    os.rename(partial, ROOT_CACHE)


class Container:
    """A booted copy of the root. `run` executes a command in it as root (a clean environment)."""

    def __init__(self, root):
        self.root = root
        self.proc = None
        self.pid = None

    def boot(self, timeout=90):
        self.console = open(self.root + ".console.log", "wb")
        self.proc = subprocess.Popen(
            ["systemd-nspawn", "--boot", "--register=no", "--keep-unit", "--console=read-only",
             "--quiet", "-D", self.root, "--machine", "fitchat-test"],
            stdin=subprocess.DEVNULL, stdout=self.console, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"systemd-nspawn exited with {self.proc.returncode}: {self.console_text()}")
            self.pid = self.pid or self.find_systemd()
            if self.pid:
                state = self.run("systemctl", "is-system-running", check=False).stdout.strip()
                if state in ("running", "degraded"):
                    if state == "degraded":
                        log("degraded: " + self.run("systemctl", "--failed", "--no-pager", check=False).stdout)
                    return self
            time.sleep(0.3)
        raise RuntimeError("the container did not finish booting: " + self.console_text())

    def find_systemd(self):
        """The container's PID 1 as seen from the host: the nspawn's descendant named systemd."""
        todo = [self.proc.pid]
        while todo:
            pid = todo.pop()
            try:
                children = open(f"/proc/{pid}/task/{pid}/children").read().split()
            except OSError:
                continue
            for child in children:
                try:
                    if open(f"/proc/{child}/comm").read().strip() == "systemd":
                        return int(child)
                except OSError:
                    pass
                todo.append(int(child))
        return None

    def console_text(self):
        try:
            return open(self.root + ".console.log", "rb").read().decode(errors="replace")[-3000:]
        except OSError:
            return ""

    def run(self, *cmd, input=None, check=True, timeout=300):
        argv = ["nsenter", "-t", str(self.pid), "-a", "env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME=/root", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive", *cmd]
        result = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"in the container, {' '.join(cmd)} failed ({result.returncode}):\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def sh(self, script, **kw):
        return self.run("sh", "-c", script, **kw)

    def show(self, unit, prop):
        return self.run("systemctl", "show", "-P", prop, unit).stdout.strip()

    def path(self, inside):
        return os.path.join(self.root, inside.lstrip("/"))

    def poweroff(self):
        if not self.proc or self.proc.poll() is not None:
            return
        if self.pid:
            self.run("systemctl", "poweroff", check=False, timeout=30)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)  # our own nspawn, by its pid
            self.proc.wait()
        self.console.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def port():
    return free_port()


@pytest.fixture(scope="session")
def container(port):
    ensure_root()
    os.makedirs(RUNS, exist_ok=True)
    for stale in glob.glob(os.path.join(RUNS, "root-*")):  # left by an interrupted run that is gone
        owner = stale.rsplit("-", 1)[-1].split(".")[0]
        if owner.isdigit() and not os.path.exists(f"/proc/{owner}"):
            shutil.rmtree(stale, ignore_errors=True) if os.path.isdir(stale) else os.remove(stale)
    root = os.path.join(RUNS, f"root-{os.getpid()}")
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run(["cp", "-a", "--reflink=auto", ROOT_CACHE, root], check=True)
    # The admin's way to move the socket to another port (8080 may be taken on this shared
    # network): a drop-in, in place before the package starts the socket.
    dropin = os.path.join(root, "etc/systemd/system/fitchat.socket.d")
    os.makedirs(dropin)
    with open(os.path.join(dropin, "port.conf"), "w") as f:
        f.write(f"[Socket]\nListenStream=\nListenStream=127.0.0.1:{port}\n")
    c = Container(root)
    with timed("boot"):
        c.boot()
    log(f"container booted, systemd pid {c.pid} (host), port {port}")
    try:
        with timed("apt-get update"):
            c.run("apt-get", "update", "-qq")
        yield c
    finally:
        c.poweroff()
        shutil.rmtree(root, ignore_errors=True)
        for leftover in (root + ".console.log",):
            try:
                os.remove(leftover)
            except OSError:
                pass
