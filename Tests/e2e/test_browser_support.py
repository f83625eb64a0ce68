"""The browser tests must not pass by skipping on a CI machine: without selenium (or
axe-selenium-python) they skip on a developer's machine but fail when `CI` is set."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Imports browser.py as pytest would, with the named module made unimportable.
PROBE = """
import sys
sys.modules[{missing!r}] = None
sys.path.insert(0, {here!r})
try:
    import browser
except BaseException as outcome:
    print(type(outcome).__name__)
else:
    print("imported", browser.Axe is None)
"""


def probe(missing, ci):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "1"
    result = subprocess.run([sys.executable, "-c", PROBE.format(missing=missing, here=HERE)], env=env,
                            capture_output=True, text=True, timeout=60)
    return result.stdout.strip()


def test_missing_selenium_fails_on_ci_and_skips_elsewhere():
    assert probe("selenium", ci=True) in ("ImportError", "ModuleNotFoundError")
    assert probe("selenium", ci=False) == "Skipped"


def test_missing_axe_fails_on_ci():
    assert probe("axe_selenium_python", ci=True) in ("ImportError", "ModuleNotFoundError")
    assert probe("axe_selenium_python", ci=False) == "imported True"
