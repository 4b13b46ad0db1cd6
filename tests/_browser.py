"""A real browser for the tests: Debian's headless Chromium, driven by Playwright (which cannot
download its own browser here). The page and site tests share it; they skip without it."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("ML_CHROMIUM") or shutil.which("chromium")
FLAGS = [  # a closed network: no background connections, no first-run dialogs
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def skip_without_chromium() -> None:
    if CHROMIUM is None:
        pytest.skip(
            "no chromium: install Debian's (apt-get install chromium) or set ML_CHROMIUM to a "
            "Chromium executable; Playwright cannot download its own browser here",
            allow_module_level=True,
        )


def launch(playwright):
    """Chromium, headless, with the flags of a closed network."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)


def watch_errors(page):
    """Collect the page's uncaught errors and console errors in ``page.errors``."""
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    return page
