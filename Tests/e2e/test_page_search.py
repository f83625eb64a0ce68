"""The chat page's search (issue 16) in real headless Chromium against the real daemon: the search
panel (a labelled box, "Only #room", results with the matched words marked and the text escaped,
"More results", "No messages found", errors), and a result that opens its room at the message with
the messages before it loaded. Screenshots go to build/screenshots/search-*.png; axe runs on the
panel at 390 and 1280 px."""
import pytest

from browser import assert_accessible, in_room, shot, sign_in_to_chat, wait

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from page_gym import PASSWORD, PHONE, browser, gym, someone_in, send  # noqa: F401 (pytest fixtures)


def open_search(driver):
    driver.find_element(By.CSS_SELECTOR, "[data-testid=search-toggle]").click()
    panel = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=search-panel]:not([hidden])"))
    assert driver.switch_to.active_element == panel.find_element(By.CSS_SELECTOR, "[data-testid=search-input]")
    return panel


def search_for(driver, query):
    box = driver.find_element(By.CSS_SELECTOR, "[data-testid=search-input]")
    box.clear()
    box.send_keys(query, Keys.ENTER)
    return wait(driver).until(lambda d: (lambda s: s if s and s != "Searching…" else None)(
        d.find_element(By.CSS_SELECTOR, "[data-testid=search-status]").text))


def results(driver):
    return driver.execute_script("""
        return [...document.querySelectorAll('[data-testid=search-result]')].map(b => ({
          room: b.dataset.resultRoom, id: Number(b.dataset.messageId),
          text: b.querySelector('.search-text').textContent,
          marks: [...b.querySelectorAll('mark')].map(m => m.textContent),
          scripts: b.querySelectorAll('script, b').length}));""")


def test_search_finds_across_rooms_and_jumps_to_the_message_with_its_context(browser, gym):
    bob = someone_in(gym, "bob", "general", "nutrition")
    try:
        gym.cli("room", "add", "coaches", "--description", "Coaches only", "--private")
        gym.cli("room", "add-member", "coaches", "bob")
        assert bob.call("join_room", {"room": "coaches"})["ok"]
        before = send(bob, "nutrition", "Breakfast first: eggs")
        recipe = send(bob, "nutrition", "Protein Übung recipe: oats, whey and <b>berries</b> <script>x()</script>")
        # Far back: 130 messages after it, so the room's first page does not hold it.
        for n in range(130):
            send(bob, "nutrition", f"meal {n}: rice and beans")
        send(bob, "coaches", "secret Übung plan for the protein team")  # ann cannot read coaches
        later = send(bob, "general", "Übungen are for the afternoon class, protein after")

        sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
        in_room(browser, "general")
        panel = open_search(browser)
        label = browser.execute_script(
            "return document.querySelector('label[for=search-input]').textContent")
        assert label == "Words to search for"

        # A query with a diacritic, matched without it too ("Übung" = "ubung"); the last word as a prefix.
        status = search_for(browser, "protein übung")
        found = results(browser)
        # Newest first; never the private room ann is not in.
        assert [(r["room"], r["id"]) for r in found] == [("general", later["id"]), ("nutrition", recipe["id"])], found
        hit = next(r for r in found if r["id"] == recipe["id"])
        assert hit["room"] == "nutrition"
        assert "<b>berries</b> <script>x()</script>" in hit["text"]  # escaped: shown as text
        assert hit["scripts"] == 0
        assert [m.lower() for m in hit["marks"]] == ["protein", "übung"], hit
        assert status == "2 messages found.", status
        # The prefix: "ubu" finds "Übung" and "Übungen" (general's message too).
        search_for(browser, "ubu")
        found = results(browser)
        assert {r["room"] for r in found} == {"nutrition", "general"}, found
        shot(browser, "search-results")
        assert_accessible(browser, "chat-search")

        # Only the room open: general has no recipe.
        browser.find_element(By.CSS_SELECTOR, "[data-testid=search-this-room]").click()
        status = search_for(browser, "recipe")
        assert status == "No messages found in #general."
        assert results(browser) == []
        browser.find_element(By.CSS_SELECTOR, "[data-testid=search-this-room]").click()

        # Errors: nothing to search for (the page), too many words (the server's message).
        status = search_for(browser, "!!!")
        assert status == "Type a word to search for."
        status = search_for(browser, "a b c d e f g h i")
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=search-status]").get_attribute("data-code") == "invalid_request"

        # A result opens its room at the message, the messages before it loaded too.
        search_for(browser, "protein übung")
        wait(browser).until(lambda d: d.find_element(
            By.CSS_SELECTOR, f'[data-testid=search-result][data-message-id="{recipe["id"]}"]')).click()
        in_room(browser, "nutrition")
        wait(browser).until(lambda d: d.switch_to.active_element.get_attribute("data-message-id") == str(recipe["id"]))
        assert panel.get_attribute("hidden") is not None
        assert browser.find_elements(By.CSS_SELECTOR, f'[data-testid=messages] li[data-message-id="{before["id"]}"]')
        in_view = browser.execute_script("""
            const list = document.querySelector('[data-testid=messages]').getBoundingClientRect();
            const r = document.querySelector('[data-testid=messages] li[data-message-id="' + arguments[0] + '"]').getBoundingClientRect();
            return r.top >= list.top - 1 && r.bottom <= list.bottom + 1;""", recipe["id"])
        assert in_view
        shot(browser, "search-landed")
    finally:
        bob.close()


def test_more_results_pages_on_and_the_phone_shows_the_panel(browser, gym):
    bob = someone_in(gym, "bob", "general")
    try:
        said = [send(bob, "general", f"deadlift set {n}")["id"] for n in range(25)]
        browser.set_window_size(*PHONE)
        sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
        in_room(browser, "general")
        open_search(browser)
        status = search_for(browser, "deadlift")
        assert status == "20+ messages found.", status
        assert [r["id"] for r in results(browser)] == list(reversed(said))[:20]
        more = browser.find_element(By.CSS_SELECTOR, "[data-testid=search-more]")
        assert more.is_displayed() and more.text == "More results"
        shot(browser, "search-phone")
        assert_accessible(browser, "chat-search-phone")
        browser.set_window_size(*PHONE)
        more.click()
        wait(browser).until(lambda d: len(results(d)) == 25)
        assert [r["id"] for r in results(browser)] == list(reversed(said))
        assert not browser.find_element(By.CSS_SELECTOR, "[data-testid=search-more]").is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=search-status]").text == "25 messages found."
        # Escape closes the panel, back on its button.
        browser.find_element(By.CSS_SELECTOR, "[data-testid=search-input]").send_keys(Keys.ESCAPE)
        wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=search-panel]").get_attribute("hidden") is not None)
        assert browser.switch_to.active_element.get_attribute("data-testid") == "search-toggle"
    finally:
        bob.close()


def test_a_search_without_results_says_so(browser, gym):
    bob = someone_in(gym, "bob", "general")
    try:
        assert bob.call("search", {"query": "zzzqqq"}) == {"ok": True, "results": [], "next_before": None}
        sign_in_to_chat(browser, gym.url, "ann", PASSWORD)
        in_room(browser, "general")
        open_search(browser)
        assert search_for(browser, "zzzqqq") == "No messages found."
    finally:
        bob.close()
