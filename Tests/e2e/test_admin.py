"""The owner's first hour in a real browser (headless Chromium): /setup makes the first admin,
/admin makes an invitation (link and QR code), a second browser joins with it and both chat;
invitation uses, expiry and revocation; every admin page action, each checked with a
python-socketio client that must see its effect at once; 403 for members. axe-core checks the
join, welcome and admin pages at 390 and 1280 px."""
import json
import re
import time
import urllib.error
import urllib.request

import pytest

from browser import assert_accessible, new_browser, pick_room, shot, wait
from chat_client import ChatClient
from fitchat_e2e import Daemon, free_port
from http_api import NoRedirect, login, request

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as EC  # noqa: E402

OWNER_PASSWORD = "owner-password-1"
PASSWORD = "deadlift-200kg"


@pytest.fixture
def browsers():
    made = []

    def make():
        driver = new_browser()
        made.append(driver)
        return driver
    yield make
    for driver in made:
        driver.quit()


@pytest.fixture
def gym(data_dir):
    """A daemon with an admin `owner` (password OWNER_PASSWORD)."""
    d = Daemon(data_dir, free_port()).start()
    d.cli("user", "add", "owner", "--admin", "--display-name", "Gym Owner", "--password-stdin", input=OWNER_PASSWORD + "\n")
    yield d
    d.stop()


def sign_in(driver, daemon, name, password):
    driver.get(daemon.url + "/login")
    driver.find_element(By.NAME, "username").send_keys(name)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.NAME, "password").submit()
    wait(driver).until(EC.url_contains("/chat"))


def connected(driver):
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=connection]").get_attribute("data-state") == "connected")


def open_admin(driver, daemon):
    driver.get(daemon.url + "/admin")
    wait(driver).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "true")


def flash(driver):
    return driver.find_element(By.CSS_SELECTOR, "[data-testid=flash]")


def wait_flash(driver, text):
    wait(driver).until(lambda d: text in flash(d).text)
    assert "failed" not in (flash(driver).get_attribute("class") or ""), flash(driver).text


def click(driver, label):
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, f'button[aria-label="{label}"]').click() or True)


def fill_card(driver, card_selector, field, value, submit_label):
    def go(d):
        card = d.find_element(By.CSS_SELECTOR, card_selector)
        box = card.find_element(By.CSS_SELECTOR, f'[name="{field}"]')
        box.clear()
        box.send_keys(value)
        card.find_element(By.CSS_SELECTOR, f'button[aria-label="{submit_label}"]').click()
        return True
    wait(driver).until(go)


def create_invite(driver, uses="2", expires="7d"):
    form = driver.find_element(By.CSS_SELECTOR, "[data-testid=invite-form]")
    box = form.find_element(By.NAME, "uses")
    box.clear()
    box.send_keys(uses)
    form.find_element(By.CSS_SELECTOR, f'option[value="{expires}"]').click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=invite-result]")))
    return driver.find_element(By.CSS_SELECTOR, "[data-testid=invite-link]").get_attribute("value")


def assert_qr_visible(driver, testid):
    svg = driver.find_element(By.CSS_SELECTOR, f"[data-testid={testid}] svg")
    assert svg.is_displayed()
    assert svg.size["width"] >= 120 and abs(svg.size["width"] - svg.size["height"]) <= 1, svg.size
    assert re.fullmatch(r"0 0 \d+ \d+", svg.get_dom_attribute("viewBox"))
    paths = svg.find_elements(By.TAG_NAME, "path")
    assert len(paths) == 1 and paths[0].get_dom_attribute("d").startswith("M")


def join(driver, link, name, display, password, confirm=None):
    driver.get(link)
    state = driver.find_element(By.CSS_SELECTOR, "[data-testid=invite-state]")
    wait(driver).until(lambda d: state.get_attribute("data-state") != "checking")
    if state.get_attribute("data-state") != "valid":
        return state
    driver.find_element(By.NAME, "username").send_keys(name)
    driver.find_element(By.NAME, "display_name").send_keys(display)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.NAME, "password_confirm").send_keys(confirm if confirm is not None else password)
    driver.find_element(By.CSS_SELECTOR, "[data-testid=join-form] button[type=submit]").click()
    return state


def code_of(link):
    return link.rstrip("/").rsplit("/", 1)[-1]


# MARK: The first hour

def test_first_hour_setup_invite_join_and_chat(browsers, data_dir):
    d = Daemon(data_dir, free_port()).start()
    try:
        # `make run` says where to go while nobody has an account.
        wait_log = time.monotonic() + 10
        while "to create the first admin" not in d.read_log() and time.monotonic() < wait_log:
            time.sleep(0.1)
        assert f"open http://127.0.0.1:{d.port}/ to create the first admin" in d.read_log()

        owner = browsers()
        owner.get(d.url + "/")
        wait(owner).until(EC.url_contains("/setup"))
        owner.find_element(By.NAME, "username").send_keys("owner")
        owner.find_element(By.NAME, "display_name").send_keys("Gym Owner")
        owner.find_element(By.NAME, "password").send_keys(OWNER_PASSWORD)
        owner.find_element(By.NAME, "password").submit()
        wait(owner).until(EC.url_contains("/chat"))
        # The chat links its admins to /admin.
        admin_link = wait(owner).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=admin-link]")))
        admin_link.click()
        wait(owner).until(EC.url_contains("/admin"))

        open_admin(owner, d)
        assert_accessible(owner, "admin")
        link = create_invite(owner, uses="2")
        assert link.startswith(d.url + "/join/") and len(code_of(link)) == 43, link
        assert_qr_visible(owner, "invite-qr")
        wait(owner).until(lambda b: b.find_element(By.CSS_SELECTOR, "[data-testid=invites] [data-state=valid]"))
        shot(owner, "admin-invite-1280")
        # Printed (the "Print the QR code" button), only the QR code and the link are on paper.
        owner.execute_script("document.body.classList.add('printing-invite')")
        owner.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        assert owner.find_element(By.CSS_SELECTOR, "[data-testid=invite-qr] svg").is_displayed()
        assert owner.find_element(By.CSS_SELECTOR, "[data-testid=invite-link]").is_displayed()
        for hidden in (".topbar", "[data-testid=invite-form]", "[data-testid=users]", "[data-testid=print-invite]", "#invites-title"):
            assert not owner.find_element(By.CSS_SELECTOR, hidden).is_displayed(), hidden
        owner.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        owner.execute_script("document.body.classList.remove('printing-invite')")
        owner.set_window_size(390, 844)
        time.sleep(0.3)
        width = owner.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width[0] <= width[1], width
        shot(owner, "admin-invite-390")
        owner.set_window_size(1280, 800)

        member = browsers()
        member.set_window_size(390, 844)
        member.get(link)
        state = member.find_element(By.CSS_SELECTOR, "[data-testid=invite-state]")
        wait(member).until(lambda b: state.get_attribute("data-state") == "valid")
        assert_accessible(member, "join")
        shot(member, "join-390")
        join(member, link, "bob", "Bob Benchpress", PASSWORD)
        wait(member).until(EC.url_contains("/chat"))
        connected(member)
        wait(member).until(lambda b: b.find_element(By.CSS_SELECTOR, "[data-testid=me]").text == "Bob Benchpress")
        time.sleep(0.5)
        assert not member.find_element(By.CSS_SELECTOR, "[data-testid=admin-link]").is_displayed()

        # Both chat.
        owner.get(d.url + "/chat")
        connected(owner)
        pick_room(owner, "general")
        pick_room(member, "general")
        box = member.find_element(By.CSS_SELECTOR, "[data-testid=message-input]")
        box.send_keys("Hi coach, just joined!", Keys.ENTER)
        wait(owner).until(lambda b: "Hi coach, just joined!" in b.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text)
        owner.find_element(By.CSS_SELECTOR, "[data-testid=message-input]").send_keys("Welcome Bob", Keys.ENTER)
        wait(member).until(lambda b: "Welcome Bob" in b.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text)

        # The admin page counts the use.
        open_admin(owner, d)
        card = wait(owner).until(lambda b: b.find_element(By.CSS_SELECTOR, "[data-testid=invites] [data-invite]"))
        assert "1 of 2 used" in card.text
        # Setup is over: the log line is not repeated on the next start.
        d.stop()
        d.start()
        assert d.read_log().count("to create the first admin") == 1
    finally:
        d.stop()


def test_invite_uses_expiry_and_revocation(browsers, gym):
    admin = login(gym, "owner", OWNER_PASSWORD)
    # One use: the first person gets in, the second is refused, in JSON and on the page.
    status, _, answer = request(gym, "POST", "/api/admin/invites", {"uses": 1, "expires": "7d"}, token=admin)
    assert status == 200 and answer["invite"]["uses_allowed"] == 1, answer
    assert answer["link"].startswith(gym.url + "/join/") and answer["qr_svg"].startswith("<svg")
    code = code_of(answer["link"])
    status, _, state = request(gym, "GET", f"/api/join/{code}")
    assert status == 200 and state["state"] == "valid" and state["uses_left"] == 1
    status, headers, first = request(gym, "POST", f"/join/{code}", {"username": "ann", "display_name": "Ann", "password": PASSWORD})
    assert status == 200 and first["user"]["name"] == "ann" and first["token"], first
    assert "fitchat_session=" in headers["Set-Cookie"] and "HttpOnly" in headers["Set-Cookie"]
    ann = ChatClient(gym.url, token=first["token"]).connect()
    ann.close()
    status, _, second = request(gym, "POST", f"/join/{code}", {"username": "ben", "password": PASSWORD})
    assert status == 410 and second["error"]["reason"] == "used_up", second
    page = browsers()
    state = join(page, answer["link"], "ben", "Ben", PASSWORD)
    wait(page).until(lambda b: state.get_attribute("data-state") == "used_up")
    assert "used up" in state.text
    assert not page.find_element(By.CSS_SELECTOR, "[data-testid=join-form]").is_displayed()

    # A form post without script: redirected back with the reason.
    status, headers, _ = request(gym, "POST", f"/join/{code}", {"username": "ben", "password": PASSWORD}, form=True,
                                 headers={"Accept": "text/html"})
    assert status == 303 and headers["Location"] == f"/join/{code}?error=used_up"

    # Expired.
    status, _, short = request(gym, "POST", "/api/admin/invites", {"uses": 5, "expires": "1s"}, token=admin)
    assert status == 200
    time.sleep(1.5)
    state = join(page, short["link"], "cara", "Cara", PASSWORD)
    wait(page).until(lambda b: state.get_attribute("data-state") == "expired")
    assert "expired" in state.text
    status, _, refused = request(gym, "POST", f"/join/{code_of(short['link'])}", {"username": "cara", "password": PASSWORD})
    assert status == 410 and refused["error"]["reason"] == "expired"

    # Revoked on the admin page.
    status, _, revocable = request(gym, "POST", "/api/admin/invites", {"uses": None, "expires": "never"}, token=admin)
    assert status == 200 and revocable["invite"]["uses_allowed"] is None and revocable["invite"]["expires_at"] is None
    owner = browsers()
    sign_in(owner, gym, "owner", OWNER_PASSWORD)
    open_admin(owner, gym)
    invite_id = revocable["invite"]["id"]
    click(owner, f"Revoke invitation #{invite_id}")
    wait_flash(owner, f"Invitation #{invite_id} revoked")
    wait(owner).until(lambda b: b.find_element(By.CSS_SELECTOR, f'[data-invite="{invite_id}"]').get_attribute("data-state") == "revoked")
    state = join(page, revocable["link"], "dan", "Dan", PASSWORD)
    wait(page).until(lambda b: state.get_attribute("data-state") == "revoked")
    status, _, refused = request(gym, "POST", f"/join/{code_of(revocable['link'])}", {"username": "dan", "password": PASSWORD})
    assert status == 410 and refused["error"]["reason"] == "revoked"

    # An unknown code.
    status, _, unknown = request(gym, "GET", "/api/join/" + "A" * 43)
    assert status == 404 and unknown["error"]["reason"] == "not_found"
    state = join(page, gym.url + "/join/nonsense", "x", "x", PASSWORD)
    wait(page).until(lambda b: state.get_attribute("data-state") == "not_found")


def test_join_form_errors_are_clear(browsers, gym):
    admin = login(gym, "owner", OWNER_PASSWORD)
    _, _, answer = request(gym, "POST", "/api/admin/invites", {"uses": 10, "expires": "7d"}, token=admin)
    code = code_of(answer["link"])
    # JSON callers get 4xx with a sentence.
    status, _, taken = request(gym, "POST", f"/join/{code}", {"username": "OWNER", "password": PASSWORD})
    assert status == 409 and "taken" in taken["error"]["message"]
    status, _, weak = request(gym, "POST", f"/join/{code}", {"username": "eve", "password": "short"})
    assert status == 400 and "8" in weak["error"]["message"], weak
    status, _, differ = request(gym, "POST", f"/join/{code}", {"username": "eve", "password": PASSWORD, "password_confirm": PASSWORD + "x"})
    assert status == 400 and "differ" in differ["error"]["message"]
    status, _, bad = request(gym, "POST", f"/join/{code}", {"username": "no spaces", "password": PASSWORD})
    assert status == 400
    # A cross-site post is refused like the other account forms.
    status, _, cross = request(gym, "POST", f"/join/{code}", {"username": "eve", "password": PASSWORD},
                               headers={"Origin": "https://evil.example"})
    assert status == 403
    _, _, state = request(gym, "GET", f"/api/join/{code}")
    assert state["uses_left"] == 10, "refused attempts must not spend uses"

    # The page says so and keeps what was typed (but the passwords).
    page = browsers()
    join(page, answer["link"], "owner", "Another Owner", PASSWORD)
    error = wait(page).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=login-error]")))
    wait(page).until(lambda b: "taken" in error.text)
    assert page.find_element(By.NAME, "username").get_attribute("value") == "owner"
    assert page.find_element(By.NAME, "password").get_attribute("value") == ""
    page.find_element(By.NAME, "username").clear()
    page.find_element(By.NAME, "username").send_keys("erin")
    page.find_element(By.NAME, "password").send_keys(PASSWORD)
    page.find_element(By.NAME, "password_confirm").send_keys("something else")
    page.find_element(By.CSS_SELECTOR, "[data-testid=join-form] button[type=submit]").click()
    wait(page).until(lambda b: "differ" in error.text)
    # The show-password toggle.
    page.find_element(By.CSS_SELECTOR, "[data-testid=show-password]").click()
    assert page.find_element(By.NAME, "password").get_attribute("type") == "text"


# MARK: Every admin action, seen by a connected client at once

def rooms_named(data):
    return {room["name"]: room for room in data["rooms"]}


def test_admin_page_actions_reach_connected_clients(browsers, gym):
    gym.cli("user", "add", "mia", "--display-name", "Mia", "--password-stdin", input=PASSWORD + "\n")
    mia = ChatClient(gym.url, token=login(gym, "mia", PASSWORD)).connect()
    try:
        assert mia.call("join_room", {"room": "general"})["ok"]
        owner = browsers()
        sign_in(owner, gym, "owner", OWNER_PASSWORD)
        open_admin(owner, gym)

        # Room added → a fresh rooms_list.
        form = owner.find_element(By.CSS_SELECTOR, "[data-testid=add-room-form]")
        form.find_element(By.NAME, "name").send_keys("spin-class")
        form.find_element(By.NAME, "description").send_keys("Tuesday spin")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_flash(owner, "Room spin-class added")
        mia.wait_for("rooms_list", lambda data: rooms_named(data).get("spin-class", {}).get("description") == "Tuesday spin")

        # Description edited.
        fill_card(owner, '[data-testid=rooms] [data-room="spin-class"]', "description", "Thursday spin",
                  "Save the description of spin-class")
        wait_flash(owner, "Saved the description of spin-class")
        mia.wait_for("rooms_list", lambda data: rooms_named(data).get("spin-class", {}).get("description") == "Thursday spin")

        # Archived, then back.
        click(owner, "Archive spin-class")
        wait_flash(owner, "Room spin-class archived")
        mia.wait_for("rooms_list", lambda data: "spin-class" not in rooms_named(data))
        click(owner, "Unarchive spin-class")
        wait_flash(owner, "Room spin-class is back")
        mia.wait_for("rooms_list", lambda data: "spin-class" in rooms_named(data))

        # A private room; mia added (she sees it), then removed (room_removed).
        form = owner.find_element(By.CSS_SELECTOR, "[data-testid=add-room-form]")
        form.find_element(By.NAME, "name").send_keys("staff")
        form.find_element(By.NAME, "private").click()
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_flash(owner, "Room staff added")
        fill_card(owner, '[data-testid=rooms] [data-room="staff"]', "user", "mia", "Add a member to staff")
        wait_flash(owner, "Added mia to staff")
        mia.wait_for("rooms_list", lambda data: "staff" in rooms_named(data))
        assert mia.call("join_room", {"room": "staff"})["ok"]
        click(owner, "Remove mia from staff")
        wait_flash(owner, "Removed mia from staff")
        removed = mia.wait_for("room_removed")
        assert removed["room"] == "staff"
        mia.wait_for("rooms_list", lambda data: "staff" not in rooms_named(data))

        # A notice → new_message (system) in the room.
        form = owner.find_element(By.CSS_SELECTOR, "[data-testid=notice-form]")
        form.find_element(By.CSS_SELECTOR, 'option[value="general"]').click()
        form.find_element(By.NAME, "text").send_keys("Gym closes at 8 today")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_flash(owner, "Notice posted to general")
        notice = mia.wait_for("new_message", lambda m: m["message_type"] == "system")
        assert notice["message"] == "Gym closes at 8 today" and notice["room"] == "general"

        # Display name and role: mia stays connected and is an admin at once.
        owner.find_element(By.CSS_SELECTOR, "#user-query").send_keys("mia", Keys.ENTER)
        wait(owner).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "[data-testid=users] [data-user]")) == 1)
        card = '[data-testid=users] [data-user="mia"]'
        owner.find_element(By.CSS_SELECTOR, f'{card} select[name=role] option[value="admin"]').click()
        fill_card(owner, card, "display_name", "Mia Coach", "Save mia")
        wait_flash(owner, "Saved mia")
        wait(owner).until(lambda b: "admin · active" in b.find_element(By.CSS_SELECTOR, card).text)
        time.sleep(0.5)
        assert mia.sio.connected
        status, _, users = request(gym, "GET", "/api/admin/users?q=mia", token=mia.token)
        assert status == 200 and users["users"][0]["display_name"] == "Mia Coach" and users["users"][0]["role"] == "admin"
        other = ChatClient(gym.url, token=mia.token).connect(wait=False)
        assert other.wait_for("status")["user"]["display_name"] == "Mia Coach"
        other.close()
        owner.find_element(By.CSS_SELECTOR, f'{card} select[name=role] option[value="member"]').click()
        fill_card(owner, card, "display_name", "Mia Coach", "Save mia")
        wait(owner).until(lambda b: "member · active" in b.find_element(By.CSS_SELECTOR, card).text)
        status, _, _ = request(gym, "GET", "/api/admin/users", token=mia.token)
        assert status == 403

        # Disabled → disconnected at once; enabled → can sign in again.
        click(owner, "Disable mia")
        wait_flash(owner, "Disabled mia")
        deadline = time.monotonic() + 10
        while mia.sio.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not mia.sio.connected
        refused = ChatClient(gym.url, token=mia.token)
        with pytest.raises(Exception):
            refused.connect()
        refused.close()
        click(owner, "Enable mia")
        wait_flash(owner, "Enabled mia")
        status, _, back = request(gym, "POST", "/login", {"username": "mia", "password": PASSWORD})
        assert status == 200, back
        mia.close()
        mia = ChatClient(gym.url, token=back["token"]).connect()

        # Reset password → a one-time sign-in link (and QR); using it ends her other sessions.
        click(owner, "Reset the password of mia")
        wait(owner).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-testid=signin-result]")))
        link = owner.find_element(By.CSS_SELECTOR, "[data-testid=signin-link]").get_attribute("value")
        assert link.startswith(gym.url + "/welcome/")
        assert_qr_visible(owner, "signin-qr")
        phone = browsers()
        phone.set_window_size(390, 844)
        phone.get(link)
        state = phone.find_element(By.CSS_SELECTOR, "[data-testid=invite-state]")
        wait(phone).until(lambda b: state.get_attribute("data-state") == "valid")
        assert "mia" in state.text
        assert_accessible(phone, "welcome")
        phone.find_element(By.NAME, "password").send_keys("a brand new password")
        phone.find_element(By.NAME, "password_confirm").send_keys("a brand new password")
        phone.find_element(By.CSS_SELECTOR, "[data-testid=join-form] button[type=submit]").click()
        wait(phone).until(EC.url_contains("/chat"))
        connected(phone)
        deadline = time.monotonic() + 10
        while mia.sio.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not mia.sio.connected, "the old session must end when the password is set"
        status, _, _ = request(gym, "POST", "/login", {"username": "mia", "password": "a brand new password"})
        assert status == 200
        # The link works once.
        phone.get(link)
        state = phone.find_element(By.CSS_SELECTOR, "[data-testid=invite-state]")
        wait(phone).until(lambda b: state.get_attribute("data-state") == "used_up")

        # Add a member: a sign-in link, no password until they set one.
        form = owner.find_element(By.CSS_SELECTOR, "[data-testid=add-user-form]")
        form.find_element(By.NAME, "username").send_keys("noah")
        form.find_element(By.NAME, "display_name").send_keys("Noah")
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_flash(owner, "Added noah")
        wait(owner).until(lambda b: "/welcome/" in b.find_element(By.CSS_SELECTOR, "[data-testid=signin-link]").get_attribute("value")
                          and b.find_element(By.CSS_SELECTOR, "[data-testid=signin-link]").get_attribute("value") != link)
        owner.find_element(By.CSS_SELECTOR, "#user-query").clear()
        owner.find_element(By.CSS_SELECTOR, "#user-query").send_keys(Keys.ENTER)
        wait(owner).until(lambda b: "no password yet" in b.find_element(By.CSS_SELECTOR, '[data-testid=users] [data-user="noah"]').text)

        # The store's status.
        owner.get(gym.url + "/admin")
        wait(owner).until(lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-loaded") == "true")
        # With every section filled (member cards, private room members, invitations): still clean.
        assert_accessible(owner, "admin-filled")
        status_text = owner.find_element(By.CSS_SELECTOR, "[data-testid=status]").text
        assert "Members" in status_text and "Last backup" in status_text and "never" in status_text
        shot(owner, "admin-actions-1280")
    finally:
        mia.close()


# MARK: Who may

def test_admin_is_for_admins_only(gym):
    gym.cli("user", "add", "mia", "--password-stdin", input=PASSWORD + "\n")
    _, _, signed = request(gym, "POST", "/login", {"username": "mia", "password": PASSWORD})
    member = signed["token"]
    cookie = {"Cookie": f"fitchat_session={member}", "Accept": "text/html"}
    status, _, body = request(gym, "GET", "/admin", headers=cookie)
    assert status == 403 and "admin" in body
    for method, path in [("GET", "/api/admin/status"), ("GET", "/api/admin/users"), ("GET", "/api/admin/invites"),
                         ("GET", "/api/admin/rooms"), ("POST", "/api/admin/invites"), ("POST", "/api/admin/users/mia/set"),
                         ("POST", "/api/admin/rooms"), ("POST", "/api/admin/rooms/general/notice")]:
        status, _, answer = request(gym, method, path, {} if method == "POST" else None, token=member)
        assert status == 403 and answer["error"]["code"] == "forbidden", (path, answer)
        status, _, answer = request(gym, method, path, {} if method == "POST" else None)
        assert status == 401 and answer["error"]["code"] == "unauthorized", (path, answer)
    # Not signed in: the page sends to the sign-in page.
    status, headers, _ = request(gym, "GET", "/admin", headers={"Accept": "text/html"})
    assert status == 303 and headers["Location"] == "/login"
    # An admin's cookie from another site's page is refused for changes.
    admin = login(gym, "owner", OWNER_PASSWORD)
    status, _, answer = request(gym, "POST", "/api/admin/rooms", {"name": "evil"}, token=admin,
                                headers={"Origin": "https://evil.example"})
    assert status == 403
    status, _, answer = request(gym, "POST", "/api/admin/rooms", {"name": "legit", "description": "ok"}, token=admin,
                                headers={"Origin": gym.url})
    assert status == 200 and answer["room"]["name"] == "legit"
    # The admin page has the chat's CSP.
    status, headers, _ = request(gym, "GET", "/admin", headers={"Cookie": f"fitchat_session={admin}", "Accept": "text/html"})
    assert status == 200 and "script-src 'self'" in headers["Content-Security-Policy"]
    # Unknown actions and wrong types are 4xx, not 500.
    status, _, _ = request(gym, "POST", "/api/admin/rooms/general/explode", {}, token=admin)
    assert status == 404
    status, _, answer = request(gym, "POST", "/api/admin/invites", {"uses": "many"}, token=admin)
    assert status == 400
    status, _, answer = request(gym, "POST", "/api/admin/invites", {"uses": 0}, token=admin)
    assert status == 400


# MARK: Bodies, codes and paths of the admin and join API

def raw(daemon, method, path, data, content_type, token=None):
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = "Bearer " + token
    req = urllib.request.Request(daemon.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.build_opener(NoRedirect).open(req, timeout=30) as response:
            status, hdrs, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, hdrs, body = error.code, error.headers, error.read()
    try:
        return status, hdrs, json.loads(body)
    except ValueError:
        return status, hdrs, body.decode(errors="replace")


def test_malformed_admin_bodies_are_refused_and_create_nothing(gym):
    admin = login(gym, "owner", OWNER_PASSWORD)
    _, _, before = request(gym, "GET", "/api/admin/invites", token=admin)
    for data, kind, field in [(b'{"uses":1,', "application/json", "JSON"),
                              (b'[1]', "application/json", "object"),
                              (b'{"uses":1}', "text/plain", "application/json"),
                              (b'', "application/json", "empty"),
                              (b'{"uses":1,"expires":7}', "application/json", "'expires'"),
                              (b'{"role":5}', "application/json", "'role'"),
                              (b'{"uses":"3"}', "application/json", "'uses'"),
                              (b'{"use":3}', "application/json", "'use'")]:
        status, _, answer = raw(gym, "POST", "/api/admin/invites", data, kind, token=admin)
        assert status == 400, (data, kind, answer)
        assert answer["ok"] is False and answer["error"]["code"] == "invalid_request", answer
        assert field in answer["error"]["message"], (data, answer)
    _, _, after = request(gym, "GET", "/api/admin/invites", token=admin)
    assert after["invites"] == before["invites"], "a refused body must create no invitation"

    for path, body, field in [("/api/admin/rooms", {"name": "r1", "private": "maybe"}, "'private'"),
                              ("/api/admin/rooms", {"description": "no name"}, "'name'"),
                              ("/api/admin/users/owner/set", {"display_name": 5}, "'display_name'"),
                              ("/api/admin/users/owner/set", {}, "nothing to change"),
                              ("/api/admin/users", {"display_name": "No Name"}, "'username'"),
                              ("/api/admin/rooms/general/notice", {"txt": "hi"}, "'txt'"),
                              ("/api/admin/users/owner/disable", {"now": True}, "'now'")]:
        status, _, answer = request(gym, "POST", path, body, token=admin)
        assert status == 400 and answer["error"]["code"] == "invalid_request", (path, body, answer)
        assert field in answer["error"]["message"], (path, answer)
    _, _, rooms = request(gym, "GET", "/api/admin/rooms", token=admin)
    assert "r1" not in rooms_named(rooms)
    _, _, users = request(gym, "GET", "/api/admin/users?q=owner", token=admin)
    assert users["users"][0]["display_name"] == "Gym Owner" and not users["users"][0]["disabled"]
    # What the admin page sends still works, actions without fields with no body at all.
    status, _, answer = request(gym, "POST", "/api/admin/invites", {"uses": None, "expires": "7d", "role": "member"},
                                token=admin)
    assert status == 200, answer
    status, _, answer = raw(gym, "POST", f"/api/admin/invites/{answer['invite']['id']}/revoke", None, None, token=admin)
    assert status == 200 and answer["invite"]["state"] == "revoked", answer


def test_api_codes_agree_with_statuses(gym):
    admin = login(gym, "owner", OWNER_PASSWORD)
    gym.cli("user", "add", "mia", "--password-stdin", input=PASSWORD + "\n")
    for method, path, body, status, code in [
        ("POST", "/api/admin/rooms", {"name": "general"}, 409, "name_taken"),
        ("POST", "/api/admin/users", {"username": "mia"}, 409, "name_taken"),
        ("POST", "/api/admin/users/owner/set", {"role": "member"}, 409, "last_admin"),
        ("POST", "/api/admin/users/nobody/set", {"role": "member"}, 404, "not_found"),
        ("GET", "/api/admin/rooms/nowhere/members", None, 404, "not_found"),
        ("POST", "/api/admin/rooms/general/explode", {}, 404, "not_found"),
        ("POST", "/api/admin/invites/999999999999999999999/revoke", None, 404, "not_found"),
        ("POST", "/api/admin/invites/12345/revoke", None, 404, "not_found"),
        ("POST", "/api/admin/invites/abc/revoke", None, 400, "invalid_request"),
        ("GET", "/api/join/" + "A" * 43, None, 404, "not_found"),
    ]:
        got, _, answer = request(gym, method, path, body, token=admin)
        assert (got, answer["error"]["code"]) == (status, code), (path, answer)
    status, _, answer = request(gym, "POST", "/api/admin/invites/999999999999999999999/revoke", token=admin)
    assert "no invite with id 999999999999999999999" in answer["error"]["message"], answer

    for uses, expires, revoke, code in [(1, "7d", False, "invite_used_up"), (5, "1s", False, "invite_expired"),
                                        (5, "7d", True, "invite_revoked")]:
        _, _, made = request(gym, "POST", "/api/admin/invites", {"uses": uses, "expires": expires}, token=admin)
        link = code_of(made["link"])
        if uses == 1:
            status, _, _ = request(gym, "POST", f"/join/{link}", {"username": "ann", "password": PASSWORD})
            assert status == 200
        if revoke:
            request(gym, "POST", f"/api/admin/invites/{made['invite']['id']}/revoke", token=admin)
        if expires == "1s":
            time.sleep(1.5)
        status, _, answer = request(gym, "POST", f"/join/{link}", {"username": "zed", "password": PASSWORD})
        assert status == 410 and answer["error"]["code"] == code, answer


def test_join_refuses_broken_bodies_and_extra_segments(gym):
    admin = login(gym, "owner", OWNER_PASSWORD)
    _, _, made = request(gym, "POST", "/api/admin/invites", {"uses": 5}, token=admin)
    code = code_of(made["link"])
    status, _, answer = raw(gym, "POST", f"/join/{code}", b'{"username":', "application/json")
    assert status == 400 and answer["error"]["message"] == "the body is not valid JSON", answer
    status, _, answer = request(gym, "POST", f"/join/{code}", {"username": 5, "password": PASSWORD})
    assert status == 400 and answer["error"]["message"] == "'username' must be a string", answer
    for method, path in [("POST", f"/join/a/b/{code}"), ("GET", f"/api/join/a/b/{code}"),
                         ("POST", f"/welcome/a/{code}"), ("GET", f"/api/welcome/a/{code}")]:
        status, _, answer = request(gym, method, path, {"username": "zed", "password": PASSWORD} if method == "POST" else None)
        assert status == 404 and answer["error"]["code"] == "not_found", (path, answer)
    _, _, state = request(gym, "GET", f"/api/join/{code}")
    assert state["uses_left"] == 5


def test_join_throttle_says_the_wait_of_its_retry_after(gym):
    for _ in range(100):
        status, headers, answer = request(gym, "POST", "/join/" + "A" * 43, {"username": "x", "password": PASSWORD})
        if status == 429:
            break
    assert status == 429 and answer["error"]["code"] == "rate_limited", answer
    wait_s = int(headers["Retry-After"])
    assert answer["error"]["message"].endswith(f"try again in {wait_s} second" + ("" if wait_s == 1 else "s")), answer


def test_oversized_api_bodies_get_a_json_413(gym):
    admin = login(gym, "owner", OWNER_PASSWORD)
    _, _, before = request(gym, "GET", "/api/admin/invites", token=admin)
    # Just over the limit: the server reads it all, so the answer is not lost to a reset.
    body = b'{"x":"' + b"a" * (1 << 20) + b'"}'
    status, headers, answer = raw(gym, "POST", "/api/admin/invites", body, "application/json", token=admin)
    assert status == 413 and headers["Content-Type"] == "application/json"
    assert answer == {"ok": False, "error": {"code": "too_large", "message": "the request body is over 1 MiB"}}
    assert request(gym, "GET", "/api/admin/invites", token=admin)[2] == before
