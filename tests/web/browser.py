"""Playwright driving Debian's Chromium (never a downloaded browser)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
OUTPUT_DIR = Path(__file__).resolve().parents[2] / "test-results"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's Chromium is not installed at /usr/bin/chromium "
    "(apt-get install chromium fonts-noto-cjk; 'make test' does it as root)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield instance
        instance.close()


def output_dir(request: pytest.FixtureRequest) -> Path:
    """``test-results/<test name>/`` for screenshots (git-ignored)."""
    path = OUTPUT_DIR / request.node.name.replace("/", "_")
    path.mkdir(parents=True, exist_ok=True)
    return path


def open_chat(page, url: str) -> None:
    """Load ``url``, wait for the widget's history, and open the chat panel."""
    page.set_default_timeout(15_000)
    page.goto(url)
    page.wait_for_selector("#kefu-chat[data-ready='true']", state="attached")
    if page.is_hidden(".kefu-panel"):
        page.click(".kefu-launcher")
    page.wait_for_selector(".kefu-panel:not([hidden])")
