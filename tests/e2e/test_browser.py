"""Headless Chromium loads the all-blueprints project's page and talks over its websocket.

Playwright drives Debian's chromium (``/usr/bin/chromium``); Playwright's own browser download
is not used. A missing chromium fails the test: CI installs it, so a skip would hide a gap.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(300)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
MESSAGE = "hello from chromium"


def test_page_styles_and_websocket_in_chromium(
    all_project: Any, log_dir: Path, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium "
            "(apt-get install -y chromium; .ci/run does this)",
            pytrace=False,
        )
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright

    problems: list[str] = []  # browser console errors and page errors, for failure messages
    with all_project.uvicorn(log_dir) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=60_000
        )
        page = None
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on(
                "console",
                lambda msg: (
                    problems.append(f"console {msg.type}: {msg.text}")
                    if msg.type in {"error", "warning"}
                    else None
                ),
            )

            def context() -> str:
                return "\n".join(problems) + "\n" + server.report("")

            response = page.goto(f"{server.url}/", wait_until="load")
            assert response is not None, context()
            assert response.status == 200, f"GET / answered {response.status}\n{context()}"

            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert background == "rgb(245, 247, 250)", (
                f"body background-color is {background!r}: /static's stylesheet is not applied\n"
                + context()
            )

            expect(page.locator("#ws-status")).to_have_text("connected", timeout=TIMEOUT_MS)
            page.locator("#ws-form #ws-input").fill(MESSAGE)
            page.locator("#ws-form #ws-send").click()
            echoed = page.locator("#ws-log li").filter(has_text=re.compile(rf"^echo: {MESSAGE}$"))
            expect(echoed).to_have_count(1, timeout=TIMEOUT_MS)
            expect(echoed).to_have_text(f"echo: {MESSAGE}")

            assert not [p for p in problems if p.startswith("page error")], context()
        finally:
            if page is not None:  # a screenshot, also of a failure, in the test's tmp_path
                with contextlib.suppress(PlaywrightError):
                    page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
            browser.close()
