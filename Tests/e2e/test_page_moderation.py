"""The chat page's moderation (issue 16) in real headless Chromium against the real daemon: a
member reports a message and a moderator's page gets the notice with its way to the message; a
moderator mutes and bans from the menu of a member's name, and the member's page shows it (the
composer off with "You are muted in #general until HH:MM", then back; "You were banned from
#general", then the join button back after the unban). Two browsers where both sides are pages,
python-socketio for the third person. Screenshots go to build/screenshots/moderation-*.png; axe
runs on the report dialog, the menu and the ban dialog at 390 and 1280 px."""
import re

import pytest

from browser import assert_accessible, in_room, shot, sign_in_to_chat, wait
from chat_client import ChatClient

from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from page_gym import PASSWORD, PHONE, moderated_gym as gym, browsers, someone_in, send  # noqa: F401 (pytest fixtures)


def item(driver, message_id):
    return driver.find_element(By.CSS_SELECTOR, f'[data-testid=messages] li[data-message-id="{message_id}"]')


def shown_message(driver, message_id):
    return wait(driver).until(lambda d: item(d, message_id))


def click(driver, element):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def text_of(driver, testid):
    return driver.find_element(By.CSS_SELECTOR, f"[data-testid={testid}]").text


def toast_text(driver, testid, containing=""):
    """The text of a notice of that kind that says `containing` (waits for it)."""
    def found(d):
        texts = [t.text for t in d.find_elements(By.CSS_SELECTOR, f"[data-testid={testid}] .toast-text")]
        return next((t for t in reversed(texts) if containing in t), None)
    return wait(driver).until(found)


def composer_state(driver):
    return driver.execute_script("""
        const box = document.querySelector('[data-testid=message-input]');
        return {disabled: box.disabled, send: document.querySelector('.composer .send').disabled,
                notice: document.querySelector('[data-testid=composer-notice]').textContent};""")


def open_name_menu(driver, message_id):
    """A moderator's page: the menu of the author's name in a message's header."""
    button = wait(driver).until(lambda d: item(d, message_id).find_element(By.CSS_SELECTOR, "[data-testid=user-menu-button]"))
    click(driver, button)
    menu = wait(driver).until(lambda d: item(d, message_id).find_element(By.CSS_SELECTOR, "[data-testid=user-menu]"))
    assert button.get_attribute("aria-expanded") == "true"
    return menu


def clock(driver, iso):
    return driver.execute_script(
        "return new Date(arguments[0]).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit'})", iso)


# MARK: Reports


def test_a_report_from_the_page_reaches_a_moderators_page(gym, browsers):
    bob = someone_in(gym, "bob", "general")
    member, desk = browsers(), browsers()
    try:
        sign_in_to_chat(member, gym.url, "ann", PASSWORD)
        sign_in_to_chat(desk, gym.url, "desk", PASSWORD)
        in_room(member, "general")
        in_room(desk, "general")
        spam = send(bob, "general", "buy cheap followers <b>now</b> at spam.example")
        shown_message(member, spam["id"])
        shown_message(desk, spam["id"])

        # Report is offered on others' text messages, never on one's own.
        ann = ChatClient(gym.url, token=gym.token("ann", create=False)).connect()
        mine = send(ann, "general", "my own words")
        ann.close()
        shown_message(member, mine["id"])
        assert item(member, mine["id"]).find_elements(By.CSS_SELECTOR, "[data-action=report]") == []
        report = item(member, spam["id"]).find_element(By.CSS_SELECTOR, "[data-action=report]")
        assert report.get_attribute("aria-label").startswith("Report the message of ")
        click(member, report)
        dialog = wait(member).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=report-dialog][open]"))
        # The quote is the message's text, as text.
        assert "<b>now</b>" in dialog.find_element(By.CSS_SELECTOR, "[data-testid=report-quote]").text
        assert member.switch_to.active_element == dialog.find_element(By.CSS_SELECTOR, "[data-testid=report-reason]")
        # The reason is required.
        dialog.find_element(By.CSS_SELECTOR, "[data-testid=report-send]").click()
        assert "required" in dialog.find_element(By.CSS_SELECTOR, "[data-testid=report-error]").text
        shot(member, "moderation-report-dialog")
        assert_accessible(member, "chat-report-dialog")
        dialog.find_element(By.CSS_SELECTOR, "[data-testid=report-reason]").send_keys("Spam, and a link to a scam")
        dialog.find_element(By.CSS_SELECTOR, "[data-testid=report-send]").click()
        assert toast_text(member, "report-done", "Reported") == "Reported to the moderators. Thank you."
        assert not member.find_elements(By.CSS_SELECTOR, "[data-testid=report-dialog][open]")
        # Focus goes back to the Report button.
        assert member.switch_to.active_element.get_attribute("data-action") == "report"

        # The moderator's page: who, where, an excerpt, the reason, and the way to the message.
        notice = wait(desk).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=report-notice]"))
        said = notice.text
        for part in ("Ann Lifter", "bob", "#general", "buy cheap followers <b>now</b>", "Spam, and a link to a scam"):
            assert part in said, said
        assert notice.get_attribute("data-room") == "general"
        assert notice.get_attribute("data-message-id") == str(spam["id"])
        shot(desk, "moderation-report-notice")
        # The message is out of view (the room moved on): the link brings it back and focuses it.
        for n in range(60):
            send(bob, "general", f"set {n}: 5 reps")
        wait(desk).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=messages] .message")) > 60)
        notice.find_element(By.CSS_SELECTOR, "[data-testid=report-jump]").click()
        wait(desk).until(lambda d: d.switch_to.active_element.get_attribute("data-message-id") == str(spam["id"]))
        in_view = desk.execute_script("""
            const list = document.querySelector('[data-testid=messages]').getBoundingClientRect();
            const r = arguments[0].getBoundingClientRect();
            return r.top >= list.top - 1 && r.bottom <= list.bottom + 1;""", item(desk, spam["id"]))
        assert in_view
        assert not desk.find_elements(By.CSS_SELECTOR, "[data-testid=report-notice]")

        # The same report again: a confirmation that says so (and no second notice).
        click(member, item(member, spam["id"]).find_element(By.CSS_SELECTOR, "[data-action=report]"))
        member.find_element(By.CSS_SELECTOR, "[data-testid=report-reason]").send_keys("Spam")
        member.find_element(By.CSS_SELECTOR, "[data-testid=report-send]").click()
        toast_text(member, "report-done", "already reported")

        # An error is shown in the dialog: the message went while the dialog was open.
        gone = send(bob, "general", "this one will vanish")
        shown_message(member, gone["id"])
        click(member, item(member, gone["id"]).find_element(By.CSS_SELECTOR, "[data-action=report]"))
        member.find_element(By.CSS_SELECTOR, "[data-testid=report-reason]").send_keys("Rude")
        assert bob.call("delete_message", {"room": "general", "id": gone["id"]})["ok"]
        wait(member).until(lambda d: item(d, gone["id"]).find_elements(By.CSS_SELECTOR, "[data-testid=tombstone]"))
        member.find_element(By.CSS_SELECTOR, "[data-testid=report-send]").click()
        error = wait(member).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=report-error]").text)
        assert "gone" in error
        member.find_element(By.CSS_SELECTOR, "[data-testid=report-reason]").send_keys(Keys.ESCAPE)
        wait(member).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid=report-dialog][open]"))
    finally:
        bob.close()


# MARK: Mutes


def test_a_mute_seen_from_both_sides(gym, browsers):
    bob = someone_in(gym, "bob", "general")
    member, desk = browsers(), browsers()
    try:
        sign_in_to_chat(member, gym.url, "ann", PASSWORD)
        sign_in_to_chat(desk, gym.url, "desk", PASSWORD)
        in_room(member, "general")
        in_room(desk, "general")
        box = member.find_element(By.CSS_SELECTOR, "[data-testid=message-input]")
        box.send_keys("morning all", Keys.ENTER)
        hello = wait(desk).until(lambda d: d.execute_script(
            "const li = [...document.querySelectorAll('[data-testid=messages] .message')]"
            ".find(li => li.querySelector('.text').textContent === 'morning all');"
            " return li ? Number(li.dataset.messageId) : null"))
        # A member has no menu on names; the moderator has one (a button, keyboard reachable).
        assert member.find_elements(By.CSS_SELECTOR, "[data-testid=messages] [data-testid=user-menu-button]") == []
        menu = open_name_menu(desk, hello)
        labels = [b.text for b in menu.find_elements(By.CSS_SELECTOR, "button")]
        assert labels == ["Mute 10 min", "Mute 1 hour", "Mute 1 day", "Unmute", "Ban from room…", "Unban"], labels
        assert desk.switch_to.active_element.text == "Mute 10 min"
        desk.switch_to.active_element.send_keys(Keys.ARROW_DOWN)
        assert desk.switch_to.active_element.text == "Mute 1 hour"
        shot(desk, "moderation-menu")
        assert_accessible(desk, "chat-moderation-menu")
        # Escape closes it, back on the name.
        desk.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait(desk).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid=user-menu]"))
        assert desk.switch_to.active_element.get_attribute("data-testid") == "user-menu-button"

        menu = open_name_menu(desk, hello)
        menu.find_element(By.CSS_SELECTOR, "[data-action=mute-10]").click()
        done = toast_text(desk, "moderation-done", "muted")
        assert done.startswith("Ann Lifter is muted in #general until"), done

        # The member: the composer is off, with the notice and its end.
        wait(member).until(lambda d: composer_state(d)["disabled"])
        state = composer_state(member)
        assert state["send"]
        assert re.fullmatch(r"You are muted in #general until \d\d:\d\d( [AP]M)?\.", state["notice"]), state
        # Its room's button says so too (the chip on a phone).
        assert member.find_elements(By.CSS_SELECTOR, '[data-room="general"] [data-testid=muted-badge]')
        shot(member, "moderation-muted")
        member.set_window_size(*PHONE)
        shot(member, "moderation-muted-phone")
        member.set_window_size(1280, 800)

        # After a reload (rooms_list's muted_until) it is still there.
        member.refresh()
        wait(member).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=connection]").get_attribute("data-state") == "connected")
        in_room(member, "general")
        wait(member).until(lambda d: composer_state(d)["disabled"] and "muted" in composer_state(d)["notice"])

        # A send the page did not know to hold back: the server's refusal is shown, and the notice is back.
        member.execute_script("const c = window.fitnessChat; c.state('general').mutedUntil = null; c.updateComposer();")
        assert not composer_state(member)["disabled"]
        member.find_element(By.CSS_SELECTOR, "[data-testid=message-input]").send_keys("can I talk?", Keys.ENTER)
        error = wait(member).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=composer-error]").text)
        assert re.fullmatch(r"You are muted in #general until \d\d:\d\d( [AP]M)?\.", error), error
        wait(member).until(lambda d: composer_state(d)["disabled"])

        # Unmute from the people online ("Moderate"): the composer comes back by itself.
        moderate = wait(desk).until(lambda d: d.find_element(
            By.CSS_SELECTOR, '[data-testid=participants] li[data-user="ann"] [data-testid=user-menu-button]'))
        assert moderate.get_attribute("aria-label") == "Moderate Ann Lifter"
        click(desk, moderate)
        desk.find_element(By.CSS_SELECTOR, "[data-testid=user-menu] [data-action=unmute]").click()
        toast_text(desk, "moderation-done", "Ann Lifter may write in #general again.")
        wait(member).until(lambda d: not composer_state(d)["disabled"])
        assert composer_state(member)["notice"] == ""
        assert member.find_element(By.CSS_SELECTOR, "[data-testid=composer-error]").text == ""
        box = member.find_element(By.CSS_SELECTOR, "[data-testid=message-input]")
        assert box.get_attribute("value") == "can I talk?"  # the refused draft is kept
        box.send_keys(" thanks", Keys.ENTER)
        bob.wait_for("new_message", lambda m: m["message"] == "can I talk? thanks")

        # A mute ends by itself at its time (a timer, no event): two seconds from now.
        member.execute_script("""
            const c = window.fitnessChat;
            c.state('general').mutedUntil = new Date(Date.now() + 2000); c.updateComposer();""")
        assert composer_state(member)["disabled"]
        wait(member, 6).until(lambda d: not composer_state(d)["disabled"] and composer_state(d)["notice"] == "")

        # The server refuses a moderator's action on a moderator: shown in the menu.
        gym.cli("user", "add", "boss", "--role", "moderator", "--password-stdin", input=PASSWORD + "\n")
        boss = ChatClient(gym.url, token=gym.token("boss", create=False)).connect()
        assert boss.call("join_room", {"room": "general"})["ok"]
        said = send(boss, "general", "hello from the other desk")
        shown_message(desk, said["id"])
        menu = open_name_menu(desk, said["id"])
        menu.find_element(By.CSS_SELECTOR, "[data-action=mute-60]").click()
        refused = wait(desk).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=user-menu-error]").text)
        assert refused, "a refusal must be shown"
        boss.close()
    finally:
        bob.close()


# MARK: Bans


def test_a_ban_seen_from_both_sides(gym, browsers):
    bob = someone_in(gym, "bob", "general")
    member, desk = browsers(), browsers()
    try:
        sign_in_to_chat(member, gym.url, "ann", PASSWORD)
        sign_in_to_chat(desk, gym.url, "desk", PASSWORD)
        in_room(member, "general")
        in_room(desk, "general")
        member.find_element(By.CSS_SELECTOR, "[data-testid=message-input]").send_keys("who took my towel", Keys.ENTER)
        said = wait(desk).until(lambda d: d.execute_script(
            "const li = [...document.querySelectorAll('[data-testid=messages] .message')]"
            ".find(li => li.querySelector('.text').textContent === 'who took my towel');"
            " return li ? Number(li.dataset.messageId) : null"))

        # From the people online: Moderate → Ban from room… → the dialog asks a reason (optional).
        moderate = wait(desk).until(lambda d: d.find_element(
            By.CSS_SELECTOR, '[data-testid=participants] li[data-user="ann"] [data-testid=user-menu-button]'))
        click(desk, moderate)
        desk.find_element(By.CSS_SELECTOR, "[data-testid=user-menu] [data-action=ban]").click()
        dialog = wait(desk).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=ban-dialog][open]"))
        assert dialog.find_element(By.CSS_SELECTOR, "#ban-title").text == "Ban Ann Lifter from #general?"
        shot(desk, "moderation-ban-dialog")
        assert_accessible(desk, "chat-ban-dialog")
        dialog.find_element(By.CSS_SELECTOR, "[data-testid=ban-reason]").send_keys("left the gym")
        dialog.find_element(By.CSS_SELECTOR, "[data-testid=ban-send]").click()
        toast_text(desk, "moderation-done", "Ann Lifter was banned from #general.")
        # The room (the moderator and bob) sees the ban with its reason.
        line = wait(desk).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=ban-note]"))
        assert line.text == "Ann Lifter was banned (left the gym)"
        bob.wait_for("user_banned", lambda m: m["user"]["name"] == "ann")

        # The member: out of the room, told why, the join button disabled with its explanation.
        # The notice is drawn again when the fresh rooms_list follows room_removed: each look finds it anew.
        wait(member).until(lambda d: d.find_element(
            By.CSS_SELECTOR, "[data-testid=banned-notice] .banned-text").text
            == "You were banned from #general (left the gym).")
        wait(member).until(lambda d: d.find_elements(
            By.CSS_SELECTOR, '[data-room="general"] [data-testid=banned-badge]'))
        join = wait(member).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=banned-join]"))
        assert join.get_attribute("aria-disabled") == "true"
        assert member.find_element(By.CSS_SELECTOR, "[data-testid=message-input]").get_attribute("disabled")
        join.click()  # does nothing while banned
        assert member.find_elements(By.CSS_SELECTOR, "[data-testid=banned-notice]")
        shot(member, "moderation-banned")
        assert_accessible(member, "chat-banned")

        # A reload: rooms_list says banned; the page opens another room, and general explains itself.
        member.refresh()
        wait(member).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=connection]").get_attribute("data-state") == "connected")
        wait(member).until(lambda d: d.execute_script("return window.fitnessChat.currentRoom") not in (None, "general"))
        member.find_element(By.CSS_SELECTOR, '[data-room="general"]').click()
        notice = wait(member).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=banned-notice]"))
        assert notice.get_attribute("data-banned") == "true"
        # The reason survives the reload (rooms_list carries it).
        wait(member).until(lambda d: d.find_element(
            By.CSS_SELECTOR, "[data-testid=banned-notice] .banned-text").text
            == "You were banned from #general (left the gym).")
        assert member.find_element(By.CSS_SELECTOR, '[data-room="general"]').get_attribute("aria-current") == "true"

        # Unban from the name in her old message's header: her join button works again.
        menu = open_name_menu(desk, said)
        menu.find_element(By.CSS_SELECTOR, "[data-action=unban]").click()
        toast_text(desk, "moderation-done", "Ann Lifter may join #general again.")
        wait(member).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=banned-notice]").get_attribute("data-banned") == "false")
        wait(member).until(lambda d: d.find_element(
            By.CSS_SELECTOR, "[data-testid=banned-notice] .banned-text").text == "You may join #general again.")
        join = wait(member).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=banned-join]"))
        wait(member).until(lambda d: d.find_element(
            By.CSS_SELECTOR, "[data-testid=banned-join]").get_attribute("aria-disabled") is None)
        # Found and clicked in one step, again if a rooms-list refresh redrew the notice in between
        # (a CI run caught the button going stale between the two).
        def click_join(d):
            try:
                d.find_element(By.CSS_SELECTOR, "[data-testid=banned-join]").click()
                return True
            except StaleElementReferenceException:
                return False
        wait(member).until(click_join)
        in_room(member, "general")
        wait(member).until(lambda d: not d.find_element(By.CSS_SELECTOR, "[data-testid=message-input]").get_attribute("disabled"))
        assert not member.find_elements(By.CSS_SELECTOR, '[data-room="general"] [data-testid=banned-badge]')
    finally:
        bob.close()
