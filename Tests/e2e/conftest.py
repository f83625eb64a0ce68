"""Fixtures that run the real `fitchat` binary: a daemon on a free port with its own data dir.
The helpers live in fitchat_e2e.py; import them from there, never from `conftest`."""
import tempfile

import pytest

from fitchat_e2e import Daemon, free_port, give_to_service_user


@pytest.fixture
def data_dir():
    with tempfile.TemporaryDirectory(prefix="fitchat-e2e-") as d:
        give_to_service_user(d)
        yield d


@pytest.fixture
def daemon(data_dir):
    d = Daemon(data_dir, free_port()).start()
    yield d
    d.stop()
