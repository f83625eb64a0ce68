"""The chat page's Reports panel (issue 16, after the product trial: a moderator who signs in after a
report never saw it) in real headless Chromium against the real daemon: members report while the
moderator is offline; the moderator signs in and finds the reports behind the header's Reports
button (its count on the badge), each with the room, the author, the reporter, the reason and the
message as it is now ("(deleted)" for a tombstone); a new report adds a row live; Show message opens
the room at the message; Resolve takes the row away, and a second moderator's page sees it go
(`report_resolved`); after a drop the list is fetched again; a refusal is said in the row; a
member's page has no Reports button. Screenshots go to build/screenshots/reports-*.png; axe runs on
the open panel at 390 and 1280 px."""
import pytest

from browser import assert_accessible, in_room, shot, sign_in_to_chat, wait

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from page_gym import PASSWORD, PHONE, browsers, someone_in, send, start_gym  # noqa: F401 (pytest fixtures)


@pytest.fixture
def gym(data_dir):
    """ann, a member; desk and desk2, moderators (the front desk's two shifts); all sign in in a browser."""
    d = start_gym(data_dir, moderator=True)
    d.cli("user", "add", "desk2", "--role", "moderator", "--display-name", "Evening Desk", "--password-stdin",
          input=PASSWORD + "\n")
    yield d
    d.stop()


def report(client, message, reason, room="general"):
    answer = client.call("report_message", {"room": room, "id": message["id"], "reason": reason})
    assert answer["ok"], answer
    return answer["report"]


def toggle(driver):
    return driver.find_element(By.CSS_SELECTOR, "[data-testid=reports-toggle]")


def badge(driver):
    total = driver.find_element(By.CSS_SELECTOR, "[data-testid=reports-total]")
    return total.text if total.is_displayed() else ""


def rows(driver):
    """The panel's rows as dicts (newest first)."""
    return driver.execute_script("""
        return [...document.querySelectorAll('[data-testid=reports-list] [data-testid=report-entry]')].map(li => ({
          id: Number(li.dataset.reportId), room: li.dataset.reportRoom, message: Number(li.dataset.messageId),
          where: li.querySelector('.report-where').textContent,
          excerpt: li.querySelector('[data-testid=report-excerpt]').textContent,
          reason: li.querySelector('[data-testid=report-reason-text]').textContent,
          buttons: [...li.querySelectorAll('button')].map(b => b.textContent)}));""")


def row(driver, report_id):
    return driver.find_element(By.CSS_SELECTOR, f'[data-testid=report-entry][data-report-id="{report_id}"]')


def open_panel(driver):
    if driver.find_element(By.CSS_SELECTOR, "[data-testid=reports-panel]").is_displayed():
        return
    toggle(driver).click()
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=reports-panel]").is_displayed())
    assert toggle(driver).get_attribute("aria-expanded") == "true"


def item(driver, message_id):
    return driver.find_element(By.CSS_SELECTOR, f'[data-testid=messages] li[data-message-id="{message_id}"]')


def test_a_moderator_who_signs_in_later_finds_the_reports(gym, browsers):
    bob = someone_in(gym, "bob", "general")
    ann = someone_in(gym, "ann", "general", create=False)
    carl = someone_in(gym, "carl", "general")
    desk2 = None
    try:
        # Every moderator is offline: the reports wait for them.
        spam = send(bob, "general", "buy cheap followers <b>now</b> at spam.example")
        filed = report(ann, spam, "Spam, and a link to a scam")
        gone = send(bob, "general", "you all lift like grandmas")
        rude = report(carl, gone, "Insulting people")
        assert bob.call("delete_message", {"room": "general", "id": gone["id"]})["ok"]
        # Enough later messages that the reported one is off the first page of history.
        for n in range(60):
            send(carl, "general", f"set {n}: 5 reps")

        desk = browsers()
        desk.set_window_size(*PHONE)
        sign_in_to_chat(desk, gym.url, "desk", PASSWORD)
        in_room(desk, "general")
        wait(desk).until(lambda d: toggle(d).is_displayed() and badge(d) == "2")
        assert toggle(desk).get_attribute("aria-label") == "Reports, 2 open"
        # At 390 px the header is still one line with the button in it.
        fits = desk.execute_script("""
            const bar = document.querySelector('.topbar').getBoundingClientRect();
            const b = document.querySelector('[data-testid=reports-toggle]').getBoundingClientRect();
            return [bar.height, b.right <= window.innerWidth, b.top >= bar.top && b.bottom <= bar.bottom];""")
        assert fits[0] < 70 and fits[1] and fits[2], fits
        shot(desk, "reports-header-phone")

        open_panel(desk)
        assert desk.switch_to.active_element.get_attribute("data-testid") == "reports-close"
        wait(desk).until(lambda d: len(rows(d)) == 2)
        newest, oldest = rows(desk)
        assert (newest["id"], newest["room"], newest["message"]) == (rude["id"], "general", gone["id"])
        assert newest["excerpt"] == "(deleted)"
        assert "Carl" in newest["reason"] or "carl" in newest["reason"], newest
        assert "Insulting people" in newest["reason"]
        assert (oldest["id"], oldest["message"]) == (filed["id"], spam["id"])
        assert "#general" in oldest["where"] and "bob" in oldest["where"], oldest
        # The message as text, never as HTML.
        assert oldest["excerpt"] == "buy cheap followers <b>now</b> at spam.example"
        assert oldest["reason"] == "Reported by Ann Lifter: Spam, and a link to a scam"
        assert oldest["buttons"] == ["Show message", "Resolve"]
        assert not desk.find_elements(By.CSS_SELECTOR, "[data-testid=reports-list] b")
        shot(desk, "reports-panel-phone")
        assert_accessible(desk, "chat-reports-panel")
        desk.set_window_size(1280, 800)
        shot(desk, "reports-panel")

        # A report while the panel is open: a row at the top and the count, at once.
        later = send(bob, "general", "DM me for cheap pills")
        third = report(ann, later, "Selling pills")
        wait(desk).until(lambda d: [r["id"] for r in rows(d)] == [third["id"], rude["id"], filed["id"]])
        wait(desk).until(lambda d: badge(d) == "3")

        # Escape closes the panel, back on its button.
        desk.switch_to.active_element.send_keys(Keys.ESCAPE)
        wait(desk).until(lambda d: not d.find_element(By.CSS_SELECTOR, "[data-testid=reports-panel]").is_displayed())
        assert desk.switch_to.active_element.get_attribute("data-testid") == "reports-toggle"

        # Show message: the panel goes and the room opens at the message (older pages paged in).
        open_panel(desk)
        row(desk, filed["id"]).find_element(By.CSS_SELECTOR, "[data-testid=report-show]").click()
        wait(desk).until(lambda d: d.switch_to.active_element.get_attribute("data-message-id") == str(spam["id"]))
        assert not desk.find_element(By.CSS_SELECTOR, "[data-testid=reports-panel]").is_displayed()
        in_view = desk.execute_script("""
            const list = document.querySelector('[data-testid=messages]').getBoundingClientRect();
            const r = arguments[0].getBoundingClientRect();
            return r.top >= list.top - 1 && r.bottom <= list.bottom + 1;""", item(desk, spam["id"]))
        assert in_view

        # A second moderator's page: the same list.
        desk2 = browsers()
        sign_in_to_chat(desk2, gym.url, "desk2", PASSWORD)
        wait(desk2).until(lambda d: badge(d) == "3")
        open_panel(desk2)
        wait(desk2).until(lambda d: len(rows(d)) == 3)

        # Resolve: the row goes, the count drops, the focus stays in the list; the other page follows.
        open_panel(desk)
        resolve = row(desk, filed["id"]).find_element(By.CSS_SELECTOR, "[data-testid=report-resolve]")
        assert resolve.get_attribute("aria-label") == "Resolve the report of Ann Lifter about bob's message"
        resolve.click()
        wait(desk).until(lambda d: [r["id"] for r in rows(d)] == [third["id"], rude["id"]])
        assert badge(desk) == "2"
        assert "Report resolved" in desk.find_element(By.CSS_SELECTOR, "[data-testid=reports-status]").text
        assert desk.switch_to.active_element.get_attribute("data-testid") in ("report-show", "report-resolve", "reports-close")
        wait(desk2).until(lambda d: [r["id"] for r in rows(d)] == [third["id"], rude["id"]])
        wait(desk2).until(lambda d: badge(d) == "2")
        listed = ann.call("get_reports", {})
        assert listed["ok"] is False and listed["error"]["code"] == "forbidden"

        # The other moderator resolves one: it goes from this page too.
        row(desk2, rude["id"]).find_element(By.CSS_SELECTOR, "[data-testid=report-resolve]").click()
        wait(desk).until(lambda d: [r["id"] for r in rows(d)] == [third["id"]])
        wait(desk).until(lambda d: badge(d) == "1")

        # A refusal is said in the row (a report the server does not know of this moderator).
        desk.execute_script("""
            const c = window.fitnessChat;
            const r = c.reports.get(arguments[0]);
            c.reports.set(999999, {...r, id: 999999}); c.renderReports();""", third["id"])
        row(desk, 999999).find_element(By.CSS_SELECTOR, "[data-testid=report-resolve]").click()
        error = wait(desk).until(lambda d: row(d, 999999).find_element(By.CSS_SELECTOR, "[data-testid=report-resolve-error]").text)
        assert error.startswith("Not resolved:") and "999999" in error, error
        assert len(rows(desk)) == 2

        # A drop: what was filed and resolved meanwhile is there after the reconnect (get_reports again).
        desk.execute_script("window.fitnessChat.socket.close()")
        wait(desk).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=connection]").get_attribute("data-state") == "closed")
        meanwhile = report(carl, send(bob, "general", "protein scam link"), "Another scam")
        wait(desk2).until(lambda d: meanwhile["id"] in [r["id"] for r in rows(d)])
        row(desk2, third["id"]).find_element(By.CSS_SELECTOR, "[data-testid=report-resolve]").click()
        wait(desk2).until(lambda d: [r["id"] for r in rows(d)] == [meanwhile["id"]])
        desk.execute_script("window.fitnessChat.socket.connect()")
        wait(desk).until(lambda d: [r["id"] for r in rows(d)] == [meanwhile["id"]])
        wait(desk).until(lambda d: badge(d) == "1")
        shot(desk, "reports-after-reconnect")

        # Show resolved: the resolved ones too, saying who resolved them, with no Resolve; the count stays.
        desk.find_element(By.CSS_SELECTOR, "[data-testid=reports-show-resolved]").click()
        wait(desk).until(lambda d: [r["id"] for r in rows(d)] == [meanwhile["id"], third["id"], rude["id"], filed["id"]])
        resolved = row(desk, filed["id"])
        assert resolved.get_attribute("data-resolved") == "true"
        assert "Resolved by desk" in resolved.text
        assert [b.text for b in resolved.find_elements(By.CSS_SELECTOR, "button")] == ["Show message"]
        assert "Resolved by desk2" in row(desk, rude["id"]).text
        assert badge(desk) == "1"
        desk.find_element(By.CSS_SELECTOR, "[data-testid=reports-show-resolved]").click()
        wait(desk).until(lambda d: [r["id"] for r in rows(d)] == [meanwhile["id"]])
    finally:
        bob.close()
        ann.close()
        carl.close()


def test_a_members_page_has_no_reports_button(gym, browsers):
    bob = someone_in(gym, "bob", "general")
    try:
        member = browsers()
        sign_in_to_chat(member, gym.url, "ann", PASSWORD)
        in_room(member, "general")
        said = send(bob, "general", "morning")
        wait(member).until(lambda d: item(d, said["id"]))
        # The role is known (GET /api/me answered): the page's role stays member.
        wait(member).until(lambda d: d.execute_script(
            "return performance.getEntriesByType('resource').some(e => e.name.endsWith('/api/me'))"))
        assert member.execute_script("return window.fitnessChat.role") == "member"
        assert not toggle(member).is_displayed()
        assert toggle(member).get_attribute("hidden") is not None
        assert not member.find_element(By.CSS_SELECTOR, "[data-testid=reports-panel]").is_displayed()
        member.set_window_size(*PHONE)
        assert not toggle(member).is_displayed()
    finally:
        bob.close()
