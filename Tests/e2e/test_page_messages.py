"""The chat page's messages in real headless Chromium (issue 14): editing, deleting, reactions,
direct messages, notices, day separators and grouping, and the phone layout's height budget. Every
test has two people: the browser and a python-socketio client, and checks that what one does
reaches the other live. Screenshots go to build/screenshots/."""
import os
import shutil
import subprocess

import pytest

from browser import assert_accessible, in_room, new_browser, pick_room, shot, sign_in_to_chat, wait
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
    sign_in_to_chat(driver, gym.url, "ann", PASSWORD)


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

        # The header and a strip of room chips, then the messages; the people online and the
        # account's buttons are behind the menu.
        top = messages_top(browser)
        assert top <= PHONE_BUDGET_PX, f"{top} px above the messages list on a phone"
        shot(browser, "phone-messages-390x844")
        width = browser.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], width
        composer = browser.execute_script(
            "return [document.querySelector('[data-testid=composer]').getBoundingClientRect().bottom, window.innerHeight]")
        assert abs(composer[0] - composer[1]) <= 2, composer
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=me]").text == "Ann Lifter"
        wait(browser).until(lambda d: not d.find_element(By.CSS_SELECTOR, "[data-testid=participants]").is_displayed())
        assert not browser.find_element(By.CSS_SELECTOR, ".logout-form button").is_displayed()

        # A chip switches rooms in one tap.
        pick_room(browser, "nutrition")
        assert messages_top(browser) <= PHONE_BUDGET_PX

        # The menu opens the people online (bob, with a button for a direct message) and the
        # account's buttons in place of the conversation; Escape closes it.
        menu = browser.find_element(By.CSS_SELECTOR, "[data-testid=menu-toggle]")
        assert menu.get_attribute("aria-expanded") == "false"
        menu.click()
        assert menu.get_attribute("aria-expanded") == "true"
        wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=participants]").is_displayed())
        assert browser.find_element(By.CSS_SELECTOR, ".logout-form button").is_displayed()
        assert not browser.find_element(By.CSS_SELECTOR, "[data-testid=messages]").is_displayed()
        shot(browser, "phone-menu-390x844")
        assert_accessible(browser, "chat-phone-menu")
        browser.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait(browser).until(lambda d: menu.get_attribute("aria-expanded") == "false")
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=messages]").is_displayed()

        # Keyboard: Enter opens it; picking a room from the strip closes it.
        menu.send_keys(Keys.ENTER)
        wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=participants]").is_displayed())
        pick_room(browser, "general")
        wait(browser).until(lambda d: menu.get_attribute("aria-expanded") == "false")
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=messages]").is_displayed()
        assert browser.switch_to.active_element == browser.find_element(By.CSS_SELECTOR, "[data-testid=message-input]")

        # A direct conversation from the menu's people list: the menu closes, its chip joins the strip.
        menu.click()
        start = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-user="bob"] [data-testid=open-direct]'))
        start.click()
        wait(browser).until(lambda d: menu.get_attribute("aria-expanded") == "false")
        chip = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=direct-rooms] [data-peer="bob"]'))
        wait(browser).until(lambda d: chip.get_attribute("aria-current") == "true" and chip.is_displayed())
        assert messages_top(browser) <= PHONE_BUDGET_PX
        shot(browser, "phone-direct-390x844")

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


# MARK: Edit, delete, reactions, direct messages (live both ways)


def test_edit_own_message_live_both_ways(browser, gym):
    bob = bob_in(gym)
    try:
        sign_in(browser, gym)
        in_room(browser, "general")
        theirs = bob.call("send_message", {"room": "general", "message": "Deadlift PR today"})["message"]
        shown_message(browser, theirs["id"])
        send_from_page(browser, "Squats 5x5 at 100 kg")
        mine = own_message_id(browser, "Squats 5x5 at 100 kg")
        bob.wait_for("new_message", lambda m: m["id"] == mine)

        # Only one's own text messages can be edited; a member deletes only their own.
        assert item(browser, theirs["id"]).find_elements(By.CSS_SELECTOR, "[data-action=edit]") == []
        assert item(browser, theirs["id"]).find_elements(By.CSS_SELECTOR, "[data-action=delete]") == []

        # Escape cancels: nothing is sent, the text is back.
        click(browser, item(browser, mine).find_element(By.CSS_SELECTOR, "[data-action=edit]"))
        editor = wait(browser).until(lambda d: item(d, mine).find_element(By.CSS_SELECTOR, "[data-testid=edit-input]"))
        assert browser.switch_to.active_element == editor
        editor.send_keys(" (not this)")
        editor.send_keys(Keys.ESCAPE)
        wait(browser).until(lambda d: item(d, mine).find_element(By.CSS_SELECTOR, ".text").text == "Squats 5x5 at 100 kg")
        assert browser.switch_to.active_element.get_attribute("data-action") == "edit"

        # Enter saves: bob gets the whole message, edited; the page marks it.
        browser.switch_to.active_element.send_keys(Keys.ENTER)  # the Edit button, from the keyboard
        editor = wait(browser).until(lambda d: item(d, mine).find_element(By.CSS_SELECTOR, "[data-testid=edit-input]"))
        assert editor.get_attribute("value") == "Squats 5x5 at 100 kg"  # the Enter that opened it is not in it
        editor.send_keys(Keys.CONTROL, "a")
        editor.send_keys("Squats 5x5 at 105 kg <b>PR</b>")
        editor.send_keys(Keys.ENTER)
        updated = bob.wait_for("message_updated", lambda m: m["id"] == mine)
        assert updated["message"] == "Squats 5x5 at 105 kg <b>PR</b>" and updated["is_edited"] is True
        assert updated["room"] == "general" and updated["user"]["name"] == "ann"
        wait(browser).until(lambda d: item(d, mine).find_element(By.CSS_SELECTOR, ".text").text.startswith("Squats 5x5 at 105 kg <b>PR</b>"))
        assert item(browser, mine).find_element(By.CSS_SELECTOR, "[data-testid=edited]").text == "(edited)"
        assert item(browser, mine).find_elements(By.TAG_NAME, "b") == []  # text, never HTML

        # Bob edits his: the page shows it without a reload.
        answer = bob.call("edit_message", {"room": "general", "id": theirs["id"], "message": "Deadlift PR today: 180 kg"})
        assert answer["ok"], answer
        wait(browser).until(lambda d: item(d, theirs["id"]).find_element(By.CSS_SELECTOR, ".text").text.startswith("Deadlift PR today: 180 kg"))
        assert item(browser, theirs["id"]).find_element(By.CSS_SELECTOR, "[data-testid=edited]").is_displayed()
        shot(browser, "messages-edited")

        # Deleted elsewhere (ann's other connection) while the editor is open: the editor gives
        # way to the tombstone.
        click(browser, item(browser, mine).find_element(By.CSS_SELECTOR, "[data-action=edit]"))
        wait(browser).until(lambda d: item(d, mine).find_element(By.CSS_SELECTOR, "[data-testid=edit-input]"))
        other = ChatClient(gym.url, token=gym.token("ann", create=False)).connect()
        try:
            assert other.call("join_room", {"room": "general"})["ok"]
            assert other.call("delete_message", {"room": "general", "id": mine})["ok"]
        finally:
            other.close()
        wait(browser).until(lambda d: item(d, mine).find_elements(By.CSS_SELECTOR, "[data-testid=tombstone]"))
        assert item(browser, mine).find_elements(By.CSS_SELECTOR, "[data-testid=edit-input]") == []
    finally:
        bob.close()


def test_delete_with_confirmation_and_an_admin_deletes_anyones(browser, admin_gym):
    gym = admin_gym
    bob = bob_in(gym)
    try:
        sign_in(browser, gym)
        in_room(browser, "general")
        first = bob.call("send_message", {"room": "general", "message": "spam spam spam"})["message"]
        second = bob.call("send_message", {"room": "general", "message": "I will take this back"})["message"]
        shown_message(browser, second["id"])
        send_from_page(browser, "Wrong room, sorry")
        mine = own_message_id(browser, "Wrong room, sorry")
        bob.wait_for("new_message", lambda m: m["id"] == mine)

        # Delete asks first; Keep (focused: the safe choice) changes nothing.
        click(browser, item(browser, mine).find_element(By.CSS_SELECTOR, "[data-action=delete]"))
        ask = wait(browser).until(lambda d: item(d, mine).find_element(By.CSS_SELECTOR, "[data-testid=confirm-delete]"))
        assert "Delete this message?" in ask.text
        assert browser.switch_to.active_element.get_attribute("data-action") == "keep"
        shot(browser, "messages-confirm-delete")
        assert_accessible(browser, "chat-confirm-delete")
        ask = item(browser, mine).find_element(By.CSS_SELECTOR, "[data-testid=confirm-delete]")
        click(browser, ask.find_element(By.CSS_SELECTOR, "[data-action=keep]"))
        wait(browser).until(lambda d: not item(d, mine).find_elements(By.CSS_SELECTOR, "[data-testid=confirm-delete]"))
        assert item(browser, mine).find_element(By.CSS_SELECTOR, ".text").text == "Wrong room, sorry"

        # Delete, then confirm: bob sees it go; the page shows a tombstone.
        click(browser, item(browser, mine).find_element(By.CSS_SELECTOR, "[data-action=delete]"))
        click(browser, wait(browser).until(lambda d: item(d, mine).find_element(By.CSS_SELECTOR, "[data-action=confirm-delete]")))
        gone = bob.wait_for("message_deleted", lambda e: e["id"] == mine)
        assert gone == {"room": "general", "id": mine}
        wait(browser).until(lambda d: item(d, mine).find_element(By.CSS_SELECTOR, "[data-testid=tombstone]").text == "message deleted")
        assert "Wrong room, sorry" not in browser.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text
        assert item(browser, mine).find_elements(By.CSS_SELECTOR, "button") == []

        # An admin deletes someone else's message.
        click(browser, item(browser, first["id"]).find_element(By.CSS_SELECTOR, "[data-action=delete]"))
        click(browser, wait(browser).until(lambda d: item(d, first["id"]).find_element(By.CSS_SELECTOR, "[data-action=confirm-delete]")))
        assert bob.wait_for("message_deleted", lambda e: e["id"] == first["id"])["room"] == "general"
        wait(browser).until(lambda d: item(d, first["id"]).find_elements(By.CSS_SELECTOR, "[data-testid=tombstone]"))

        # Notices too.
        gym.cli("room", "notice", "general", "Sauna closed today", "--from", "ann")
        notice = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=system-notice]"))
        notice_id = int(notice.get_attribute("data-message-id"))
        click(browser, notice.find_element(By.CSS_SELECTOR, "[data-action=delete]"))
        click(browser, wait(browser).until(lambda d: item(d, notice_id).find_element(By.CSS_SELECTOR, "[data-action=confirm-delete]")))
        assert bob.wait_for("message_deleted", lambda e: e["id"] == notice_id)["room"] == "general"
        wait(browser).until(lambda d: item(d, notice_id).find_elements(By.CSS_SELECTOR, "[data-testid=tombstone]"))
        assert "Sauna closed today" not in browser.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text

        # Bob deletes his own: a tombstone on the page, live; the history keeps it as one.
        assert bob.call("delete_message", {"room": "general", "id": second["id"]})["ok"]
        wait(browser).until(lambda d: item(d, second["id"]).find_elements(By.CSS_SELECTOR, "[data-testid=tombstone]"))
        shot(browser, "messages-tombstones")
        browser.refresh()
        in_room(browser, "general")
        for gone_id in (mine, first["id"], second["id"]):
            wait(browser).until(lambda d: item(d, gone_id).find_elements(By.CSS_SELECTOR, "[data-testid=tombstone]"))
        assert "spam spam spam" not in browser.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text
        history = {m["id"]: m for m in bob.call("join_room", {"room": "general"})["messages"]}
        for gone_id in (mine, first["id"], second["id"]):
            assert (history[gone_id]["deleted"], history[gone_id]["message"], history[gone_id]["reactions"]) == (True, "", [])
    finally:
        bob.close()


def reaction_button(driver, message_id, emoji):
    found = item(driver, message_id).find_elements(By.CSS_SELECTOR, "[data-testid=reaction]")
    return next((b for b in found if b.get_attribute("data-emoji") == emoji), None)


def reaction_state(driver, message_id, emoji):
    button = reaction_button(driver, message_id, emoji)
    if button is None:
        return None
    return button.find_element(By.CSS_SELECTOR, ".reaction-count").text, button.get_attribute("aria-pressed")


def test_reactions_live_both_ways(browser, gym):
    bob = bob_in(gym)
    try:
        sign_in(browser, gym)
        in_room(browser, "general")
        target = bob.call("send_message", {"room": "general", "message": "New squat PR: 140 kg"})["message"]
        shown_message(browser, target["id"])
        assert target.get("reactions") == [] and target.get("deleted") is False, target

        # The picker opens from the keyboard; Escape closes it and gives the focus back.
        add = item(browser, target["id"]).find_element(By.CSS_SELECTOR, "[data-testid=add-reaction]")
        assert add.get_attribute("aria-label") == "Add a reaction"
        browser.execute_script("arguments[0].focus()", add)
        add.send_keys(Keys.ENTER)
        picker = wait(browser).until(lambda d: item(d, target["id"]).find_element(By.CSS_SELECTOR, "[data-testid=picker]"))
        choices = picker.find_elements(By.CSS_SELECTOR, "button")
        assert [c.get_attribute("data-emoji") for c in choices] == ["👍", "❤️", "😂", "💪", "🔥", "🎉"]
        assert all(c.get_attribute("aria-label").startswith("React with ") for c in choices)
        assert browser.switch_to.active_element == choices[0]
        browser.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
        assert browser.switch_to.active_element == choices[1]
        browser.switch_to.active_element.send_keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT)
        assert browser.switch_to.active_element == choices[-1]
        assert add.get_attribute("aria-expanded") == "true"
        shot(browser, "messages-picker")
        assert_accessible(browser, "chat-picker")
        browser.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait(browser).until(lambda d: not item(d, target["id"]).find_elements(By.CSS_SELECTOR, "[data-testid=picker]"))
        assert browser.switch_to.active_element.get_attribute("data-testid") == "add-reaction"

        # A click in the picker reacts: bob gets reaction_updated; the page highlights ann's own.
        # (Each wait names the exact reactions it expects: an event seen once may be offered again.)
        browser.switch_to.active_element.send_keys(Keys.ENTER)
        picker = wait(browser).until(lambda d: item(d, target["id"]).find_element(By.CSS_SELECTOR, "[data-testid=picker]"))
        click(browser, picker.find_element(By.CSS_SELECTOR, '[data-emoji="💪"]'))
        expected = {"room": "general", "id": target["id"], "reactions": [{"emoji": "💪", "count": 1, "users": ["ann"]}]}
        assert bob.wait_for("reaction_updated", lambda e: e == expected) == expected
        wait(browser).until(lambda d: reaction_state(d, target["id"], "💪") == ("1", "true"))
        assert "including yours" in reaction_button(browser, target["id"], "💪").get_attribute("aria-label")

        # Bob reacts: the page's counts follow, live.
        assert bob.call("react", {"room": "general", "id": target["id"], "emoji": "💪", "on": True})["ok"]
        wait(browser).until(lambda d: reaction_state(d, target["id"], "💪") == ("2", "true"))
        assert bob.call("react", {"room": "general", "id": target["id"], "emoji": "🔥", "on": True})["ok"]
        wait(browser).until(lambda d: reaction_state(d, target["id"], "🔥") == ("1", "false"))
        order = [b.get_attribute("data-emoji") for b in item(browser, target["id"]).find_elements(By.CSS_SELECTOR, "[data-testid=reaction]")]
        assert order == ["💪", "🔥"]  # first use first

        # Clicking one of the page's own reactions takes it back; clicking another's adds to it.
        click(browser, reaction_button(browser, target["id"], "💪"))
        bob.wait_for("reaction_updated", lambda e: e["reactions"] == [
            {"emoji": "💪", "count": 1, "users": ["bob"]}, {"emoji": "🔥", "count": 1, "users": ["bob"]}])
        wait(browser).until(lambda d: reaction_state(d, target["id"], "💪") == ("1", "false"))
        click(browser, reaction_button(browser, target["id"], "🔥"))
        bob.wait_for("reaction_updated", lambda e: e["reactions"] == [
            {"emoji": "💪", "count": 1, "users": ["bob"]}, {"emoji": "🔥", "count": 2, "users": ["bob", "ann"]}])
        wait(browser).until(lambda d: reaction_state(d, target["id"], "🔥") == ("2", "true"))

        # The last one gone, its button goes too.
        assert bob.call("react", {"room": "general", "id": target["id"], "emoji": "💪", "on": False})["ok"]
        wait(browser).until(lambda d: reaction_state(d, target["id"], "💪") is None)
        shot(browser, "messages-reactions")
        assert_accessible(browser, "chat-reactions")
    finally:
        bob.close()


def test_direct_messages_from_the_online_list(browser, gym):
    bob = ChatClient(gym.url, token=gym.token("bob")).connect()
    try:
        assert bob.call("join_room", {"room": "general"})["ok"]
        sign_in(browser, gym)
        in_room(browser, "general")

        # Everyone online but ann herself has a button that opens a direct conversation.
        start = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-testid=participants] [data-user="bob"] [data-testid=open-direct]'))
        assert start.get_attribute("aria-label") == "Direct message to bob"
        assert browser.find_elements(By.CSS_SELECTOR, '[data-testid=participants] [data-user="ann"] [data-testid=open-direct]') == []
        click(browser, start)

        # The page joins it: titled with bob's name, listed under "Direct messages".
        wait(browser).until(lambda d: d.find_element(By.ID, "room-title").text == "bob")
        dm = browser.find_element(By.CSS_SELECTOR, '[data-testid=direct-rooms] [data-peer="bob"]')
        room = dm.get_attribute("data-room")
        assert dm.get_attribute("aria-current") == "true" and "bob" in dm.text
        assert browser.find_elements(By.CSS_SELECTOR, f'[data-testid=rooms] [data-room="{room}"]') == []

        # Bob has it in his list (titled with ann's name), joins it and gets ann's message there.
        def bobs_dm():
            rooms = bob.call("get_rooms")["rooms"]
            return next((r for r in rooms if r["name"] == room), None)
        listed = bobs_dm()
        assert listed and listed["kind"] == "direct" and listed["title"] == "Ann Lifter" and listed["peer"]["name"] == "ann", listed
        assert listed["is_private"] is True
        assert bob.call("join_room", {"room": room})["ok"]
        send_from_page(browser, "Spot me at 6?")
        got = bob.wait_for("new_message", lambda m: m["room"] == room and m["message_type"] == "text")
        assert got["message"] == "Spot me at 6?" and got["user"]["name"] == "ann"
        assert bob.call("send_message", {"room": room, "message": "Deal 👍"})["ok"]
        wait(browser).until(lambda d: "Deal 👍" in d.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text)
        shot(browser, "messages-direct")
        assert_accessible(browser, "chat-direct")

        # The other way round: cat opens one with ann; it appears in ann's list without a reload.
        cat = ChatClient(gym.url, token=gym.token("cat")).connect()
        try:
            opened = cat.call("open_direct", {"user": "ann"})
            assert opened["ok"] and opened["room"]["kind"] == "direct" and opened["room"]["title"] == "Ann Lifter", opened
            assert cat.call("join_room", {"room": opened["room"]["name"]})["ok"]
            assert cat.call("send_message", {"room": opened["room"]["name"], "message": "Class at 7?"})["ok"]
            cats = wait(browser).until(lambda d: d.find_element(
                By.CSS_SELECTOR, f'[data-testid=direct-rooms] [data-room="{opened["room"]["name"]}"]'))
            assert "cat" in cats.text
            click(browser, cats)
            wait(browser).until(lambda d: "Class at 7?" in d.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text)
            assert browser.find_element(By.ID, "room-title").text == "cat"
        finally:
            cat.close()
    finally:
        bob.close()


def test_a_moderator_is_offered_delete_on_others_messages_in_public_rooms_only(browser, data_dir):
    """Issue 16's roles, first slice: the page gives a moderator Delete on anyone's message in a
    public room, and not in a private one (where they are a member like any other)."""
    gym = Daemon(data_dir, free_port()).start()
    try:
        gym.cli("user", "add", "ann", "--role", "moderator", "--display-name", "Ann Lifter", "--password-stdin",
                input=PASSWORD + "\n")
        gym.cli("room", "add", "coaches", "--description", "Coaches", "--private")
        gym.cli("room", "add-member", "coaches", "ann")
        bob = bob_in(gym)
        gym.cli("room", "add-member", "coaches", "bob")
        assert bob.call("join_room", {"room": "coaches"})["ok"]
        sign_in(browser, gym)
        in_room(browser, "general")
        spam = bob.call("send_message", {"room": "general", "message": "buy followers"})["message"]
        shown_message(browser, spam["id"])
        delete = wait(browser).until(
            lambda d: item(d, spam["id"]).find_elements(By.CSS_SELECTOR, "[data-action=delete]"))
        click(browser, delete[0])
        ask = wait(browser).until(lambda d: item(d, spam["id"]).find_element(By.CSS_SELECTOR, "[data-testid=confirm-delete]"))
        click(browser, ask.find_element(By.CSS_SELECTOR, "[data-action=confirm-delete]"))
        bob.wait_for("message_deleted", lambda m: m["id"] == spam["id"])
        # Join and leave lines offer no Delete (the server would allow it; the page keeps them quiet).
        joined = [m for m in bob.call("get_history", {"room": "general"})["messages"]
                  if m["message_type"] == "join" and m["user"]["name"] == "bob"][-1]
        shown_message(browser, joined["id"])
        assert item(browser, joined["id"]).find_elements(By.CSS_SELECTOR, "[data-action=delete]") == []
        pick_room(browser, "coaches")
        ours = bob.call("send_message", {"room": "coaches", "message": "plan for Monday"})["message"]
        shown_message(browser, ours["id"])
        assert item(browser, ours["id"]).find_elements(By.CSS_SELECTOR, "[data-action=delete]") == []
        bob.close()
    finally:
        gym.stop()
