import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser); missing = failure."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Browser tests need Debian's chromium at /usr/bin/chromium (make test installs it).")
    # Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
    # around it are ordinary blocking calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--disable-quic",
            ],
        )
        yield browser
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# Chromium's words for what a Content-Security-Policy blocked, and ours (REPORT_VIOLATIONS).
CSP_VIOLATION = re.compile(r"Refused to|Content Security Policy|CSP violation")
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"} `
    + `at ${event.sourceFile}:${event.lineNumber} ${event.sample}`);
});
"""


@pytest.fixture
def page(browser):
    """A fresh browser tab. The test fails if any page it opened broke the Content-Security-Policy
    (an inline script or style, a source from elsewhere): the policy is enforced, so that is a
    feature that silently does not work."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []

    def on_console(message) -> None:
        if message.type == "error" and CSP_VIOLATION.search(message.text):
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    yield page
    context.close()
    assert violations == [], "The Content-Security-Policy blocked:\n" + "\n".join(violations)
