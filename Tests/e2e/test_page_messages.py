"""The chat page's messages in real headless Chromium (issue 14): editing, deleting, reactions,
direct messages, notices, day separators and grouping, and the phone layout's height budget. Every
test has two people: the browser and a python-socketio client, and checks that what one does
reaches the other live. Screenshots go to build/screenshots/."""
import os
import shutil
import subprocess

import pytest

from browser import assert_accessible, new_browser, shot, wait
import fitchat_e2e
from chat_client import ChatClient
from fitchat_e2e import Daemon, free_port

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402

PASSWORD = "squat-rack-42"
# Messages of other days are made by the real daemon with its wall clock moved back: a tiny
# LD_PRELOAD library (compiled here with the C compiler the Swift build needs) shifts
# CLOCK_REALTIME by SHIFT_SECONDS; the monotonic clock (rate limits, expiries) is left alone.
# (Debian's libfaketime breaks a Swift binary's command-line arguments.)
CLOCK_SHIFT_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
int clock_gettime(clockid_t id, struct timespec *ts) {
  static int (*real)(clockid_t, struct timespec *);
  if (!real) real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
  int rc = real(id, ts);
  const char *shift = getenv("SHIFT_SECONDS");
  if (rc == 0 && shift && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE)) ts->tv_sec += atoll(shift);
  return rc;
}
"""
# The phone: no more than this many pixels above the messages (header and room name only).
PHONE = (390, 844)
PHONE_BUDGET_PX = 120


@pytest.fixture
def browser():
    driver = new_browser()
    yield driver
    driver.quit()


def add_people(d, admin=False):
    d.cli("user", "add", "ann", "--display-name", "Ann Lifter", "--password-stdin",
          *(["--admin"] if admin else []), input=PASSWORD + "\n")


@pytest.fixture
def gym(data_dir):
    """A daemon with ann, a member, who signs in in the browser."""
    d = Daemon(data_dir, free_port()).start()
    add_people(d)
    yield d
    d.stop()


@pytest.fixture
def admin_gym(data_dir):
    """A daemon with ann, an admin."""
    d = Daemon(data_dir, free_port()).start()
    add_people(d, admin=True)
    yield d
    d.stop()


def sign_in(driver, gym):
    driver.get(gym.url + "/chat")
    wait(driver).until(EC.url_contains("/login"))
    driver.find_element(By.NAME, "username").send_keys("ann")
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.NAME, "password").submit()
    wait(driver).until(EC.url_contains("/chat"))
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=connection]").get_attribute("data-state") == "connected")


def in_room(driver, room):
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-room="{room}"]').get_attribute("aria-current") == "true")


def pick_room(driver, room):
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-room="{room}"]').click() or True)
    in_room(driver, room)


def bob_in(gym, room="general", name="bob"):
    client = ChatClient(gym.url, token=gym.token(name)).connect()
    assert client.call("join_room", {"room": room})["ok"]
    return client


def item(driver, message_id):
    return driver.find_element(By.CSS_SELECTOR, f'[data-testid=messages] li[data-message-id="{message_id}"]')


def shown_message(driver, message_id):
    """Waits until the message with that id is on the page; returns its list item."""
    return wait(driver).until(lambda d: item(d, message_id))


def click(driver, element):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def messages_top(driver):
    return driver.execute_script(
        "return document.querySelector('[data-testid=messages]').getBoundingClientRect().top")


def visible_authors(driver):
    """The sender names a reader sees (grouped messages keep theirs only for screen readers)."""
    return driver.execute_script("""
        return [...document.querySelectorAll('[data-testid=messages] .message')].map(li => {
          const author = li.querySelector('.author');
          const box = author.getBoundingClientRect();
          const seen = box.width > 2 && box.height > 2 && !author.closest('.visually-hidden');
          return [Number(li.dataset.messageId), seen ? author.textContent : null];
        });""")


def send_from_page(driver, text):
    box = driver.find_element(By.CSS_SELECTOR, "[data-testid=message-input]")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    wait(driver).until(lambda d: box.get_attribute("value") == "")


def own_message_id(driver, text):
    return wait(driver).until(lambda d: d.execute_script(
        "const li = [...document.querySelectorAll('[data-testid=messages] .message.mine')]"
        ".find(li => li.querySelector('.text').textContent === arguments[0]);"
        " return li ? Number(li.dataset.messageId) : null", text))


# MARK: Layout: days, groups, notices, the phone


def clock_shift_library(data_dir):
    """Compiles the clock-shifting library into the data directory (readable by the service user)."""
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not compiler:
        pytest.fail("a C compiler (cc) is required to move the daemon's clock for messages of other days")
    source = os.path.join(data_dir, "clock-shift.c")
    library = os.path.join(data_dir, "clock-shift.so")
    with open(source, "w") as f:
        f.write(CLOCK_SHIFT_C)
    subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", library, source, "-ldl"], check=True, capture_output=True)
    os.chmod(library, 0o755)
    return library


def shifted_daemon(data_dir, port, days, monkeypatch):
    """The daemon with its wall clock `days` days back. The library is preloaded after the switch to
    the service user (through `env`), so only the daemon runs with it."""
    library = clock_shift_library(data_dir)
    with monkeypatch.context() as patch:
        patch.setattr(fitchat_e2e, "AS_SERVICE_USER", [*fitchat_e2e.AS_SERVICE_USER, "env", f"LD_PRELOAD={library}",
                                                       f"SHIFT_SECONDS={-days * 86400}"])
        return Daemon(data_dir, port).start()


def test_day_separators_grouping_and_notices(browser, data_dir, monkeypatch):
    port = free_port()
    said = {}
    # Three days ago, then yesterday: the store keeps each message's own time.
    for days, texts in ((3, ["three days ago"]), (1, ["yesterday, first", "yesterday, second"])):
        d = shifted_daemon(data_dir, port, days, monkeypatch)
        try:
            bob = bob_in(d)
            try:
                for text in texts:
                    said[text] = bob.call("send_message", {"room": "general", "message": text})["message"]
            finally:
                bob.close()
        finally:
            d.stop()
    assert said["three days ago"]["created_at"][:10] != said["yesterday, first"]["created_at"][:10]

    d = Daemon(data_dir, port).start()
    try:
        add_people(d)
        bob = bob_in(d)
        d.cli("user", "add", "boss", "--admin", "--display-name", "Gym Boss", "--password-stdin", input=PASSWORD + "\n")
        try:
            for text in ("today one", "today two", "today three"):
                said[text] = bob.call("send_message", {"room": "general", "message": text})["message"]
            d.cli("room", "notice", "general", "The pool is closed on Sunday", "--from", "boss")
            said["after the notice"] = bob.call("send_message", {"room": "general", "message": "after the notice"})["message"]

            sign_in(browser, d)
            in_room(browser, "general")
            shown_message(browser, said["after the notice"]["id"])

            # One separator per day, oldest first, each right before that day's first message.
            days = browser.execute_script("""
                return [...document.querySelectorAll('[data-testid=messages] > li')].map(li =>
                  li.classList.contains('day-separator') ? 'day:' + li.textContent : li.dataset.messageId || li.className);""")
            separators = [entry[4:] for entry in days if entry.startswith("day:")]
            three_days_ago = browser.execute_script(
                "const d = new Date(arguments[0]); return [d.toLocaleDateString([], {weekday: 'long'}), d.getDate()]",
                said["three days ago"]["created_at"])
            assert len(separators) == 3, days
            assert three_days_ago[0] in separators[0] and str(three_days_ago[1]) in separators[0], separators
            assert separators[1:] == ["Yesterday", "Today"], separators
            index = {entry: i for i, entry in enumerate(days)}
            for text, label in (("three days ago", separators[0]), ("yesterday, first", "Yesterday"), ("today one", "Today")):
                here = index[str(said[text]["id"])]
                before = [entry for entry in days[:here] if entry.startswith("day:")]
                assert before[-1] == "day:" + label, (text, days)
            # The separators are headings (a screen reader can jump from day to day).
            assert len(browser.find_elements(By.CSS_SELECTOR, "[data-testid=day-separator] h3")) == 3

            # Grouping: bob's messages within a few minutes share one name; a new day or a notice
            # starts a new group.
            authors = dict(visible_authors(browser))
            assert authors[said["yesterday, first"]["id"]] == "bob"
            assert authors[said["yesterday, second"]["id"]] is None
            assert authors[said["today one"]["id"]] == "bob"
            assert authors[said["today two"]["id"]] is None and authors[said["today three"]["id"]] is None
            assert authors[said["after the notice"]["id"]] == "bob"
            # Grouped messages still say who and when to a screen reader.
            grouped = item(browser, said["today two"]["id"])
            assert "continued" in grouped.get_attribute("class")
            assert grouped.find_element(By.CSS_SELECTOR, ".meta.visually-hidden .author").get_attribute("textContent") == "bob"

            # The notice is a banner of its own, not a chat bubble.
            notice = browser.find_element(By.CSS_SELECTOR, "[data-testid=system-notice]")
            assert "The pool is closed on Sunday" in notice.text and "notice" in notice.text.lower()
            look = browser.execute_script("""
                const n = getComputedStyle(document.querySelector('[data-testid=system-notice]'));
                const m = getComputedStyle(document.querySelector('[data-testid=messages] .message'));
                return [n.backgroundColor, m.backgroundColor, n.borderLeftWidth, n.fontStyle];""")
            assert look[0] != look[1] and look[2] == "4px" and look[3] == "normal", look
            shot(browser, "messages-days-groups-notice")
            assert_accessible(browser, "chat-days")
        finally:
            bob.close()
    finally:
        d.stop()


def test_phone_keeps_the_messages_in_view(browser, gym):
    bob = bob_in(gym)
    try:
        for n in range(12):
            bob.call("send_message", {"room": "general", "message": f"set {n + 1}: 5 reps"})
        browser.set_window_size(*PHONE)
        sign_in(browser, gym)
        in_room(browser, "general")
        wait(browser).until(lambda d: "set 12: 5 reps" in d.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text)
        assert browser.execute_script("return window.innerWidth") == PHONE[0]

        # The header and the room's name, then the messages: rooms and people are behind the menu.
        top = messages_top(browser)
        assert top <= PHONE_BUDGET_PX, f"{top} px above the messages list on a phone"
        shot(browser, "phone-messages-390x844")
        width = browser.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], width
        composer = browser.execute_script(
            "return [document.querySelector('[data-testid=composer]').getBoundingClientRect().bottom, window.innerHeight]")
        assert abs(composer[0] - composer[1]) <= 2, composer
        assert not browser.find_element(By.CSS_SELECTOR, '[data-room="nutrition"]').is_displayed()

        # The menu opens the rooms and the people online (with bob); picking a room closes it.
        menu = browser.find_element(By.CSS_SELECTOR, "[data-testid=menu-toggle]")
        assert menu.get_attribute("aria-expanded") == "false"
        menu.click()
        assert menu.get_attribute("aria-expanded") == "true"
        wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-room="nutrition"]').is_displayed())
        wait(browser).until(lambda d: "bob" in d.find_element(By.CSS_SELECTOR, "[data-testid=participants]").text)
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=me]").text == "Ann Lifter"
        shot(browser, "phone-menu-390x844")
        assert_accessible(browser, "chat-phone-menu")
        browser.find_element(By.CSS_SELECTOR, '[data-room="nutrition"]').click()
        in_room(browser, "nutrition")
        wait(browser).until(lambda d: menu.get_attribute("aria-expanded") == "false")
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=messages]").is_displayed()
        assert messages_top(browser) <= PHONE_BUDGET_PX
        assert browser.switch_to.active_element == browser.find_element(By.CSS_SELECTOR, "[data-testid=message-input]")

        # Keyboard: the menu opens with Enter and Escape closes it again.
        menu.send_keys(Keys.ENTER)
        wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-room="general"]').is_displayed())
        browser.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait(browser).until(lambda d: menu.get_attribute("aria-expanded") == "false")
        assert browser.switch_to.active_element == menu

        # At 360 × 740 too.
        browser.set_window_size(360, 740)
        wait(browser).until(lambda d: d.execute_script("return window.innerWidth") == 360)
        assert messages_top(browser) <= PHONE_BUDGET_PX
        # A desktop shows everything at once, no menu button.
        browser.set_window_size(1280, 800)
        wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-room="general"]').is_displayed())
        assert not menu.is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=participants]").is_displayed()
    finally:
        bob.close()
