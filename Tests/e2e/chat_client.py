"""A python-socketio client wrapper that records every event, for the chat end-to-end tests."""
import queue
import threading
import time

import socketio


class ChatClient:
    def __init__(self, url, token=None, transports=None, headers=None, auth=None, http_session=None):
        self.url = url
        # `http_session`: a requests.Session for https (its `verify`, a CA file, checks WebSockets too).
        self.sio = socketio.Client(reconnection=False, **({"http_session": http_session} if http_session else {}))
        self.events = queue.Queue()
        self.seen = []
        self.lock = threading.Lock()
        self.token = token
        self.transports = transports
        self.headers = headers or {}
        self.auth = auth if auth is not None else ({"token": token} if token else None)

        self.connect_errors = []
        self.disconnected = threading.Event()

        @self.sio.event
        def disconnect(*args):
            self.disconnected.set()

        @self.sio.event
        def connect_error(data):
            self.connect_errors.append(data)

        @self.sio.on("*")
        def catch_all(event, *args):
            data = args[0] if args else None
            with self.lock:
                self.seen.append((event, data))
            self.events.put((event, data))

    def connect(self, wait=True):
        self.sio.connect(self.url, auth=self.auth, transports=self.transports, headers=self.headers,
                         socketio_path="socket.io", wait_timeout=10)
        if wait:
            self.wait_for("status")
        return self

    def refusal(self):
        """The CONNECT_ERROR payloads the server sent, as text (for asserting the reason)."""
        return " ".join(str(e) for e in self.connect_errors)

    def call(self, event, data=None, timeout=10):
        return self.sio.call(event, data, timeout=timeout)

    def emit(self, event, data=None):
        self.sio.emit(event, data)

    def wait_for(self, event, predicate=lambda data: True, timeout=10):
        """Returns the data of the first matching event (already seen or arriving within timeout)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            for index, (name, data) in enumerate(self.seen):
                if name == event and predicate(data):
                    del self.seen[index]
                    return data
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {event!r} within {timeout}s; seen: {[n for n, _ in self.seen]}")
            try:
                name, data = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if name == event and predicate(data):
                with self.lock:
                    for index, (n, d) in enumerate(self.seen):
                        if n == name and d is data:
                            del self.seen[index]
                            break
                return data

    def wait_disconnected(self, timeout=10):
        """Waits until the server ends this client's connection; fails after `timeout`."""
        if not self.disconnected.wait(timeout):
            raise TimeoutError(f"still connected after {timeout}s")

    def received(self, event):
        with self.lock:
            return [data for name, data in self.seen if name == event]

    def close(self):
        try:
            self.sio.disconnect()
        except Exception:
            pass


def connect_when_admitted(url, token, timeout=10, transports=("websocket",)):
    """Connects once the server admits the client: a connection slot freed by a disconnect comes
    back when the server has processed it, so retry on `rate_limited` (only) until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        client = ChatClient(url, token=token, transports=list(transports))
        try:
            return client.connect()
        except socketio.exceptions.ConnectionError:
            client.close()
            if client.connect_errors != [{"message": "rate_limited"}] or time.monotonic() > deadline:
                raise AssertionError(f"not admitted within {timeout}s: {client.connect_errors}")
            time.sleep(0.05)
