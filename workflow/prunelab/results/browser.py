"""Open an HTML report in headless Chromium (Debian's chromium and chromedriver), as a reader
would: the browser test checks what a reader sees, and the README's picture is taken the same way."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
# No network on these machines: keep Chromium from trying to reach any service.
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


@contextmanager
def opened(page: Path, profile: Path, settle_seconds: float = 2.0, width: int = 1400, flags: tuple[str, ...] = ()):
    """A Chromium driver with ``page`` loaded offline in a window ``width`` pixels wide, its
    scripts given ``settle_seconds`` to render (Snakemake's report is a React app)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*FLAGS, *flags, f"--user-data-dir={profile}", f"--window-size={width},2400"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(page.resolve().as_uri())
        deadline = time.monotonic() + 60
        while driver.execute_script("return document.readyState") != "complete":
            assert time.monotonic() < deadline, f"{page} did not finish loading"
            time.sleep(0.2)
        time.sleep(settle_seconds)
        yield driver
    finally:
        driver.quit()


def render(page: Path, screenshot: Path, profile: Path, settle_seconds: float = 2.0, width: int = 1400) -> dict:
    """Load ``page`` offline in a window ``width`` pixels wide; return its console errors, its
    images, its text and whether it scrolls sideways, and save a screenshot."""
    with opened(page, profile, settle_seconds, width) as driver:
        images = driver.execute_script(
            "return Array.from(document.images).map(i => ({src: i.src.slice(0, 60), complete: i.complete,"
            " width: i.naturalWidth}))")
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshot))
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        text = driver.execute_script("return document.body.innerText")
        sideways = driver.execute_script(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth")
    return {"errors": errors, "images": images, "text": text, "scrolls_sideways": sideways}
