"""Shared by the browser tests: headless Debian Chromium through selenium, waits, screenshots and
axe-core accessibility checks.

Missing selenium, axe or chromium FAILS the browser tests (skipping silently once let a machine
without a browser pass without ever opening the page). The one opt-out is explicit: set
FITCHAT_SKIP_BROWSER_TESTS=1 on a machine without a browser; it is ignored when CI is set."""
import json
import os
import shutil

import pytest

if os.environ.get("FITCHAT_SKIP_BROWSER_TESTS") == "1" and not os.environ.get("CI"):
    pytest.skip("FITCHAT_SKIP_BROWSER_TESTS=1: the browser tests were skipped on request", allow_module_level=True)

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
    from axe_selenium_python import Axe
except ImportError as missing:
    raise ImportError("selenium and axe-selenium-python are required for the browser tests (make venv installs "
                      "them; FITCHAT_SKIP_BROWSER_TESTS=1 skips them outside CI)") from missing

BUILD = os.path.join(os.path.dirname(__file__), "..", "..", "build")
SCREENSHOTS = os.path.join(BUILD, "screenshots")
AXE_RESULTS = os.path.join(BUILD, "axe")
# The two widths every page is checked at: a phone and a desktop.
WIDTHS = ((390, 844), (1280, 800))


def chromium_paths():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or "/usr/lib/chromium/chromedriver"
    if not browser or not os.path.exists(driver):
        pytest.fail("Debian's chromium and chromium-driver are required (make test installs them)")
    return browser, driver


def new_browser():
    binary, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,800", "--force-device-scale-factor=1", "--lang=en-GB"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wait(driver, timeout=15):
    # The pages re-render lists from state: an element found a moment ago may have been replaced;
    # look it up again rather than fail.
    return WebDriverWait(driver, timeout, ignored_exceptions=(StaleElementReferenceException,))


def sign_in_to_chat(driver, url, username, password):
    """Opens the chat signed out (it sends the browser to /login), signs in as a member would,
    and waits until the chat's socket is connected."""
    driver.get(url + "/chat")
    wait(driver).until(EC.url_contains("/login"))
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.NAME, "password").submit()
    wait(driver).until(EC.url_contains("/chat"))
    wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=connection]").get_attribute("data-state") == "connected")


def in_room(driver, room):
    """Waits until the page shows `room` as the current one."""
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-room="{room}"]').get_attribute("aria-current") == "true")


def pick_room(driver, room):
    """Opens `room` from the room list: found and clicked in one step, retried if the list was
    re-rendered in between."""
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, f'[data-room="{room}"]').click() or True)
    in_room(driver, room)


def shot(driver, name):
    os.makedirs(SCREENSHOTS, exist_ok=True)
    driver.save_screenshot(os.path.join(SCREENSHOTS, name + ".png"))


def assert_accessible(driver, page):
    """Runs axe-core on the page as it is, at 390 and 1280 px; fails on any serious or critical
    violation. Every result (minor and moderate too) is written to build/axe/PAGE-WIDTH.json."""
    size = driver.get_window_size()
    failures = []
    try:
        for width, height in WIDTHS:
            driver.set_window_size(width, height)
            driver.execute_script("return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            axe = Axe(driver)
            axe.inject()
            results = axe.run()
            violations = results["violations"]
            os.makedirs(AXE_RESULTS, exist_ok=True)
            with open(os.path.join(AXE_RESULTS, f"{page}-{width}.json"), "w") as f:
                json.dump([{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
                           for v in violations], f, indent=1)
            for v in violations:
                if v["impact"] in ("serious", "critical"):
                    failures.append(f"{page} at {width}px: {v['impact']} {v['id']} ({v['help']}) on "
                                    + ", ".join(str(n["target"]) for n in v["nodes"][:5]))
    finally:
        driver.set_window_size(size["width"], size["height"])
    assert not failures, "\n".join(failures)
