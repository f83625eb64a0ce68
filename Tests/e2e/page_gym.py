"""Shared by the browser tests of the chat page: a daemon without a message rate limit (the tests
send hundreds) where ann — and, for the moderation tests, desk, a moderator — sign in in headless
Chromium; clients that join rooms and send. Import the fixtures into a test module to use them
(`from page_gym import browser, gym`); a module of its own, uniquely named: never conftest."""
import pytest

from browser import new_browser
from chat_client import ChatClient
from fitchat_e2e import Daemon, free_port

PASSWORD = "squat-rack-42"
PHONE = (390, 844)


def start_gym(data_dir, moderator=False):
    """The daemon with ann (a member, "Ann Lifter") and, with `moderator`, desk ("Front Desk")."""
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_MESSAGE_RATE": "0"}).start()
    d.cli("user", "add", "ann", "--display-name", "Ann Lifter", "--password-stdin", input=PASSWORD + "\n")
    if moderator:
        d.cli("user", "add", "desk", "--role", "moderator", "--display-name", "Front Desk", "--password-stdin",
              input=PASSWORD + "\n")
    return d


@pytest.fixture
def gym(data_dir):
    d = start_gym(data_dir)
    yield d
    d.stop()


@pytest.fixture
def moderated_gym(data_dir):
    d = start_gym(data_dir, moderator=True)
    yield d
    d.stop()


@pytest.fixture
def browser():
    driver = new_browser()
    yield driver
    driver.quit()


@pytest.fixture
def browsers():
    """Opens as many browsers as a test asks for; all quit at the end."""
    opened = []

    def open_one():
        driver = new_browser()
        opened.append(driver)
        return driver
    yield open_one
    for driver in opened:
        driver.quit()


def someone_in(gym, name, *rooms, create=True):
    """A python-socketio client of `name` (a token user made on first use) in `rooms`."""
    client = ChatClient(gym.url, token=gym.token(name, create=create)).connect()
    for room in rooms:
        assert client.call("join_room", {"room": room})["ok"]
    return client


def send(client, room, text):
    answer = client.call("send_message", {"room": room, "message": text})
    assert answer["ok"], answer
    return answer["message"]
