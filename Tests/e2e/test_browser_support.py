"""The browser tests must not pass by skipping: without selenium or axe-selenium-python they fail,
on CI and elsewhere; only FITCHAT_SKIP_BROWSER_TESTS=1 skips them, and never when `CI` is set."""
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
    print("imported")
"""


def probe(missing, ci, opt_out=False):
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "FITCHAT_SKIP_BROWSER_TESTS")}
    if ci:
        env["CI"] = "1"
    if opt_out:
        env["FITCHAT_SKIP_BROWSER_TESTS"] = "1"
    result = subprocess.run([sys.executable, "-c", PROBE.format(missing=missing, here=HERE)], env=env,
                            capture_output=True, text=True, timeout=60)
    return result.stdout.strip()


def test_missing_selenium_or_axe_fails_everywhere():
    for missing in ("selenium", "axe_selenium_python"):
        assert probe(missing, ci=True) == "ImportError"
        assert probe(missing, ci=False) == "ImportError"


def test_the_explicit_opt_out_skips_but_not_on_ci():
    assert probe("selenium", ci=False, opt_out=True) == "Skipped"
    assert probe("selenium", ci=True, opt_out=True) == "ImportError"
    assert probe("nothing_is_missing", ci=False) == "imported"
