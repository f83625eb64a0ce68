"""What a product trial of the issue-15 page found, in real headless Chromium against the real
daemon: a member back after a long absence opens a room at the "New messages" divider, in the
right place (not above the oldest message of the first page); read receipts can be turned off on
the page; a mention notice on a phone stays one line clear of the room chips. Screenshots go to
build/screenshots/trial-*.png."""
import time

import pytest

from browser import assert_accessible, in_room, pick_room, shot, sign_in_to_chat, wait
from chat_client import ChatClient

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from page_gym import PASSWORD, PHONE, browser, gym, someone_in, send  # noqa: F401 (pytest fixtures)


def list_order(driver):
    return driver.execute_script("""
        return [...document.querySelectorAll('[data-testid=messages] > li')].map(li =>
          li.dataset.testid === 'new-divider' ? 'divider' : (li.dataset.messageId || li.dataset.testid || li.className));""")


def divider_in_view(driver):
    return driver.execute_script("""
        const list = document.querySelector('[data-testid=messages]');
        const divider = list.querySelector('[data-testid=new-divider]');
        if (!divider) return false;
        const l = list.getBoundingClientRect(), r = divider.getBoundingClientRect();
        return r.top >= l.top - 1 && r.bottom <= l.bottom + 1;""")


# MARK: A week away


def test_a_long_absence_opens_at_the_divider_before_the_first_unread_message(browser, gym):
    """More unread messages than one page: the divider was put above the oldest message of the
    first page (the 131st unread said "new messages start here"), then moved up when the next page
    came, out of view. It belongs after the read position, and the room opens there."""
    ann = someone_in(gym, "ann", "general", create=False)
    read_at = ann.call("join_room", {"room": "nutrition"})["messages"][-1]["id"]  # her join notice
    ann.close()
    bob = someone_in(gym, "bob", "general", "nutrition")
    bob_joined = bob.call("get_history", {"room": "nutrition"})["messages"][-1]["id"]
    try:
        said = [send(bob, "nutrition", f"meal {n}: oats or rice?")["id"] for n in range(1, 181)]
        sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
        in_room(browser, "general")
        wait(browser).until(lambda d: d.execute_script(
            "const b = document.querySelector('[data-room=nutrition] [data-testid=unread-badge] [aria-hidden]');"
            " return b && b.textContent") == "180")
        shot(browser, "trial-before-long-absence")
        pick_room(browser, "nutrition")

        # The divider sits right after ann's read position (her join notice), before the first
        # message after it (bob's join notice, then his 180 messages), and the room opens with it
        # in view.
        wait(browser).until(lambda d: str(said[0]) in list_order(d))
        wait(browser).until(divider_in_view)
        for _ in range(2):
            order = list_order(browser)
            assert order.count("divider") == 1, order
            at = order.index("divider")
            assert order[at - 1] == str(read_at), order
            after = [e for e in order[at + 1:] if e != "day-separator"]
            assert after[:2] == [str(bob_joined), str(said[0])], order
            time.sleep(1)  # nothing moves it afterwards (a later page, the scroll)
        assert divider_in_view(browser)
        shot(browser, "trial-long-absence-divider")
    finally:
        bob.close()


def test_a_divider_beyond_reach_is_not_put_on_the_wrong_message(browser, gym):
    """Too many unread to load at once: no divider above a message that is not the first unread;
    scrolling up far enough finds it in its place."""
    ann = someone_in(gym, "ann", "nutrition", create=False)
    ann.close()
    bob = someone_in(gym, "bob", "nutrition")
    try:
        said = [send(bob, "nutrition", f"log {n}")["id"] for n in range(1, 601)]
        sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
        in_room(browser, "general")
        pick_room(browser, "nutrition")
        wait(browser).until(lambda d: str(said[-1]) in list_order(d))
        time.sleep(1.5)
        order = list_order(browser)
        if "divider" in order:
            after = [e for e in order[order.index("divider") + 1:] if e != "day-separator"]
            assert int(after[0]) < said[0], f"the divider sits above message {after[0]}, not the first unread"
        # Scrolled all the way up: there it is.
        for _ in range(40):
            if "history-start" in list_order(browser):
                break
            browser.execute_script("document.querySelector('[data-testid=messages]').scrollTop = 0")
            time.sleep(0.4)
        order = list_order(browser)
        assert order.count("divider") == 1, order
        after = [e for e in order[order.index("divider") + 1:] if e != "day-separator"]
        assert after[:2] == [str(said[0] - 1), str(said[0])], order  # bob's join notice, then his first
    finally:
        bob.close()


# MARK: Read receipts


def share_box(driver):
    return wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=share-read-receipts]"))


def test_read_receipts_can_be_turned_off_and_on_from_the_page(browser, gym):
    bob = someone_in(gym, "bob", "general")
    try:
        sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
        in_room(browser, "general")
        box = share_box(browser)
        # A real checkbox, named, on by default (the status event's preferences).
        assert box.get_attribute("type") == "checkbox"
        assert box.is_selected()
        label = browser.execute_script(
            "const box = arguments[0]; return box.labels && box.labels.length ? box.labels[0].textContent.trim() : ''", box)
        assert label == "Share when I've read messages", label
        first = send(bob, "general", "Anyone for squats?")["id"]
        bob.wait_for("read_updated", lambda e: e["id"] == first and e["user"]["name"] == "ann")

        # Off, from the keyboard: stored by the server, and bob hears nothing of ann's reading.
        box.send_keys(Keys.SPACE)
        wait(browser).until(lambda d: not box.is_selected() and box.is_enabled())
        phone = ChatClient(gym.url, token=gym.token("ann", create=False)).connect(wait=False)
        try:
            status = phone.wait_for("status")
            assert status["preferences"]["share_read_receipts"] is False, status
        finally:
            phone.close()
        second = send(bob, "general", "Last call for squats")["id"]
        wait(browser).until(lambda d: d.find_elements(
            By.CSS_SELECTOR, f'[data-testid=messages] > li[data-message-id="{second}"]'))
        time.sleep(2.5)
        assert not [e for e in bob.received("read_updated") if e["user"]["name"] == "ann" and e["id"] == second]
        shot(browser, "trial-read-receipts-off")

        # After a reload the page shows the stored choice.
        browser.refresh()
        in_room(browser, "general")
        box = share_box(browser)
        wait(browser).until(lambda d: not box.is_selected())
        assert_accessible(browser, "chat-share-read-receipts")

        # On again (a click this time): the next read is shared.
        box.click()
        wait(browser).until(lambda d: box.is_selected() and box.is_enabled())
        third = send(bob, "general", "Squats in 5")["id"]
        bob.wait_for("read_updated", lambda e: e["id"] == third and e["user"]["name"] == "ann")

        # On a phone it is in the menu with the account's buttons.
        browser.set_window_size(*PHONE)
        wait(browser).until(lambda d: d.execute_script("return window.innerWidth") == PHONE[0])
        assert not box.is_displayed()
        browser.find_element(By.CSS_SELECTOR, "[data-testid=menu-toggle]").click()
        wait(browser).until(lambda d: box.is_displayed())
        shot(browser, "trial-read-receipts-phone-menu")
    finally:
        bob.close()


# MARK: A phone between sets


def test_a_mention_notice_on_a_phone_is_one_line_clear_of_the_room_chips(browser, gym):
    bob = someone_in(gym, "bob", "general", "nutrition")
    try:
        browser.set_window_size(*PHONE)
        sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
        in_room(browser, "general")
        pick_room(browser, "nutrition")
        pick_room(browser, "general")
        send(bob, "nutrition", "@ann protein shake after the set?")
        notice = browser.find_element(By.CSS_SELECTOR, "[data-testid=mention-notice]")
        wait(browser).until(lambda d: notice.text == "bob mentioned you in #nutrition")
        box = browser.execute_script("""
            const n = document.querySelector('[data-testid=mention-notice]').getBoundingClientRect();
            const chips = document.querySelector('.rooms').getBoundingClientRect();
            const composer = document.querySelector('[data-testid=composer]').getBoundingClientRect();
            const line = parseFloat(getComputedStyle(document.querySelector('[data-testid=mention-notice]')).lineHeight);
            return {top: n.top, bottom: n.bottom, height: n.height, left: n.left, right: n.right,
                    chipsBottom: chips.bottom, composerTop: composer.top, line, width: window.innerWidth};""")
        shot(browser, "trial-phone-mention-notice")
        assert box["top"] >= box["chipsBottom"] - 1, f"the notice covers the room chips: {box}"
        assert box["bottom"] <= box["composerTop"] + 1, f"the notice covers the message box: {box}"
        assert box["height"] < 2 * box["line"], f"the notice wraps onto several lines: {box}"
        assert box["left"] >= 0 and box["right"] <= box["width"], box
        # On a desktop it stays one line at the top of the conversation.
        browser.set_window_size(1280, 800)
        wait(browser).until(lambda d: d.execute_script("return window.innerWidth") == 1280)
        send(bob, "nutrition", "@ann and a banana")
        wait(browser).until(lambda d: notice.text == "bob mentioned you in #nutrition")
        height = browser.execute_script("return document.querySelector('[data-testid=mention-notice]').getBoundingClientRect().height")
        assert height < 2 * box["line"], height
        shot(browser, "trial-desktop-mention-notice")
    finally:
        bob.close()


# MARK: Direct messages


def test_a_direct_conversation_never_opened_has_its_divider_too(browser, gym):
    """cat writes to ann first: ann has never read the conversation (the server says last_read
    null, with 3 unread). Opening it, the divider stands before cat's first message, as the badge
    promised, under "Beginning of the conversation" (not "of the room")."""
    ann = someone_in(gym, "ann", create=False)
    ann.close()
    cat = someone_in(gym, "cat")
    try:
        dm = cat.call("open_direct", {"user": "ann"})["room"]["name"]
        assert cat.call("join_room", {"room": dm})["ok"]
        said = [send(cat, dm, f"Hey Ann, class at 7? ({n})")["id"] for n in range(1, 4)]
        sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
        in_room(browser, "general")
        wait(browser).until(lambda d: d.execute_script(
            "const b = document.querySelector(`[data-room=\"${arguments[0]}\"] [data-testid=unread-badge] [aria-hidden]`);"
            " return b && b.textContent", dm) == "3")
        pick_room(browser, dm)
        wait(browser).until(lambda d: str(said[-1]) in list_order(d))
        order = list_order(browser)
        assert order.count("divider") == 1, order
        after = [e for e in order[order.index("divider") + 1:] if e != "day-separator"]
        assert after[0] == str(said[0]), order
        # A conversation, not a room, begins here.
        start = browser.find_element(By.CSS_SELECTOR, "[data-testid=history-start]")
        assert start.text == "Beginning of the conversation"
        shot(browser, "trial-direct-divider")
        # Opened again later: read, so no divider.
        pick_room(browser, "general")
        pick_room(browser, dm)
        wait(browser).until(lambda d: str(said[-1]) in list_order(d))
        assert "divider" not in list_order(browser)
    finally:
        cat.close()


def test_the_current_room_chip_on_a_phone_is_not_cut_at_the_edge(browser, gym):
    """Picking a chip scrolls the strip to show it: with the strip's padding kept, not flush
    against (or past) the screen's edge."""
    browser.set_window_size(*PHONE)
    sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
    in_room(browser, "general")
    for room in ("progress", "general", "progress"):
        pick_room(browser, room)
        time.sleep(0.3)
        left, right, width = browser.execute_script("""
            const chip = document.querySelector('.rooms [aria-current=true]').getBoundingClientRect();
            return [chip.left, chip.right, window.innerWidth];""")
        assert left >= 8 and right <= width - 8, f"#{room} chip at {left}–{right} of {width}"
    shot(browser, "trial-phone-chip-strip")


# MARK: A tab in the background


def test_a_tab_in_the_background_counts_the_open_rooms_new_messages_in_its_title(browser, gym):
    """The chat open on #general in a background tab: the tab's title said nothing of the messages
    arriving there (only other rooms counted). It counts them until the tab is in front again."""
    bob = someone_in(gym, "bob", "general")
    try:
        sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
        in_room(browser, "general")
        assert browser.title == "Gym chat · fitchat"
        browser.execute_script("""
            Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
            document.dispatchEvent(new Event('visibilitychange'));""")
        last = [send(bob, "general", f"Spotter needed {n}")["id"] for n in range(1, 3)][-1]
        wait(browser).until(lambda d: str(last) in list_order(d))
        wait(browser).until(lambda d: d.title == "(2) Gym chat · fitchat")
        browser.execute_script("""
            delete document.visibilityState;
            document.dispatchEvent(new Event('visibilitychange'));""")
        wait(browser).until(lambda d: d.title == "Gym chat · fitchat")
    finally:
        bob.close()


# MARK: Mentions


def test_a_mention_inside_a_group_still_says_mentions_you(browser, gym):
    """The coach's second message within a few minutes shares the first one's name line (hidden
    for sight): its "mentions you" went with it, leaving a yellow message nobody explained."""
    coach = someone_in(gym, "coach", "general")
    try:
        sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
        in_room(browser, "general")
        send(coach, "general", "Great session everyone")
        mention = send(coach, "general", "@ann your deadlift form looked great")["id"]
        item = wait(browser).until(lambda d: d.find_element(
            By.CSS_SELECTOR, f'[data-testid=messages] > li[data-message-id="{mention}"]'))
        wait(browser).until(lambda d: "mentions-me" in item.get_attribute("class"))
        assert "continued" in item.get_attribute("class")
        seen = [t.text.lower() for t in item.find_elements(By.CSS_SELECTOR, ".mention-tag") if t.is_displayed() and t.text]
        assert seen == ["mentions you"], seen
        # Said once to a screen reader: the name line (hidden for sight) has it; the visible one is hidden from them.
        spoken = browser.execute_script("""
            return [...arguments[0].querySelectorAll('.mention-tag')].filter(t => !t.closest('[aria-hidden=true]')).length""", item)
        assert spoken == 1, spoken
        shot(browser, "trial-mention-in-a-group")
    finally:
        coach.close()


def test_a_mention_opened_from_the_list_stays_in_view_in_a_room_with_many_unread(browser, gym):
    """Opening a room at its divider (older pages loaded to reach it) must not take the view from
    the message a mentions-list entry jumped to."""
    ann = someone_in(gym, "ann", "nutrition", create=False)
    ann.close()
    bob = someone_in(gym, "bob", "nutrition")
    try:
        for n in range(1, 91):
            send(bob, "nutrition", f"meal {n}")
        spot = send(bob, "nutrition", "@ann can you log your macros?")["id"]
        for n in range(1, 4):
            send(bob, "nutrition", f"snack {n}")
        sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
        in_room(browser, "general")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=mentions-toggle]").click()
        entry = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-testid=mention-entry][data-message-id="{spot}"]'))
        entry.click()
        in_room(browser, "nutrition")
        target = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-testid=messages] > li[data-message-id="{spot}"]'))
        wait(browser).until(lambda d: d.switch_to.active_element == target)
        time.sleep(2)  # the older pages that reach the divider have come by now
        in_view = browser.execute_script("""
            const list = document.querySelector('[data-testid=messages]').getBoundingClientRect();
            const r = arguments[0].getBoundingClientRect();
            return r.top >= list.top - 1 && r.bottom <= list.bottom + 1;""", target)
        shot(browser, "trial-mention-jump-many-unread")
        assert in_view, "the view left the mentioned message"
        assert browser.switch_to.active_element == target
    finally:
        bob.close()
