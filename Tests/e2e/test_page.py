"""The chat page in real headless Chromium (Debian's chromium + chromium-driver, driven by
selenium): sign in, pick a room, send, receive live messages and typing from a python-socketio
client, literal HTML, no horizontal scrolling on a phone or a desktop. Screenshots go to
build/screenshots/ for a person to look at."""
import time

import pytest

from browser import assert_accessible, new_browser, pick_room, shot, sign_in_to_chat, wait
from chat_client import ChatClient
from fitchat_e2e import Daemon, free_port

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402

PASSWORD = "squat-rack-42"


@pytest.fixture
def browser():
    driver = new_browser()
    yield driver
    driver.quit()


@pytest.fixture
def gym(data_dir):
    d = Daemon(data_dir, free_port()).start()
    d.cli("user", "add", "ann", "--display-name", "Ann Lifter", "--password-stdin", input=PASSWORD + "\n")
    yield d
    d.stop()


def sign_in(driver, gym):
    sign_in_to_chat(driver, gym.url, "ann", PASSWORD)


def messages_text(driver):
    return driver.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text


def no_horizontal_scroll(driver):
    return driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
        " document.body.scrollWidth]")


def test_sign_in_chat_live_and_literal_html(browser, gym):
    sign_in(browser, gym)
    pick_room(browser, "general")

    bob = ChatClient(gym.url, token=gym.token("bob")).connect()
    try:
        assert bob.call("join_room", {"room": "general"})["ok"]
        # The page sends with Enter; bob receives it live.
        box = browser.find_element(By.CSS_SELECTOR, "[data-testid=message-input]")
        box.send_keys("Morning! Leg day", Keys.SHIFT, Keys.ENTER, Keys.SHIFT, "who's in?")
        assert box.get_attribute("value") == "Morning! Leg day\nwho's in?"  # Shift+Enter is a newline
        box.send_keys(Keys.ENTER)
        got = bob.wait_for("new_message", lambda m: m["user"]["name"] == "ann" and m["message_type"] == "text")
        assert got["message"] == "Morning! Leg day\nwho's in?"
        wait(browser).until(lambda d: box.get_attribute("value") == "")

        # A message sent meanwhile by bob shows up live; so does his typing.
        assert bob.call("typing_start", {"room": "general"})["ok"]
        wait(browser).until(lambda d: "bob is typing" in d.find_element(By.CSS_SELECTOR, "[data-testid=typing]").text)
        shot(browser, "desktop-typing")
        assert bob.call("send_message", {"room": "general", "message": "Count me in 🏋️"})["ok"]
        wait(browser).until(lambda d: "Count me in 🏋️" in messages_text(d))
        wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=typing]").text == "")

        # HTML is shown as text and never runs.
        payload = '<img src=x onerror="window.__pwned=1"><b>bold?</b><script>window.__pwned=2</script>'
        assert bob.call("send_message", {"room": "general", "message": payload})["ok"]
        wait(browser).until(lambda d: payload in messages_text(d))
        messages = browser.find_element(By.CSS_SELECTOR, "[data-testid=messages]")
        assert messages.find_elements(By.TAG_NAME, "img") == []
        assert messages.find_elements(By.TAG_NAME, "script") == []
        assert messages.find_elements(By.TAG_NAME, "b") == []
        assert browser.execute_script("return window.__pwned === undefined")

        # The online participants include bob; the room list shows descriptions and counts.
        wait(browser).until(lambda d: "bob" in d.find_element(By.CSS_SELECTOR, "[data-testid=participants]").text)
        wait(browser).until(lambda d: "2 online" in d.find_element(By.CSS_SELECTOR, '[data-room="general"]').text)
        room = browser.find_element(By.CSS_SELECTOR, '[data-room="nutrition"]')
        assert "Discuss nutrition and meal planning" in room.text
        shown = messages_text(browser).count("Bench 3x8 at 80 kg, felt strong")
        for _ in range(3):
            bob.call("send_message", {"room": "general", "message": "Bench 3x8 at 80 kg, felt strong"})
        wait(browser).until(lambda d: messages_text(d).count("Bench 3x8 at 80 kg, felt strong") == shown + 3)
        assert_accessible(browser, "chat")
        shot(browser, "desktop-1280x800")
        width = no_horizontal_scroll(browser)
        assert width[0] <= width[1] and width[2] <= width[1], width

        browser.set_window_size(390, 844)
        wait(browser).until(lambda d: d.execute_script("return window.innerWidth") == 390)
        shot(browser, "phone-390x844")
        width = no_horizontal_scroll(browser)
        assert width[0] <= width[1] and width[2] <= width[1], width
        # The composer is pinned at the bottom of the phone screen.
        bottom = browser.execute_script(
            "const r = document.querySelector('[data-testid=composer]').getBoundingClientRect();"
            " return [r.bottom, window.innerHeight]")
        assert abs(bottom[0] - bottom[1]) <= 2, bottom

        browser.set_window_size(360, 740)
        wait(browser).until(lambda d: d.execute_script("return window.innerWidth") == 360)
        width = no_horizontal_scroll(browser)
        assert width[0] <= width[1], width

        # A paste over the limit is counted and said, not cut: the text stays, nothing is sent.
        long_ones = lambda: [m for m in bob.received("new_message") if m["message"].startswith("yyyy")]
        browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))", box, "y" * 2140)
        box.send_keys(Keys.ENTER)
        error = browser.find_element(By.CSS_SELECTOR, "[data-testid=composer-error]")
        wait(browser).until(lambda d: "2140 characters: 140 over the limit of 2000" in error.text)
        assert len(box.get_attribute("value")) == 2140
        assert browser.find_element(By.CSS_SELECTOR, ".composer .send").get_attribute("disabled")
        browser.execute_script("arguments[0].value = ''; arguments[0].dispatchEvent(new Event('input'))", box)
        wait(browser).until(lambda d: error.text == "")
        # The page has one ordered socket: once a later message reached bob, the long one would
        # have too, had the page sent it. A round trip instead of a sleep.
        box.send_keys("after the paste")
        box.send_keys(Keys.ENTER)
        bob.wait_for("new_message", lambda m: m["message"] == "after the paste")
        assert long_ones() == []

    finally:
        bob.close()


def test_login_page_and_errors(browser, gym):
    browser.get(gym.url + "/login")
    shot(browser, "login")
    assert_accessible(browser, "login")
    browser.find_element(By.NAME, "username").send_keys("ann")
    browser.find_element(By.NAME, "password").send_keys("wrong password")
    browser.find_element(By.NAME, "password").submit()
    error = wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=login-error]")))
    assert "do not match" in error.text
    # The user name stays; only the password is cleared.
    assert browser.find_element(By.NAME, "username").get_attribute("value") == "ann"
    assert browser.find_element(By.NAME, "password").get_attribute("value") == ""


def test_a_taken_name_at_registration_keeps_the_form(browser, data_dir):
    d = Daemon(data_dir, free_port(), extra_env={"FITCHAT_OPEN_REGISTRATION": "yes"}).start()
    try:
        d.cli("user", "add", "ann")
        browser.get(d.url + "/register")
        browser.find_element(By.NAME, "username").send_keys("ann")
        browser.find_element(By.NAME, "display_name").send_keys("Another Ann")
        browser.find_element(By.NAME, "password").send_keys("long enough password")
        browser.find_element(By.NAME, "password").submit()
        error = wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=login-error]")))
        assert "user name is taken" in error.text
        assert browser.find_element(By.NAME, "username").get_attribute("value") == "ann"
        assert browser.find_element(By.NAME, "display_name").get_attribute("value") == "Another Ann"
        assert "/register" in browser.current_url
    finally:
        d.stop()


def test_a_disabled_member_is_told_why_on_the_sign_in_page(browser, gym):
    sign_in(browser, gym)
    gym.cli("user", "disable", "ann")
    wait(browser, 30).until(EC.url_contains("/login"))
    error = wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=login-error]")))
    assert "signed out" in error.text


def test_headers_csp_and_caching(gym):
    import urllib.request
    with urllib.request.urlopen(gym.url + "/login", timeout=10) as response:
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "default-src 'none'" in csp
        assert response.headers["Content-Type"].startswith("text/html")
    with urllib.request.urlopen(gym.url + "/static/chat.js", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/javascript")
        etag = response.headers["ETag"]
        assert etag and response.headers["Cache-Control"] == "no-cache"
    request = urllib.request.Request(gym.url + "/static/chat.js", headers={"If-None-Match": etag})
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("expected 304")
    except urllib.error.HTTPError as not_modified:
        assert not_modified.code == 304
    with urllib.request.urlopen(gym.url + "/static/chat.css", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/css")
    # /chat without a session goes to /login.
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(gym.url + "/chat", timeout=10)
        raise AssertionError("expected a redirect")
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 303 and redirect.headers["Location"] == "/login"


def test_first_run_offers_setup(browser, data_dir):
    d = Daemon(data_dir, free_port()).start()
    try:
        browser.get(d.url + "/")
        wait(browser).until(EC.url_contains("/setup"))
        shot(browser, "setup")
        assert_accessible(browser, "setup")
        browser.find_element(By.NAME, "username").send_keys("owner")
        browser.find_element(By.NAME, "display_name").send_keys("Gym Owner")
        browser.find_element(By.NAME, "password").send_keys("owner-password")
        browser.find_element(By.NAME, "password").submit()
        wait(browser).until(EC.url_contains("/chat"))
        wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, "[data-testid=me]").text == "Gym Owner")
        browser.get(d.url + "/setup")
        wait(browser).until(EC.url_contains("/login"))
    finally:
        d.stop()


import urllib.error  # noqa: E402
import urllib.request  # noqa: E402


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_a_removed_member_is_moved_out_of_the_room(browser, gym):
    gym.cli("room", "add", "staff", "--description", "Trainers only", "--private")
    gym.cli("room", "add-member", "staff", "ann")
    sign_in(browser, gym)
    pick_room(browser, "staff")
    gym.cli("room", "remove-member", "staff", "ann")
    error = browser.find_element(By.CSS_SELECTOR, "[data-testid=composer-error]")
    wait(browser).until(lambda d: error.get_attribute("data-code") == "room_removed")
    assert "removed" in error.text and "staff" in error.text
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=message-input]").get_attribute("disabled")
    assert "removed" in browser.find_element(By.CSS_SELECTOR, "[data-testid=room-removed]").text
    # The private room leaves the room list.
    wait(browser).until(lambda d: not d.find_elements(By.CSS_SELECTOR, '[data-room="staff"]'))
    shot(browser, "removed-from-room")
