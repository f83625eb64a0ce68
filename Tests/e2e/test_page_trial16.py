"""What a product trial of issue 16's page (a gym owner and the front desk's first hour with
moderation and search) found, kept: a muted member's refused edit, reaction or send says the mute
on the reader's clock, as the composer's notice does ("You are muted in #general until 06:32."),
never the server's "you are muted in 'general' until 2026-…Z"; and a moderator who mutes and then
opens the name's menu again finds its choices uncovered by the previous confirmation (a phone's
notices sit over the lower part of the conversation, where a recent message's menu opens).
Screenshots go to build/screenshots/trial16-*.png."""
import re

import pytest

from browser import in_room, shot, sign_in_to_chat, wait

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from page_gym import PASSWORD, PHONE, moderated_gym as gym, browser, someone_in, send  # noqa: F401 (pytest fixtures)

CLOCK = r"\d\d:\d\d( [AP]M)?"


def item(driver, message_id):
    return driver.find_element(By.CSS_SELECTOR, f'[data-testid=messages] li[data-message-id="{message_id}"]')


def click(driver, element):
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def test_a_muted_members_refusals_say_the_mute_on_their_clock(gym, browser):
    bob = someone_in(gym, "bob", "general")
    desk = someone_in(gym, "desk", "general", create=False)
    try:
        sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
        in_room(browser, "general")
        ann = someone_in(gym, "ann", create=False)
        mine = send(ann, "general", "my set for today")
        ann.close()
        theirs = send(bob, "general", "bench is free")
        wait(browser).until(lambda d: item(d, theirs["id"]))
        assert desk.call("mute", {"room": "general", "user": "ann", "minutes": 10})["ok"]
        notice = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=composer-notice]").text)
        assert re.fullmatch(rf"You are muted in #general until {CLOCK}\.", notice), notice

        # An edit of her own message, refused: said in the editor as the notice says it.
        click(browser, item(browser, mine["id"]).find_element(By.CSS_SELECTOR, "[data-action=edit]"))
        editor = wait(browser).until(lambda d: item(d, mine["id"]).find_element(By.CSS_SELECTOR, "textarea"))
        editor.send_keys(" (5x5)", Keys.ENTER)
        said = wait(browser).until(lambda d: item(d, mine["id"]).find_element(By.CSS_SELECTOR, "[role=alert]").text)
        assert said == notice, said
        shot(browser, "trial16-muted-edit-refused")
        editor.send_keys(Keys.ESCAPE)

        # A reaction, refused: the composer's error line says it the same way.
        click(browser, item(browser, theirs["id"]).find_element(By.CSS_SELECTOR, "[data-testid=add-reaction]"))
        wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=picker] button")).click()
        error = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=composer-error]").text)
        assert error == notice, error

        # A send the page did not hold back (it thought the mute over): the same words, no ISO time.
        browser.execute_script("const c = window.fitnessChat; c.state('general').mutedUntil = null; c.updateComposer(); c.clearError();")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=message-input]").send_keys("can I talk?", Keys.ENTER)
        error = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=composer-error]").text)
        assert error == notice and "'" not in error and "Z" not in error, error
        browser.set_window_size(*PHONE)
        shot(browser, "trial16-muted-send-refused-phone")
    finally:
        bob.close()
        desk.close()


def test_the_name_menu_after_an_action_is_not_under_its_confirmation(gym, browser):
    ann = someone_in(gym, "ann", "general", create=False)
    try:
        browser.set_window_size(*PHONE)
        sign_in_to_chat(browser, gym.url, "desk", PASSWORD)
        in_room(browser, "general")
        spam = send(ann, "general", "CHEAP PILLS at pills.example")
        send(ann, "general", "DM me for codes")
        button = wait(browser).until(lambda d: item(d, spam["id"]).find_element(By.CSS_SELECTOR, "[data-testid=user-menu-button]"))
        click(browser, button)
        browser.find_element(By.CSS_SELECTOR, "[data-testid=user-menu] [data-action=mute-10]").click()
        wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=moderation-done]"))

        # At once the next action: the menu again, every choice reachable, none under a notice.
        click(browser, item(browser, spam["id"]).find_element(By.CSS_SELECTOR, "[data-testid=user-menu-button]"))
        menu = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=user-menu]"))
        assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=moderation-done]")
        covered = browser.execute_script("""
            return [...arguments[0].querySelectorAll('button')].filter(b => {
              const r = b.getBoundingClientRect();
              const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
              return !(top === b || b.contains(top));
            }).map(b => b.textContent);""", menu)
        assert covered == [], covered
        shot(browser, "trial16-menu-after-mute-phone")
        menu.find_element(By.CSS_SELECTOR, "[data-action=ban]").click()
        wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=ban-dialog][open]"))
        browser.find_element(By.CSS_SELECTOR, "[data-testid=ban-reason]").send_keys("selling pills")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=ban-send]").click()
        ann.wait_for("room_removed", lambda d: d.get("banned"))
    finally:
        ann.close()


def test_a_reports_reason_has_a_line_of_its_own(gym, browser):
    ann = someone_in(gym, "ann", "general", create=False)
    bob = someone_in(gym, "bob", "general")
    try:
        browser.set_window_size(*PHONE)
        sign_in_to_chat(browser, gym.url, "desk", PASSWORD)
        in_room(browser, "general")
        spam = send(ann, "general", "CHEAP PILLS at pills.example, best prices in town")
        assert bob.call("report_message", {"room": "general", "id": spam["id"], "reason": "Spam selling pills"})["ok"]
        notice = wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=report-notice]"))
        apart = browser.execute_script("""
            const excerpt = arguments[0].querySelector('.toast-excerpt').getBoundingClientRect();
            const reason = arguments[0].querySelector('.toast-reason');
            return [reason.textContent.trim(), reason.getBoundingClientRect().top >= excerpt.bottom - 1];""", notice)
        assert apart == ["Reason: Spam selling pills", True], apart
        shot(browser, "trial16-report-notice-phone")
    finally:
        ann.close()
        bob.close()
