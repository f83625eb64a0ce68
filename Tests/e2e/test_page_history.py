"""The chat page never misses a message (issue 15), in real headless Chromium against the real
daemon, with a python-socketio client on the other side: scrolling up pages through the history
without moving the view, a dropped connection and a daemon restart are resumed silently (every
missed message once, no banner; a banner only when the gap is too big to recover), unread and
mention badges, the "New messages" divider, "Seen by", and the mentions list. Screenshots go to
build/screenshots/, axe results to build/axe/."""
import signal
import time

import pytest

from browser import assert_accessible, in_room, pick_room, shot, sign_in_to_chat, wait
from chat_client import ChatClient

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from page_gym import PASSWORD, PHONE, browser, gym, someone_in, send  # noqa: F401 (pytest fixtures)

BANNER = "Some messages could not be recovered; showing the latest."
PHONE_BUDGET_PX = 120


def sign_in(driver, gym):
    sign_in_to_chat(driver, gym.url, "ann", PASSWORD)


def dom_ids(driver):
    """The ids of the messages in the list, in the order shown."""
    return driver.execute_script(
        "return [...document.querySelectorAll('[data-testid=messages] > li[data-message-id]')]"
        ".map(li => Number(li.dataset.messageId))")


def shown(driver, message_id):
    return wait(driver).until(lambda d: d.find_element(
        By.CSS_SELECTOR, f'[data-testid=messages] > li[data-message-id="{message_id}"]'))


def text_of(driver, message_id):
    return driver.execute_script(
        "const li = document.querySelector(`[data-testid=messages] > li[data-message-id=\"${arguments[0]}\"] .text`);"
        " return li ? li.textContent : null", message_id)


def badge(driver, room, kind):
    """The visible text of a room's badge ("3", "999+", "@1"), or None."""
    return driver.execute_script(
        "const b = document.querySelector(`[data-room=\"${arguments[0]}\"] [data-testid=${arguments[1]}] [aria-hidden]`);"
        " return b ? b.textContent : null", room, kind)


def banner_shown(driver):
    return driver.find_element(By.CSS_SELECTOR, "[data-testid=recovery-banner]").is_displayed()


def connection_state(driver):
    return driver.find_element(By.CSS_SELECTOR, "[data-testid=connection]").get_attribute("data-state")


def record_live_messages(driver):
    """From now on, the ids of every new_message the page's socket receives (over any connection)."""
    driver.execute_script("""
        window.liveIds = [];
        window.fitnessChat.socket.on('new_message', (m) => window.liveIds.push(m.room + ':' + m.id));""")


def assert_no_live_duplicates(driver):
    live = driver.execute_script("return window.liveIds")
    assert len(live) == len(set(live)), f"the server sent a new_message twice: {live}"


def hold_reconnect(driver):
    """Drops the page's connection (closes its WebSocket) and keeps it from reconnecting until
    release_reconnect: the page's own client, with its backoff, is what comes back."""
    driver.execute_script("""
        const socket = window.fitnessChat.socket;
        socket.realConnect = socket.realConnect || socket.connect;
        socket.connect = () => { window.reconnectHeld = (window.reconnectHeld || 0) + 1; };
        if (socket.ws) socket.ws.close();""")
    wait(driver).until(lambda d: connection_state(d) == "reconnecting")


def release_reconnect(driver):
    # Only once the page's own reconnect timer has fired (and been held): released earlier, that
    # timer would open a second socket next to ours.
    wait(driver).until(lambda d: d.execute_script("return (window.reconnectHeld || 0) > 0"))
    driver.execute_script("""
        window.reconnectHeld = 0;
        const socket = window.fitnessChat.socket;
        socket.connect = socket.realConnect;
        if (socket.state !== 'connected') socket.connect();""")


def mark_node(driver, message_id):
    """Tags a message's DOM node: still tagged later means the list was not reloaded."""
    driver.execute_script(
        "document.querySelector(`[data-testid=messages] > li[data-message-id=\"${arguments[0]}\"]`).fitchatMark = true",
        message_id)


def node_kept(driver, message_id):
    return driver.execute_script(
        "const li = document.querySelector(`[data-testid=messages] > li[data-message-id=\"${arguments[0]}\"]`);"
        " return Boolean(li && li.fitchatMark)", message_id)


def assert_once_in_order(driver, expected_ids):
    ids = dom_ids(driver)
    assert len(ids) == len(set(ids)), f"a message is shown twice: {ids}"
    assert ids == sorted(ids), ids
    for message_id in expected_ids:
        assert ids.count(message_id) == 1, (message_id, ids)


# MARK: Paging


def test_scrolling_to_the_top_loads_older_messages_without_moving_the_view(browser, gym):
    bob = someone_in(gym, "bob", "general")
    try:
        sent = [send(bob, "general", f"set {n}: 5 reps")["id"] for n in range(1, 131)]
        sign_in(browser, gym)
        in_room(browser, "general")
        shown(browser, sent[-1])
        # The latest page (50, ann's own join notice the newest), a button for more, no beginning yet.
        assert len(dom_ids(browser)) == 50
        assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=history-start]") == []
        assert "Older messages are in the room's history." not in browser.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text
        more = browser.find_element(By.CSS_SELECTOR, "[data-testid=load-older] button")
        assert more.text == "Load older messages"

        # Scrolled to the top: the next page arrives above, and what was in view stays in place (the
        # oldest shown may lose its name line to the group above it: the next ones are measured).
        for expected in (100, 130):
            oldest = dom_ids(browser)[2]
            before = browser.execute_script("""
                const list = document.querySelector('[data-testid=messages]');
                list.scrollTop = 0;
                const li = list.querySelector(`li[data-message-id="${arguments[0]}"]`);
                return li.getBoundingClientRect().top - list.getBoundingClientRect().top;""", oldest)
            wait(browser).until(lambda d: len(dom_ids(d)) > expected - 1)
            after = browser.execute_script("""
                const list = document.querySelector('[data-testid=messages]');
                const li = list.querySelector(`li[data-message-id="${arguments[0]}"]`);
                return [li.getBoundingClientRect().top - list.getBoundingClientRect().top, list.scrollTop];""", oldest)
            assert abs(after[0] - before) <= 2, f"the view jumped: {before} -> {after[0]}"
            assert after[1] > 0, after

        # The last page: bob's join notice, the first message; then "Beginning of the room".
        browser.execute_script("document.querySelector('[data-testid=messages]').scrollTop = 0")
        start = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=history-start]"))
        assert start.text == "Beginning of the room"
        assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=load-older]") == []
        ids = dom_ids(browser)
        assert len(ids) == 132 and len(set(ids)) == 132, ids  # bob's join, 130 sets, ann's join
        assert ids == sorted(ids)
        assert all(message_id in ids for message_id in sent)
        first = browser.find_element(By.CSS_SELECTOR, "[data-testid=messages] > li:first-child")
        assert first.get_attribute("data-testid") == "history-start"
        # The pages joined seamlessly: one day separator, and bob's run of messages under one name.
        assert len(browser.find_elements(By.CSS_SELECTOR, "[data-testid=day-separator]")) == 1
        names = browser.execute_script("""
            return [...document.querySelectorAll('[data-testid=messages] .message')].filter(li => {
              const author = li.querySelector('.author');
              return !author.closest('.visually-hidden') && author.getBoundingClientRect().height > 2;
            }).length;""")
        assert names == 1, names
        shot(browser, "history-beginning")

        # Live messages still arrive at the end, once.
        latest = send(bob, "general", "after the paging")["id"]
        shown(browser, latest)
        assert_once_in_order(browser, sent + [latest])
    finally:
        bob.close()


# MARK: Reconnect and restart


def test_a_dropped_connection_is_resumed_silently(browser, gym):
    bob = someone_in(gym, "bob", "general", "nutrition")
    try:
        early = send(bob, "general", "Warm-up done")
        sign_in(browser, gym)
        in_room(browser, "general")
        pick_room(browser, "nutrition")
        pick_room(browser, "general")
        shown(browser, early["id"])
        mark_node(browser, early["id"])
        record_live_messages(browser)

        hold_reconnect(browser)
        gap = [send(bob, "general", f"missed {n}")["id"] for n in range(1, 6)]
        elsewhere = [send(bob, "nutrition", f"meanwhile in nutrition {n}")["id"] for n in range(1, 3)]
        # A change to a message the page has: the resume brings its current state.
        assert bob.call("edit_message", {"room": "general", "id": early["id"], "message": "Warm-up done, 10 min"})["ok"]
        assert bob.call("react", {"room": "general", "id": early["id"], "emoji": "💪", "on": True})["ok"]
        assert all(text_of(browser, message_id) is None for message_id in gap)
        release_reconnect(browser)

        wait(browser).until(lambda d: connection_state(d) == "connected")
        for message_id in gap:
            shown(browser, message_id)
        wait(browser).until(lambda d: (text_of(d, early["id"]) or "").startswith("Warm-up done, 10 min"))
        wait(browser).until(lambda d: d.find_elements(
            By.CSS_SELECTOR, f'[data-testid=messages] > li[data-message-id="{early["id"]}"] [data-emoji="💪"]'))
        assert_once_in_order(browser, [early["id"], *gap])
        assert node_kept(browser, early["id"]), "the list was reloaded instead of resumed"
        assert not banner_shown(browser)
        # The room not open counts what it missed, once (rooms_list and the resume both carry it).
        wait(browser).until(lambda d: badge(d, "nutrition", "unread-badge") == "2")

        # Live again, once, in both rooms.
        after = send(bob, "general", "back with us?")["id"]
        shown(browser, after)
        send(bob, "nutrition", "meanwhile in nutrition 3")
        wait(browser).until(lambda d: badge(d, "nutrition", "unread-badge") == "3")
        time.sleep(0.5)
        assert_once_in_order(browser, [early["id"], *gap, after])
        assert badge(browser, "nutrition", "unread-badge") == "3"
        assert not banner_shown(browser)
        assert_no_live_duplicates(browser)
        pick_room(browser, "nutrition")
        for message_id in elsewhere:
            shown(browser, message_id)
        shot(browser, "resume-after-drop")
    finally:
        bob.close()


def test_a_daemon_restart_while_the_page_is_open(browser, gym):
    bob = someone_in(gym, "bob", "general")
    try:
        before = [send(bob, "general", f"before the restart {n}")["id"] for n in range(1, 4)]
        sign_in(browser, gym)
        in_room(browser, "general")
        shown(browser, before[-1])
        mark_node(browser, before[0])
        record_live_messages(browser)

        # SIGKILL: only what was acknowledged (on disk) counts. The page stays open, reconnecting.
        hold_reconnect(browser)
        gym.stop(sig=signal.SIGKILL)
        bob.close()
        gym.start()
        bob = someone_in(gym, "bob", "general")
        during = [send(bob, "general", f"while the page was away {n}")["id"] for n in range(1, 4)]
        release_reconnect(browser)
        wait(browser, 30).until(lambda d: connection_state(d) == "connected")
        for message_id in during:
            shown(browser, message_id)

        # And live from the restarted daemon.
        after = send(bob, "general", "after the restart")["id"]
        shown(browser, after)
        time.sleep(0.5)
        assert_once_in_order(browser, [*before, *during, after])
        assert node_kept(browser, before[0]), "the list was reloaded instead of resumed"
        assert not banner_shown(browser)

        # A second restart (SIGTERM), with the page's own backoff this time.
        gym.stop(sig=signal.SIGTERM)
        wait(browser).until(lambda d: connection_state(d) == "reconnecting")
        bob.close()
        gym.start()
        bob = someone_in(gym, "bob", "general")
        again = send(bob, "general", "second restart")["id"]
        wait(browser, 45).until(lambda d: connection_state(d) == "connected")
        shown(browser, again)
        time.sleep(0.5)
        assert_once_in_order(browser, [*before, *during, after, again])
        assert not banner_shown(browser)
        assert_no_live_duplicates(browser)
        shot(browser, "resume-after-restart")
    finally:
        bob.close()


def test_a_gap_too_big_to_recover_reloads_with_a_banner(browser, gym):
    bob = someone_in(gym, "bob", "general")
    try:
        first = send(bob, "general", "before the long absence")["id"]
        sign_in(browser, gym)
        in_room(browser, "general")
        shown(browser, first)
        hold_reconnect(browser)
        for n in range(1, 1006):
            bob.emit("send_message", {"room": "general", "message": f"flood {n}"})
        last = send(bob, "general", "the latest")["id"]
        release_reconnect(browser)

        banner = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=recovery-banner]"))
        wait(browser).until(lambda d: banner.is_displayed() and BANNER in banner.text)
        shown(browser, last)
        ids = dom_ids(browser)
        assert len(ids) == 50 and len(set(ids)) == 50 and ids[-1] == last, ids
        assert first not in ids
        shot(browser, "resume-banner")
        assert_accessible(browser, "chat-recovery-banner")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=recovery-dismiss]").click()
        wait(browser).until(lambda d: not banner_shown(d))
    finally:
        bob.close()


# MARK: Unread, divider, read receipts


def test_unread_badges_the_new_messages_divider_and_seen_by(browser, gym):
    bob = someone_in(gym, "bob", "general", "nutrition", "progress")
    try:
        sign_in(browser, gym)
        in_room(browser, "general")
        # Ann has been to nutrition and progress once (a participant now: their live events come to the page).
        pick_room(browser, "nutrition")
        pick_room(browser, "progress")
        pick_room(browser, "general")
        assert badge(browser, "nutrition", "unread-badge") is None

        # More than 999: "999+", live and from the server's capped count after a reload.
        for n in range(1, 1001):
            bob.emit("send_message", {"room": "progress", "message": f"PR #{n}"})
        send(bob, "progress", "one more")
        wait(browser, 30).until(lambda d: badge(d, "progress", "unread-badge") == "999+")
        browser.refresh()
        in_room(browser, "general")
        wait(browser).until(lambda d: badge(d, "progress", "unread-badge") == "999+")

        # Bob writes there while ann reads general: the badge counts his text messages.
        said = [send(bob, "nutrition", f"Protein after training? {n}")["id"] for n in range(1, 4)]
        wait(browser).until(lambda d: badge(d, "nutrition", "unread-badge") == "3")
        assert badge(browser, "nutrition", "mention-badge") is None
        spoken = browser.find_element(By.CSS_SELECTOR, '[data-room="nutrition"] [data-testid=unread-badge] .visually-hidden')
        assert spoken.get_attribute("textContent") == ", 3 unread"
        assert badge(browser, "general", "unread-badge") is None
        shot(browser, "unread-badges")

        # Opening it clears the badge; the divider sits right before bob's first unread message.
        pick_room(browser, "nutrition")
        shown(browser, said[-1])
        wait(browser).until(lambda d: badge(d, "nutrition", "unread-badge") is None)
        order = browser.execute_script("""
            return [...document.querySelectorAll('[data-testid=messages] > li')].map(li =>
              li.dataset.testid === 'new-divider' ? 'divider' : (li.dataset.messageId || li.dataset.testid || li.className));""")
        assert order.count("divider") == 1, order
        after_divider = [entry for entry in order[order.index("divider") + 1:] if entry != "day-separator"]
        assert after_divider[0] == str(said[0]), order
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=new-divider]").text.lower() == "new messages"
        shot(browser, "new-messages-divider")

        # While it is open the page marks what it shows as read: bob gets ann's read receipt.
        newest = send(bob, "nutrition", "Anyone?")["id"]
        shown(browser, newest)
        receipt = bob.wait_for("read_updated", lambda e: e["room"] == "nutrition" and e["id"] == newest and e["user"]["name"] == "ann")
        assert receipt["user"]["display_name"] == "Ann Lifter"
        rooms = {r["name"]: r for r in bob.call("get_rooms")["rooms"]}
        assert rooms["nutrition"]["joined"] is True

        # A tab in the background reads nothing; back in front, it marks what it shows.
        browser.execute_script("""
            Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
            document.dispatchEvent(new Event('visibilitychange'));""")
        unseen = send(bob, "nutrition", "Still there?")["id"]
        shown(browser, unseen)
        time.sleep(2)
        assert not [e for e in bob.received("read_updated") if e["id"] == unseen and e["user"]["name"] == "ann"]
        browser.execute_script("""
            delete document.visibilityState;
            document.dispatchEvent(new Event('visibilitychange'));""")
        bob.wait_for("read_updated", lambda e: e["id"] == unseen and e["user"]["name"] == "ann")

        # "Seen by": ann writes; once bob has read it, the page says so under it.
        box = browser.find_element(By.CSS_SELECTOR, "[data-testid=message-input]")
        box.send_keys("Shake with oats", Keys.ENTER)
        mine = bob.wait_for("new_message", lambda m: m["room"] == "nutrition" and m["message"] == "Shake with oats")
        seen = browser.find_element(By.CSS_SELECTOR, "[data-testid=seen-by]")
        assert seen.text == ""
        assert bob.call("mark_read", {"room": "nutrition", "id": mine["id"]})["ok"]
        wait(browser).until(lambda d: seen.text == "Seen by bob")
        assert seen.get_attribute("data-message-id") == str(mine["id"])
        shot(browser, "seen-by")
        assert_accessible(browser, "chat-divider-seen-by")

        # Read on another of ann's devices: the badge goes here too (read_updated to all her connections).
        pick_room(browser, "general")
        more = [send(bob, "nutrition", f"and {n}")["id"] for n in range(2)]
        wait(browser).until(lambda d: badge(d, "nutrition", "unread-badge") == "2")
        phone = ChatClient(gym.url, token=gym.token("ann", create=False)).connect()
        try:
            assert phone.call("mark_read", {"room": "nutrition", "id": more[-1]})["ok"]
            wait(browser).until(lambda d: badge(d, "nutrition", "unread-badge") is None)
        finally:
            phone.close()

        # A direct conversation has its own badge.
        cat = someone_in(gym, "cat")
        try:
            dm = cat.call("open_direct", {"user": "ann"})["room"]["name"]
            assert cat.call("join_room", {"room": dm})["ok"]
            wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, f'[data-testid=direct-rooms] [data-room="{dm}"]'))
            send(cat, dm, "Class at 7?")
            wait(browser).until(lambda d: badge(d, dm, "unread-badge") == "1")
            # A badge survives a reload: it comes from the server's count.
            browser.refresh()
            in_room(browser, "general")
            wait(browser).until(lambda d: badge(d, dm, "unread-badge") == "1")
        finally:
            cat.close()
        assert_accessible(browser, "chat-unread")
        browser.set_window_size(*PHONE)
        wait(browser).until(lambda d: d.execute_script("return window.innerWidth") == PHONE[0])
        top = browser.execute_script("return document.querySelector('[data-testid=messages]').getBoundingClientRect().top")
        assert top <= PHONE_BUDGET_PX, f"{top} px above the messages on a phone"
        shot(browser, "unread-badges-390x844")
    finally:
        bob.close()


# MARK: Mentions


def test_a_mention_raises_its_badge_is_highlighted_and_listed(browser, gym):
    bob = someone_in(gym, "bob", "general", "nutrition", "workout-tips")
    try:
        sign_in(browser, gym)
        in_room(browser, "general")
        pick_room(browser, "nutrition")
        pick_room(browser, "general")

        # In a room ann has joined but is not looking at: unread and mention badges, and a notice.
        spot = send(bob, "nutrition", "@ann can you spot me at 6?")
        assert spot["mentions"] == ["ann"], spot
        wait(browser).until(lambda d: badge(d, "nutrition", "mention-badge") == "@1")
        assert badge(browser, "nutrition", "unread-badge") == "1"
        notice = browser.find_element(By.CSS_SELECTOR, "[data-testid=mention-notice]")
        wait(browser).until(lambda d: notice.text == "bob mentioned you in #nutrition")
        assert notice.get_attribute("role") == "status"

        # In a room ann never joined: the mention still reaches her.
        form = send(bob, "workout-tips", "Form check, @Ann?")
        wait(browser).until(lambda d: badge(d, "workout-tips", "mention-badge") == "@1")
        total = browser.find_element(By.CSS_SELECTOR, "[data-testid=mentions-total]")
        wait(browser).until(lambda d: total.text == "2")
        toggle = browser.find_element(By.CSS_SELECTOR, "[data-testid=mentions-toggle]")
        assert toggle.get_attribute("aria-label") == "Mentions of you, 2 unread"
        shot(browser, "mention-badges")
        # On a phone the header keeps its one line, the total on the @ button.
        browser.set_window_size(*PHONE)
        wait(browser).until(lambda d: d.execute_script("return window.innerWidth") == PHONE[0])
        top = browser.execute_script("return document.querySelector('[data-testid=messages]').getBoundingClientRect().top")
        assert top <= PHONE_BUDGET_PX, f"{top} px above the messages on a phone"
        assert total.is_displayed() and toggle.is_displayed()
        shot(browser, "mention-badges-390x844")
        browser.set_window_size(1280, 800)
        wait(browser).until(lambda d: d.execute_script("return window.innerWidth") == 1280)

        # In the open room: highlighted as it arrives.
        here = send(bob, "general", "@ann nice PR!")
        item = shown(browser, here["id"])
        wait(browser).until(lambda d: "mentions-me" in item.get_attribute("class"))
        assert item.find_element(By.CSS_SELECTOR, "[data-testid=mention-tag]").text.lower() == "mentions you"
        plain = send(bob, "general", "no mention here")
        assert "mentions-me" not in shown(browser, plain["id"]).get_attribute("class")

        # The mentions list: newest first; an entry jumps to its room and message.
        toggle.click()
        panel = browser.find_element(By.CSS_SELECTOR, "[data-testid=mentions-panel]")
        assert panel.is_displayed() and toggle.get_attribute("aria-expanded") == "true"
        entries = wait(browser).until(lambda d: (lambda found: found if len(found) == 3 else None)(
            d.find_elements(By.CSS_SELECTOR, "[data-testid=mention-entry]")))
        assert [e.get_attribute("data-message-id") for e in entries] == [str(here["id"]), str(form["id"]), str(spot["id"])]
        assert "Form check, @Ann?" in entries[1].text and "#workout-tips" in entries[1].text
        shot(browser, "mentions-list")
        assert_accessible(browser, "chat-mentions")
        entries[1].click()
        in_room(browser, "workout-tips")
        target = shown(browser, form["id"])
        assert not panel.is_displayed()
        wait(browser).until(lambda d: "mentions-me" in target.get_attribute("class"))
        wait(browser).until(lambda d: d.switch_to.active_element == target)
        wait(browser).until(lambda d: badge(d, "workout-tips", "mention-badge") is None)
        assert badge(browser, "nutrition", "mention-badge") == "@1"

        # Escape closes the list and gives the focus back to its button.
        toggle.click()
        wait(browser).until(lambda d: panel.is_displayed())
        browser.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait(browser).until(lambda d: not panel.is_displayed())
        assert browser.switch_to.active_element == toggle

        # Opening nutrition: the mention is highlighted there and its badges go.
        pick_room(browser, "nutrition")
        assert "mentions-me" in shown(browser, spot["id"]).get_attribute("class")
        wait(browser).until(lambda d: badge(d, "nutrition", "mention-badge") is None and total.text == "")
        shot(browser, "mention-highlight")
        assert_accessible(browser, "chat-mention-highlight")
    finally:
        bob.close()
